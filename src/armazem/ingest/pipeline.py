"""Extract → validate → lake → warehouse, one table at a time, in bounded batches.

For each table: every batch is split by the table's contract; good rows go to the lake's Parquet
file, rejects to its quarantine file; the lake load is committed (renamed into place), then the
warehouse takes the rows, the quarantine and the ledger row in one transaction. The count of rows
read always equals loaded plus quarantined; the run stops if it does not.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pyarrow as pa

from armazem.errors import ArmazemError
from armazem.ingest.contracts import ContractError, Validator
from armazem.ingest.lake import LakeLoad
from armazem.ingest.sources import SourceTable, select
from armazem.settings import Settings
from armazem.warehouse import open_warehouse
from armazem.warehouse.store import DuckDBWarehouse, utcnow

RowsCallback = Callable[[str, int], None]


@dataclass(frozen=True)
class LoadResult:
    table: str
    load_id: str
    read: int
    loaded: int
    quarantined: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def new_load_id() -> str:
    return f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def ingest(
    settings: Settings,
    names: list[str] | None = None,
    on_start: Callable[[SourceTable], None] | None = None,
    on_rows: RowsCallback | None = None,
) -> list[LoadResult]:
    """Load the chosen tables (all by default) under one load id."""
    warehouse = open_warehouse(settings)
    load_id = new_load_id()
    results = []
    for table in select(names):
        if on_start:
            on_start(table)
        results.append(load_table(settings, warehouse, table, load_id, on_rows))
    return results


def load_table(
    settings: Settings,
    warehouse: DuckDBWarehouse,
    table: SourceTable,
    load_id: str,
    on_rows: RowsCallback | None = None,
) -> LoadResult:
    started = time.perf_counter()
    started_at = utcnow()
    validator = Validator(table.contract)
    lake = LakeLoad(settings.lake_path, table.source, table.table, load_id, validator.schema)
    read = 0
    try:
        for batch in table.read(settings):
            good, bad = validator.split(batch.rows)
            lake.write(good)
            lake.quarantine(pa.concat_tables([batch.unreadable, bad]))
            read += batch.read
            if on_rows:
                on_rows(table.name, batch.read)
    except ContractError as exc:
        lake.abort()
        raise ArmazemError(
            f"{table.name}: {exc}", "fix the source, or change its contract in ingest/sources.py"
        ) from None
    except BaseException:
        lake.abort()
        raise
    finally:
        validator.close()
    if read != lake.rows + lake.quarantined:  # never expected; refuse to commit if it happens
        lake.abort()
        raise RuntimeError(f"{table.name}: read {read} != {lake.rows} + {lake.quarantined}")
    ledger = {
        "load_id": load_id, "source": table.source, "table_name": table.table, "mode": "full",
        "started_at": started_at, "committed_at": utcnow(), "rows_read": read,
        "rows_loaded": lake.rows, "rows_quarantined": lake.quarantined,
        "lake_path": str(lake.final),
    }  # fmt: skip
    lake.commit(ledger)
    warehouse.replace_table(
        f"raw_{table.source}", table.table, lake.data_file, lake.quarantine_file, ledger
    )
    return LoadResult(table.name, load_id, read, lake.rows, lake.quarantined,
                      round(time.perf_counter() - started, 3))  # fmt: skip
