"""Extract → validate → lake → warehouse, one table at a time, in bounded batches.

For each table: an incremental read starts at the warehouse's watermark (less a lookback); every
batch is split by the table's contract; good rows go to the lake's Parquet file, rejects to its
quarantine file; the lake load is committed (renamed into place), then the warehouse takes the
rows, the deletes, the quarantine, the ledger row and the new watermark in one transaction.

Exactly once: if the process dies before that transaction commits, the watermark has not moved,
so the rerun reads the same rows again and merges them on their key; a lake load that never
reached the warehouse is an orphan no ledger row points to. Rows read always equal rows loaded
plus rows quarantined; the load is refused if they do not. A full disk under the lake stops the
table with one line and leaves no part of its load behind. A load the S3 lake could not take is
loaded into the warehouse all the same, marked not yet copied, and copied by the next ingest.

A data interval (a scheduled or backfilled orchestrator run) replaces the watermark for `dated`
tables: their rows in [start, end) are read and merged (or appended) on their key, so loading an
interval twice changes nothing. Such a load leaves the watermark where it was: it says nothing
about the rows outside its interval, and a later watermark run must not skip them.
"""

from __future__ import annotations

import errno
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from armazem import failpoints
from armazem.errors import ArmazemError
from armazem.ingest.contracts import ContractError, Validator
from armazem.ingest.lake import LakeLoad
from armazem.ingest.remote_lake import RemoteLake, copy_pending, publish_load
from armazem.ingest.sources import Interval, SourceTable, select
from armazem.settings import Settings
from armazem.warehouse import Warehouse, open_warehouse
from armazem.warehouse.plan import LoadPlan
from armazem.warehouse.store import utcnow

RowsCallback = Callable[[str, int], None]


@dataclass(frozen=True)
class LoadResult:
    table: str
    load_id: str
    mode: str
    read: int
    loaded: int
    quarantined: int
    deleted: int
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
    full_refresh: bool = False,
    interval: Interval | None = None,
) -> list[LoadResult]:
    """Load the chosen tables of the settings' project under one load id: by default those of
    every source but the ones loaded after the Spark step; `interval`: that data interval of the
    dated tables (see the module's docstring)."""
    from armazem.project import load_project
    from armazem.project.tables import all_tables, source_tables

    project = load_project(settings)
    chosen = select(all_tables(project), names) if names else source_tables(project)
    if settings.lake_url:  # a lake that cannot be published to fails before anything is read
        RemoteLake.from_settings(settings)
    warehouse = open_warehouse(settings)
    load_id = new_load_id()
    copy_pending(settings)  # loads an S3 lake missed earlier: copied first, or kept pending
    results = []
    for table in chosen:
        if on_start:
            on_start(table)
        results.append(
            load_table(settings, warehouse, table, load_id, full_refresh, on_rows, interval)
        )
    copy_pending(settings, strict=True)  # one line if any load is still not on the S3 lake
    return results


