"""The warehouse: where each profile keeps it, and how the platform reads and writes it.

Two engines keep the same promises: DuckDB in a file (embedded profile, store.py) and PostgreSQL
on a server (services and cluster profiles, postgres.py). The URL's scheme chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.warehouse.plan import LoadPlan
from armazem.warehouse.postgres import PostgresWarehouse
from armazem.warehouse.store import DuckDBWarehouse


class Warehouse(Protocol):
    """What the pipeline, the runner and the CLI need of a warehouse."""

    kind: str

    def connect(self, read_only: bool = False) -> AbstractContextManager[Any]:
        """The engine's own connection (DuckDB's, or ADBC's DB-API with `$1` placeholders)."""
        ...

    def query(self, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a read-only query; `$1` placeholders work on both engines."""
        ...

    def watermark(self, source: str, table: str) -> str | None: ...

    def apply(self, plan: LoadPlan) -> int:
        """Apply a load in one transaction; returns the rows its deletes removed."""
        ...

    def transaction(self) -> AbstractContextManager[Callable[..., list[tuple[Any, ...]]]]:
        """One transaction: yields `execute(sql, params) -> rows` (`$1` placeholders)."""
        ...

    def record_run(self, run_id: str, step: dict[str, Any]) -> None: ...

    def status(self) -> dict[str, Any]: ...


def open_warehouse(settings: Settings) -> Warehouse:
    """The settings' warehouse. Opening does not connect: the first use does."""
    if settings.warehouse_kind == "postgresql":
        return PostgresWarehouse(settings.warehouse_url)
    path = settings.local_file(settings.warehouse_url)
    if path is None:
        raise ArmazemError(
            f"no warehouse engine for {settings.warehouse_kind}",
            "use a duckdb:/// or postgresql:// warehouse_url (ARMAZEM_WAREHOUSE_URL)",
        )
    return DuckDBWarehouse(path)


__all__ = ["DuckDBWarehouse", "PostgresWarehouse", "Warehouse", "open_warehouse"]
