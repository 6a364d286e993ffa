"""What a warehouse does with one committed lake load, and the SQL both engines share.

A `LoadPlan` is applied in ONE transaction: the rows (replace, append or merge on the key), the
deletes, the quarantined records, the ledger row and the new watermark. So a crash at any point
leaves the warehouse either before the load or after it, and the watermark always describes
exactly the rows that are there: a rerun reads again from it and changes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

META_SCHEMA = "_armazem"
Mode = Literal["full", "append", "merge"]

# The platform's own tables, in portable SQL (DuckDB and PostgreSQL).
META_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.loads (
        load_id VARCHAR(64), source VARCHAR(128), table_name VARCHAR(128), mode VARCHAR(16),
        started_at TIMESTAMP, committed_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, rows_deleted BIGINT, watermark_from VARCHAR(64),
        watermark_to VARCHAR(64), lake_path VARCHAR(1024),
        PRIMARY KEY (load_id, source, table_name))""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.quarantine (
        load_id VARCHAR(64), source VARCHAR(128), table_name VARCHAR(128), reason VARCHAR(1024),
        record TEXT, quarantined_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.watermarks (
        source VARCHAR(128), table_name VARCHAR(128), cursor_column VARCHAR(128),
        value VARCHAR(64), load_id VARCHAR(64), updated_at TIMESTAMP,
        PRIMARY KEY (source, table_name))""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.publications (
        published_at TIMESTAMP, run_id VARCHAR(64), tables TEXT, loads TEXT)""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.runs (
        run_id VARCHAR(64), step VARCHAR(64), started_at TIMESTAMP, ended_at TIMESTAMP,
        rows BIGINT, status VARCHAR(16), error TEXT)""",
)


@dataclass(frozen=True)
class LoadPlan:
    """One table's load, ready to apply. Files are the lake's committed Parquet files."""

    source: str
    table: str
    mode: Mode
    key: tuple[str, ...]
    columns: dict[str, str]  # name -> DuckDB type, in order
    data_file: Path
    quarantine_file: Path | None
    ledger: dict[str, Any]
    watermark: tuple[str, str] | None = None  # (cursor column, value) after this load
    soft_delete: str | None = None  # a boolean column: rows where it is true are deleted
    source_keys_file: Path | None = None  # every key the source still has (key-set deletes)

    @property
    def schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def target(self) -> str:
        return f"{quote(self.schema)}.{quote(self.table)}"


@dataclass(frozen=True)
class Statement:
    sql: str
    deletes: bool = False  # removes rows the source deleted (counted in the ledger)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def same_key(key: tuple[str, ...], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in key)


def record_statements(plan: LoadPlan, deleted: int, now: object) -> list[tuple[str, list[Any]]]:
    """The ledger row and the new watermark of a load, as (SQL, parameters) with `$n`
    placeholders (both engines take them), to run in the load's own transaction."""
    ledger = {**plan.ledger, "rows_deleted": deleted}
    marks = ", ".join(f"${i}" for i in range(1, len(ledger) + 1))
    statements = [
        (f"INSERT INTO {META_SCHEMA}.loads ({', '.join(ledger)}) VALUES ({marks})",
         list(ledger.values())),
    ]  # fmt: skip
    if plan.watermark is not None:
        column, value = plan.watermark
        statements += [
            (f"DELETE FROM {META_SCHEMA}.watermarks WHERE source = $1 AND table_name = $2",
             [plan.source, plan.table]),
            (f"INSERT INTO {META_SCHEMA}.watermarks VALUES ($1, $2, $3, $4, $5, $6)",
             [plan.source, plan.table, column, value, plan.ledger["load_id"], now]),
        ]  # fmt: skip
    return statements


def apply_statements(
    plan: LoadPlan, incoming: str | None, source_keys: str | None
) -> list[Statement]:
    """The row-changing statements of a plan, given SQL for the incoming rows (a relation with
    the contract's columns) and for the source's key set. Portable between the engines.
    `incoming` None: the rows were copied straight into the table, which was empty (a first or
    full load), so only the deletes remain to be applied."""
    statements = [] if incoming is None else _insert_statements(plan, incoming)
    if plan.soft_delete:
        delete = f"DELETE FROM {plan.target} WHERE {quote(plan.soft_delete)}"
        statements.append(Statement(delete, deletes=True))
    if source_keys is not None:
        kept = f"EXISTS (SELECT 1 FROM {source_keys} AS k WHERE {same_key(plan.key, 't', 'k')})"
        statements.append(
            Statement(f"DELETE FROM {plan.target} AS t WHERE NOT {kept}", deletes=True)
        )
    return statements


def _insert_statements(plan: LoadPlan, incoming: str) -> list[Statement]:
    columns = ", ".join(quote(c) for c in plan.columns)
    insert = f"INSERT INTO {plan.target} ({columns}) SELECT {columns} FROM {incoming} AS i"
    match = same_key(plan.key, "t", "i")
    exists = f"EXISTS (SELECT 1 FROM {incoming} AS i WHERE {match})"
    statements = []
    if plan.mode == "full":
        statements.append(Statement(f"DELETE FROM {plan.target}"))
    elif plan.mode == "append":
        insert += f" WHERE NOT EXISTS (SELECT 1 FROM {plan.target} AS t WHERE {match})"
    else:
        statements.append(Statement(f"DELETE FROM {plan.target} AS t WHERE {exists}"))
    statements.append(Statement(insert))
    return statements
