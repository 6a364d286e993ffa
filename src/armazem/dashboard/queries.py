"""The SQL of the engine's own pages (Data health, Tables) and what every page may use: which
tables exist, date keys, personal data masked. A project's pages keep their SQL beside them, in
a helper module of their dashboards folder. Rules the statements keep:

- Aggregate in SQL and return small results: a page never pulls fact rows into Python.
- Money stays DECIMAL end to end (Python `Decimal`); it is rounded only where it is displayed.
- Portable SQL for DuckDB and PostgreSQL: `$name` parameters, `CAST(... AS ...)`, `FILTER`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from armazem.dashboard import pseudonym
from armazem.dashboard.db import BI_SCHEMA, PostgresReader, Reader, Rows
from armazem.errors import ArmazemError
from armazem.names import quote

if TYPE_CHECKING:
    from armazem.project.privacy import Group

META_SCHEMA = "_armazem"
PLATFORM_TABLES = ("runs", "loads", "quarantine", "watermarks")
PREVIEW_ROWS = 100


def date_key(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def key_date(key: int) -> date:
    return date(key // 10_000, key // 100 % 100, key % 100)


# --- data health (the platform's own tables) ----------------------------------------------------


def recent_runs(reader: Reader, runs: int = 10) -> Rows:
    """Every step of the last `runs` runs, newest run first."""
    return reader.fetch(
        f"""WITH last_runs AS (
                SELECT run_id, min(started_at) AS run_started FROM {META_SCHEMA}.runs
                GROUP BY run_id ORDER BY run_started DESC LIMIT $runs)
            SELECT r.run_id, r.step, r.started_at, r.ended_at, r.rows, r.status, r.error
            FROM {META_SCHEMA}.runs AS r JOIN last_runs AS l ON l.run_id = r.run_id
            ORDER BY l.run_started DESC, r.started_at""",
        {"runs": runs},
    )


def failed_runs(reader: Reader, limit: int = 20) -> Rows:
    """Steps that failed (dbt tests, audits, loads), with their error, newest first."""
    return reader.fetch(
        f"""SELECT run_id, step, started_at, error FROM {META_SCHEMA}.runs
            WHERE status = 'failed' ORDER BY started_at DESC LIMIT $limit""",
        {"limit": limit},
    )


def freshness(reader: Reader) -> Rows:
    """Per source: when its last load committed, how many tables it has, rows in that load."""
    return reader.fetch(
        f"""SELECT source, max(committed_at) AS last_committed_at,
                   count(DISTINCT table_name) AS tables, count(DISTINCT load_id) AS loads
            FROM {META_SCHEMA}.loads GROUP BY source ORDER BY source"""
    )


def recent_loads(reader: Reader, limit: int = 60) -> Rows:
    """The last table loads with rows read, loaded, quarantined and deleted."""
    return reader.fetch(
        f"""SELECT load_id, source, table_name, mode, committed_at, rows_read, rows_loaded,
                   rows_quarantined, rows_deleted
            FROM {META_SCHEMA}.loads ORDER BY committed_at DESC, source, table_name
            LIMIT $limit""",
        {"limit": limit},
    )


def load_totals(reader: Reader, loads: int = 15) -> Rows:
    """Per load (one ingest, one load id): rows read, loaded and quarantined, oldest first."""
    return reader.fetch(
        f"""SELECT * FROM (
                SELECT load_id, min(started_at) AS started_at, count(*) AS tables,
                       sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
                       sum(rows_quarantined) AS rows_quarantined
                FROM {META_SCHEMA}.loads GROUP BY load_id
                ORDER BY started_at DESC LIMIT $loads) AS recent
            ORDER BY started_at""",
        {"loads": loads},
    )


def quarantine_summary(reader: Reader) -> Rows:
    """source, table_name, reason, rows, last_at: what was quarantined, most frequent first."""
    return reader.fetch(
        f"""SELECT source, table_name, reason, count(*) AS rows, max(quarantined_at) AS last_at
            FROM {META_SCHEMA}.quarantine GROUP BY source, table_name, reason
            ORDER BY rows DESC, source, table_name, reason LIMIT 500"""
    )


def quarantine_samples(
    reader: Reader, source: str, table: str, reason: str, limit: int = 20
) -> Rows:
    """The latest quarantined records of one (source, table, reason)."""
    return reader.fetch(
        f"""SELECT load_id, quarantined_at, record FROM {META_SCHEMA}.quarantine
            WHERE source = $source AND table_name = $table AND reason = $reason
            ORDER BY quarantined_at DESC LIMIT $limit""",
        {"source": source, "table": table, "reason": reason, "limit": limit},
    )


# --- what exists --------------------------------------------------------------------------------


def table_columns(reader: Reader, schema: str, table: str) -> list[str]:
    """A table's (or view's) columns in order; empty when it does not exist."""
    rows = reader.fetch(
        """SELECT column_name FROM information_schema.columns
           WHERE table_schema = $schema AND table_name = $table
           ORDER BY ordinal_position""",
        {"schema": schema, "table": table},
    )
    return rows.column("column_name")


def schema_tables(reader: Reader, schema: str) -> list[str]:
    """The tables and views of a schema, by name."""
    rows = reader.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $schema "
        "ORDER BY table_name",
        {"schema": schema},
    )
    return rows.column("table_name")


def missing_tables(reader: Reader, schema: str, tables: tuple[str, ...]) -> list[str]:
    present = set(schema_tables(reader, schema))
    return [t for t in tables if t not in present]


def preview(
    reader: Reader,
    schema: str,
    table: str,
    personal: tuple[tuple[str, str], ...],
    key: str | None = None,
    rule: Group | None = None,
    min_group: int = 5,
) -> Rows:
    """The first rows of a table, personal data masked (the Tables page); `personal` holds
    (column, hash or drop) pairs. A `hash` column shows its keyed pseudonym (the pseudonym key
    `key`), the one BI sees; without a key it is left out. `rule` is the mart's
    `[project.privacy]` group rule, applied as in `bi`. The BI schema's relations are masked
    already and shown as they are."""
    columns = table_columns(reader, schema, table)
    if not columns:
        raise ArmazemError(f"{schema}.{table} does not exist", "pick a table from the list")
    params: dict[str, object] = {"limit": PREVIEW_ROWS}
    masks = {c: p for c, p in personal if c in columns}
    if schema == BI_SCHEMA:
        masks = {}
    elif key is None:
        masks = {c: "drop" for c in masks}
    elif "hash" in masks.values():  # DuckDB refuses parameters a statement does not use
        params.update(pseudonym.pads(key))
    if schema == BI_SCHEMA:
        rule = None
    elif rule is not None:
        _check_rule(table, columns, rule)
    sql = pseudonym.READER_SQL[isinstance(reader, PostgresReader)]
    select, where = guarded_select(columns, masks, sql, rule, min_group)
    return reader.fetch(
        f"SELECT {select} FROM {quote(schema)}.{quote(table)}{where} LIMIT $limit", params
    )


def row_count(
    reader: Reader, schema: str, table: str, rule: Group | None = None, min_group: int = 5
) -> int:
    """The rows of a table, or those its `[project.privacy]` rule shows."""
    where = ""
    if rule is not None and schema != BI_SCHEMA and not rule.columns:
        where = guarded_select([rule.people], {}, "{}", rule, min_group)[1]
    sql = f"SELECT count(*) FROM {quote(schema)}.{quote(table)}{where}"
    return int(reader.fetch(sql).rows[0][0])


def _check_rule(table: str, columns: list[str], rule: Group) -> None:
    from armazem.project.privacy import Privacy

    Privacy(groups={table: rule}).check_columns({table: columns})


def masked_select(columns: list[str], personal: Mapping[str, str], hash_sql: str) -> str:
    """The select list that shows a table's columns with personal data masked, as the project
    declares it (`[project] personal`, column -> hash or drop): hashed with `hash_sql`, or left
    out. A hash keeps a column usable for counting and joining, without the value."""
    shown = []
    for column in columns:
        policy = personal.get(column)
        quoted = '"' + column.replace('"', '""') + '"'
        if policy == "drop":
            continue
        shown.append(f"{hash_sql.format(quoted)} AS {quoted}" if policy == "hash" else quoted)
    return ", ".join(shown)


def guarded_select(
    columns: list[str],
    personal: Mapping[str, str],
    hash_sql: str,
    rule: Group | None,
    min_group: int,
) -> tuple[str, str]:
    """(select list, WHERE clause) that show a mart with personal data masked (`masked_select`)
    and under its `[project.privacy]` rule: rows of fewer than `min_group` people left out, or
    their withheld columns NULL. A row whose people column is NULL is not about people: shown.
    The WHERE clause is empty when every row is shown."""
    if rule is None:
        return masked_select(columns, personal, hash_sql), ""
    people = quote(rule.people)
    enough = f"({people} IS NULL OR {people} >= {int(min_group)})"
    if not rule.columns:
        return masked_select(columns, personal, hash_sql), f" WHERE {enough}"
    shown = []
    for column in columns:
        expression = masked_select([column], personal, hash_sql)
        if expression and column in rule.columns:
            value = expression.removesuffix(f" AS {quote(column)}")
            expression = f"CASE WHEN {enough} THEN {value} END AS {quote(column)}"
        if expression:
            shown.append(expression)
    return ", ".join(shown), ""