def load_table(
    settings: Settings,
    warehouse: Warehouse,
    table: SourceTable,
    load_id: str,
    full_refresh: bool = False,
    on_rows: RowsCallback | None = None,
    interval: Interval | None = None,
) -> LoadResult:
    started = time.perf_counter()
    started_at = utcnow()
    mode = "full" if full_refresh else table.mode
    previous = until = None
    if mode != "full" and table.dated and interval is not None:
        since, until = interval.bounds
        batches = iter(table.read(settings, since, until))
    else:
        if mode != "full" and table.cursor:
            previous = warehouse.watermark(table.source, table.table)
        since = window_start(previous, table) if previous is not None else None
        batches = iter(table.read(settings, since))
    first = next(batches, None)
    try:
        contract = table.contract.settle(first.rows.schema) if first else table.contract
    except ContractError as exc:
        raise _stopped(table, exc) from None
    validator = Validator(contract, table.cursor)
    try:
        lake = LakeLoad(settings.lake_path, table.source, table.table, load_id, validator.schema)
    except OSError as exc:
        validator.close()
        raise _lake_failed(settings, table, exc) from None
    read = 0
    try:
        for batch in itertools.chain([first] if first else [], batches):
            good, bad = validator.split(batch.rows)
            lake.write(good)
            lake.quarantine(pa.concat_tables([batch.unreadable, bad]))
            read += batch.read
            failpoints.reach("after-batch")
            if on_rows:
                on_rows(table.name, batch.read)
        if table.read_keys and mode != "full":
            _write_source_keys(settings, table, validator, lake)
    except ContractError as exc:
        lake.abort()
        raise _stopped(table, exc) from None
    except OSError as exc:
        lake.abort()
        if not _out_of_space(exc):
            raise
        raise _lake_failed(settings, table, exc) from None
    except BaseException:
        lake.abort()
        raise
    finally:
        validator.close()
    if read != lake.rows + lake.quarantined:  # never expected; refuse to commit if it happens
        lake.abort()
        raise RuntimeError(f"{table.name}: read {read} != {lake.rows} + {lake.quarantined}")
    highest = _as_text(validator.highest)
    watermark = None if until is not None else highest if highest is not None else previous
    ledger = {
        "load_id": load_id, "source": table.source, "table_name": table.table, "mode": mode,
        "started_at": started_at, "committed_at": utcnow(), "rows_read": read,
        "rows_loaded": lake.rows, "rows_quarantined": lake.quarantined,
        "watermark_from": since, "watermark_to": until or watermark,
        "lake_path": str(lake.final),
    }  # fmt: skip
    try:
        lake.commit(ledger)
    except OSError as exc:
        lake.abort()
        raise _lake_failed(settings, table, exc) from None
    publish_load(settings, lake.final)  # to an S3 lake too (lake_url): marked pending if it fails
    failpoints.reach("after-lake-commit")
    plan = LoadPlan(
        table.source, table.table, mode, contract.key, contract.columns,
        lake.data_file, lake.quarantine_file, ledger,
        (table.cursor, watermark) if table.cursor and watermark is not None else None,
        table.soft_delete, lake.keys_file,
    )  # fmt: skip
    try:
        deleted = warehouse.apply(plan)
    except ArmazemError as exc:  # e.g. the warehouse server lost: say which table's load
        raise ArmazemError(f"{table.name}: {exc.problem}", exc.fix) from None
    return LoadResult(table.name, load_id, mode, read, lake.rows, lake.quarantined, deleted,
                      round(time.perf_counter() - started, 3))  # fmt: skip


def _stopped(table: SourceTable, exc: ContractError) -> ArmazemError:
    return ArmazemError(
        f"{table.name} stopped: {exc}",
        f"fix the source, or change the table's columns or drift policy in "
        f"sources/{table.source}.yml",
    )


def _out_of_space(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(exc)


def _lake_failed(settings: Settings, table: SourceTable, exc: OSError) -> ArmazemError:
    """Writing the lake failed: nothing of this table's load was committed anywhere."""
    reason = "no space left on its device" if _out_of_space(exc) else " ".join(str(exc).split())
    return ArmazemError(
        f"{table.name} stopped writing the lake {settings.lake_path}: {reason}; nothing of this "
        "load was committed",
        "free space there (or point data_dir elsewhere), then run the ingest again",
    )


def window_start(watermark: str, table: SourceTable) -> str:
    """Where an incremental read starts: the watermark, less the lookback."""
    if not table.lookback or table.cursor is None:
        return watermark
    kind = table.contract.columns[table.cursor]
    if kind.startswith("TIMESTAMP"):
        start = datetime.fromisoformat(watermark) - timedelta(seconds=table.lookback)
        return start.isoformat(sep=" ")
    if kind in {"INTEGER", "BIGINT", "SMALLINT"}:
        return str(int(watermark) - table.lookback)
    return watermark


def _write_source_keys(
    settings: Settings, table: SourceTable, validator: Validator, lake: LakeLoad
) -> None:
    key_schema = pa.schema([validator.schema.field(k) for k in table.contract.key])
    lake.write_keys(key_schema.empty_table())
    for batch in table.read_keys(settings):
        lake.write_keys(batch.rows.select(list(table.contract.key)).cast(key_schema))


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)
