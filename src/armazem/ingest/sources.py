"""What the pipeline ingests: one `SourceTable` per table, with its reader and its contract.

A project declares its tables in `sources/*.yml` (see `armazem.project`); those declarations are
compiled into SourceTables. Code that reads something no declaration can describe may build a
SourceTable of its own and pass it to `pipeline.load_table`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from armazem.errors import ArmazemError
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract
from armazem.settings import Settings
from armazem.warehouse.plan import Mode


@dataclass(frozen=True)
class Interval:
    """A data interval [start, end) in UTC: what a scheduled or backfilled orchestrator run
    loads (Airflow's data_interval_start and data_interval_end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ArmazemError(
                f"empty data interval {self.start} to {self.end}",
                "give an interval whose start is before its end",
            )

    @property
    def bounds(self) -> tuple[str, str]:
        """The interval as cursor values: naive UTC timestamps, as the warehouse stores them."""
        return _naive_utc(self.start), _naive_utc(self.end)


@dataclass(frozen=True)
class SourceTable:
    """One table to ingest. `read(settings, since, until=None)` streams its rows: `since` is
    None for a full read, else the lower bound (the watermark less the lookback) of the `cursor`
    column, exclusive; with `until` too, the read is the data interval [since, until) instead
    (both bounds timestamps), which a reader of a `dated` table honours: rows whose time cursor
    falls in it, or the files whose name carries a date in it.

    Modes: `full` replaces the table; `append` adds rows whose key is new; `merge` upserts on
    the key. `lookback` (in cursor units: seconds for a timestamp, values for a number) re-reads
    recent rows to catch late commits; merging makes the re-read harmless. Deletes come from a
    `soft_delete` boolean column, or, for small tables, from `read_keys` (the source's key set).
    """

    source: str
    table: str
    contract: Contract
    read: Callable[..., Reader]
    mode: Mode = "full"
    cursor: str | None = None
    lookback: int = 0
    soft_delete: str | None = None
    read_keys: Callable[[Settings], Reader] | None = None
    dated: bool = False  # reads a data interval (see above); other tables read their watermark

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"


def _naive_utc(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


def sql_literal(value: str, kind: str) -> str:
    """A cursor value as a SQL literal of its column's type."""
    if kind in {"INTEGER", "BIGINT", "SMALLINT"}:
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def select(tables: list[SourceTable], names: list[str] | None) -> list[SourceTable]:
    """Tables chosen by `source` or `source.table` names, in the order named; all of them when
    none are given."""
    if not names:
        return list(tables)
    chosen = list({id(t): t for n in names for t in tables if n in (t.source, t.name)}.values())
    known = {t.source for t in tables} | {t.name for t in tables}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ArmazemError(
            f"unknown source or table {unknown[0]!r}",
            f"use one of {', '.join(sorted({t.source for t in tables}))} or SOURCE.TABLE",
        )
    return chosen
