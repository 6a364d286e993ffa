"""The embedded warehouse: one DuckDB file holding the raw tables, the marts and `_armazem`
(loads, quarantine, watermarks, runs). Loads are applied from the lake's Parquet files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from armazem import failpoints
from armazem.errors import ArmazemError
from armazem.warehouse.plan import (
    META_DDL,
    META_SCHEMA,
    LoadPlan,
    apply_statements,
    quote,
    record_statements,
)

# Joins and sorts past this spill to disk instead of growing with the tables.
DUCKDB_CONFIG = {"memory_limit": "1GB"}
Execute = Callable[..., list[tuple[Any, ...]]]  # execute(sql, parameters=None) -> rows


class DuckDBWarehouse:
    kind = "duckdb"

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise ArmazemError(f"warehouse {self.path} does not exist yet", "run `armazem run`")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(self.path), read_only=read_only, config=DUCKDB_CONFIG)
        except duckdb.IOException as exc:
            raise ArmazemError(
                f"cannot open warehouse {self.path}: {str(exc).splitlines()[0]}",
                "stop the other armazem process (or dashboard) that holds it, then retry",
            ) from None
        try:
            if not read_only:
                for statement in META_DDL:
                    con.execute(statement)
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[Execute]:
        """One transaction; yields `execute(sql, params) -> rows` (`$1` or `?` placeholders)."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")

            def execute(sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
                return con.execute(sql, parameters or []).fetchall()

            try:
                yield execute
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def query(self, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.connect(read_only=True) as con:
            return con.execute(sql, parameters or []).fetchall()

    def watermark(self, source: str, table: str) -> str | None:
        with self.connect() as con:
            row = con.execute(
                f"SELECT value FROM {META_SCHEMA}.watermarks WHERE source = ? AND table_name = ?",
                [source, table],
            ).fetchone()
        return row[0] if row else None

    def apply(self, plan: LoadPlan) -> int:
        """Apply a load in one transaction; returns the rows its deletes removed."""
        incoming = _parquet(plan.data_file)
        keys = _parquet(plan.source_keys_file) if plan.source_keys_file else None
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                self._prepare_table(con, plan)
                deleted = 0
                for statement in apply_statements(plan, incoming, keys):
                    changed = con.execute(statement.sql).fetchone()
                    if statement.deletes and changed:
                        deleted += changed[0]
                self._record(con, plan, deleted)
                failpoints.reach("warehouse-before-commit")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return deleted

    def _prepare_table(self, con: duckdb.DuckDBPyConnection, plan: LoadPlan) -> None:
        """The raw table with the contract's types; a full load recreates it, a new contract
        column is added to an existing one (schema evolution)."""
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(plan.schema)}")
        definition = ", ".join(f"{quote(c)} {t}" for c, t in plan.columns.items())
        verb = "CREATE OR REPLACE TABLE" if plan.mode == "full" else "CREATE TABLE IF NOT EXISTS"
        con.execute(f"{verb} {plan.target} ({definition})")
        existing = {
            name
            for (name,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [plan.schema, plan.table],
            ).fetchall()
        }
        for column, kind in plan.columns.items():
            if column not in existing:
                con.execute(f"ALTER TABLE {plan.target} ADD COLUMN {quote(column)} {kind}")

    def _record(self, con: duckdb.DuckDBPyConnection, plan: LoadPlan, deleted: int) -> None:
        if plan.quarantine_file is not None:
            con.execute(
                f"INSERT INTO {META_SCHEMA}.quarantine SELECT ?, ?, ?, reason, record, ? "
                f"FROM {_parquet(plan.quarantine_file)}",
                [plan.ledger["load_id"], plan.source, plan.table, plan.ledger["committed_at"]],
            )
        for sql, parameters in record_statements(plan, deleted, utcnow()):
            con.execute(sql, parameters)

    def record_run(self, run_id: str, step: dict[str, Any]) -> None:
        with self.connect() as con:
            con.execute(
                f"INSERT INTO {META_SCHEMA}.runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, step["step"], step["started_at"], step["ended_at"], step.get("rows"),
                 step["status"], step.get("error")],
            )  # fmt: skip

    def status(self) -> dict[str, Any]:
        """Every table with its row count, and the last runs, as plain JSON-ready data."""
        with self.connect(read_only=True) as con:
            names = con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() ORDER BY 1, 2"
            ).fetchall()
            tables = {
                f"{s}.{t}": {
                    "rows": con.execute(f"SELECT count(*) FROM {quote(s)}.{quote(t)}").fetchone()[0]
                }
                for s, t in names
            }
            runs = con.execute(
                f"SELECT run_id, step, started_at, ended_at, rows, status, error "
                f"FROM {META_SCHEMA}.runs ORDER BY started_at DESC, step LIMIT 50"
            ).fetchall()
        keys = ("run_id", "step", "started_at", "ended_at", "rows", "status", "error")
        return {
            "tables": tables,
            "runs": [
                json.loads(json.dumps(dict(zip(keys, r, strict=True)), default=str)) for r in runs
            ],
        }


def _parquet(path: Path) -> str:
    escaped = str(path).replace("'", "''")
    return f"read_parquet('{escaped}', hive_partitioning = false)"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
