"""The warehouse as the platform writes it: raw tables, and the `_armazem` schema that records
loads, quarantined records and runs. A load's rows, its quarantine and its ledger row are
committed in one transaction, so a crash leaves either all of them or none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from armazem.errors import ArmazemError

META_SCHEMA = "_armazem"
_META_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.loads (
        load_id VARCHAR, source VARCHAR, table_name VARCHAR, mode VARCHAR,
        started_at TIMESTAMP, committed_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,
        rows_quarantined BIGINT, lake_path VARCHAR, PRIMARY KEY (load_id, source, table_name))""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.quarantine (
        load_id VARCHAR, source VARCHAR, table_name VARCHAR, reason VARCHAR, record VARCHAR,
        quarantined_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.runs (
        run_id VARCHAR, step VARCHAR, started_at TIMESTAMP, ended_at TIMESTAMP, rows BIGINT,
        status VARCHAR, error VARCHAR)""",
)


class DuckDBWarehouse:
    """The embedded warehouse: one DuckDB file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise ArmazemError(f"warehouse {self.path} does not exist yet", "run `armazem run`")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise ArmazemError(
                f"cannot open warehouse {self.path}: {str(exc).splitlines()[0]}",
                "stop the other armazem process (or dashboard) that holds it, then retry",
            ) from None
        try:
            if not read_only:
                for statement in _META_DDL:
                    con.execute(statement)
            yield con
        finally:
            con.close()

    def replace_table(
        self,
        schema: str,
        table: str,
        data_file: Path,
        quarantine_file: Path | None,
        ledger: dict[str, Any],
    ) -> None:
        """Full load: the table becomes exactly this load's rows, atomically with its ledger."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                con.execute(
                    f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS '
                    "SELECT * FROM read_parquet(?, hive_partitioning = false)",
                    [str(data_file)],
                )
                if quarantine_file is not None:
                    con.execute(
                        f"INSERT INTO {META_SCHEMA}.quarantine SELECT ?, ?, ?, reason, record, ? "
                        "FROM read_parquet(?, hive_partitioning = false)",
                        [ledger["load_id"], ledger["source"], ledger["table_name"],
                         ledger["committed_at"], str(quarantine_file)],
                    )  # fmt: skip
                columns = ", ".join(ledger)
                marks = ", ".join("?" for _ in ledger)
                con.execute(
                    f"INSERT INTO {META_SCHEMA}.loads ({columns}) VALUES ({marks})",
                    list(ledger.values()),
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

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
                f"{s}.{t}": {"rows": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]}
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


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
