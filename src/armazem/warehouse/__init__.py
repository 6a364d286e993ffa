"""The warehouse: where each profile keeps it, and how the platform reads and writes it."""

from __future__ import annotations

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.warehouse.store import DuckDBWarehouse

Warehouse = DuckDBWarehouse


def open_warehouse(settings: Settings) -> Warehouse:
    path = settings.local_file(settings.warehouse_url)
    if path is None:
        raise ArmazemError(
            f"this version loads its pipeline into DuckDB only, not {settings.warehouse_kind}",
            "use the embedded profile (--profile embedded) for `armazem run`",
        )
    return DuckDBWarehouse(path)
