"""Table contracts: the columns, types, keys and rules a source table promises, and the check
that splits each batch into rows that keep the promise and rows that go to quarantine.

Checks run in an in-memory DuckDB over the Arrow batch (zero copy), so a rule is one SQL
expression and a cast is `TRY_CAST`: a value that does not fit its type becomes a quarantined row
with its reason, never an exception that stops the load or a silently dropped row.

Most batches keep every promise, and proving that costs far less than naming each broken one: the
types are Arrow's checked casts, the nulls are counted by Arrow, the rules are one DuckDB count
over the batch and the keys are compared by range before any join. Only a batch that fails one of
these goes through the full check, which then finds exactly the same rows and reasons.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

QUARANTINE_SCHEMA = pa.schema([("reason", pa.string()), ("record", pa.string())])
# Dates and times given as text must be valid as written: DuckDB's cast alone would turn
# `24:00:00` into the next day, drop an offset (`10:00+02` becomes 10:00), truncate a DATE's time
# or nanoseconds, and read `infinity` or `epoch` as dates. It already refuses impossible days
# (`2023-02-29`, `2024-04-31`) and out-of-range fields; these shapes refuse the rest.
_DAY = r"\d{4}-\d{1,2}-\d{1,2}"
_TIME = r"(?:[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?)?"
_TEXT_SHAPES = {
    "DATE": rf"\s*{_DAY}\s*",
    "TIMESTAMP": rf"\s*{_DAY}{_TIME}(?:Z|[+-]00(?::?00)?)?\s*",  # UTC: no other offset
    "TIMESTAMPTZ": rf"\s*{_DAY}{_TIME}(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?\s*",
}
_TEXT_SHAPES["TIMESTAMP WITH TIME ZONE"] = _TEXT_SHAPES["TIMESTAMPTZ"]
KEYS_MEMORY = "128MB"  # the validator's DuckDB when it remembers keys: past this, they go to disk
RAW = ":raw"  # suffix of a column's raw value beside its typed value
INDEX = "_i"  # the row's position in its batch


@dataclass(frozen=True)
class Contract:
    """What one table promises. `columns` maps name to a DuckDB type; `key` must be unique and not
    null; `required` columns must not be null; `rules` maps a reason to a SQL condition that every
    good row satisfies.

    Drift policy: a column the source adds is carried into the warehouse (`evolve`), dropped
    (`ignore`) or stops the table (`stop`); a column the source lost stops the table or sends
    its rows to quarantine; a value of the wrong type quarantines its row, or stops the table.
    """

    columns: dict[str, str]
    key: tuple[str, ...]
    required: tuple[str, ...] = ()
    rules: dict[str, str] = field(default_factory=dict)
    on_new_column: Literal["evolve", "ignore", "stop"] = "evolve"
    on_missing_column: Literal["stop", "quarantine"] = "stop"
    on_bad_type: Literal["quarantine", "stop"] = "quarantine"
    # True when the source itself enforces the key (a database primary key): the check for
    # keys repeated across batches, whose memory grows with the table, is then not needed.
    key_enforced_by_source: bool = False

    def settle(self, schema: pa.Schema) -> Contract:
        """The contract for a load whose rows have `schema`, after the drift policy."""
        missing = [c for c in self.columns if c not in schema.names]
        if missing and self.on_missing_column == "stop":
            raise ContractError(f"column {missing[0]!r} is missing from the source")
        new = [name for name in schema.names if name not in self.columns]
        if not new or self.on_new_column == "ignore":
            return self
        if self.on_new_column == "stop":
            raise ContractError(f"the source has a new column {new[0]!r}")
        types = warehouse_types(pa.schema([schema.field(name) for name in new]))
        return replace(self, columns={**self.columns, **types})

    def reason_sql(self, text_columns: frozenset[str] = frozenset()) -> str:
        """One CASE expression naming the first broken promise of a row, or NULL. It runs over
        the typed columns, with each raw value beside its column as `"<name>:raw"`.
        `text_columns` are those whose raw values are text: a date or time among them must
        also have a shape that casts without being normalised."""
        cases = []
        for name, kind in self.columns.items():
            raw, typed = _quote(name + RAW), _quote(name)
            invalid = f"{raw} IS NOT NULL AND {typed} IS NULL"
            shape = _TEXT_SHAPES.get(" ".join(kind.upper().split()))
            if shape is not None and name in text_columns:
                as_written = f"regexp_full_match({raw}, '{_escape(shape)}')"
                invalid = f"{raw} IS NOT NULL AND ({typed} IS NULL OR NOT {as_written})"
            cases.append((invalid, f"{name}: value is not a valid {kind}"))
        for name in dict.fromkeys((*self.key, *self.required)):
            cases.append((f"{_quote(name)} IS NULL", f"{name} is missing"))
        for reason, condition in self.rules.items():
            cases.append((f"NOT coalesce(({condition}), false)", reason))
        whens = " ".join(f"WHEN {cond} THEN '{_escape(reason)}'" for cond, reason in cases)
        return f"CASE {whens} END"

    def try_cast_sql(self) -> str:
        return ", ".join(
            f"TRY_CAST({_quote(n)} AS {k}) AS {_quote(n)}, {_quote(n)} AS {_quote(n + RAW)}"
            for n, k in self.columns.items()
        )


class Validator:
    """Splits batches by a contract. One per table load: it remembers the keys already seen, so a
    key repeated in a later batch is caught too.

    Those keys grow with the load, so they live in a DuckDB file of a temporary folder, under a
    memory limit that makes DuckDB keep them on disk: memory stays flat however many rows a load
    has (tests/ingest/test_duplicate_keys.py measures it). Each batch's distinct keys are the
    small side of the join that finds the ones seen before; the seen keys are only scanned.
    """

    def __init__(self, contract: Contract, cursor: str | None = None) -> None:
        self.contract = contract
        self.cursor = cursor
        self.highest: object = None  # the cursor's highest value among rows seen
        self.remember_keys = bool(contract.key) and not contract.key_enforced_by_source
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        if self.remember_keys:
            self._folder = tempfile.TemporaryDirectory(prefix="armazem-keys-")
            path = Path(self._folder.name) / "keys.duckdb"
            self.con = duckdb.connect(str(path), config={"memory_limit": KEYS_MEMORY})
        else:
            self.con = duckdb.connect(config={"memory_limit": "512MB"})
        self.columns = ", ".join(_quote(c) for c in contract.columns)
        self.schema = (
            self.con.execute(
                f"SELECT {self.columns} FROM "
                f"(SELECT {contract.try_cast_sql()} FROM (SELECT {_nulls(contract)})) LIMIT 0"
            )
            .to_arrow_table()
            .schema
        )
        if self.remember_keys:
            keys = ", ".join(f"{_quote(k)} {contract.columns[k]}" for k in contract.key)
            self.con.execute(f"CREATE TABLE seen ({keys})")
        self.ranges = KeyRanges() if self._ranged_key() else None
        rules = " AND ".join(f"coalesce(({c}), false)" for c in contract.rules.values())
        self._broken_rules = f"SELECT count(*) FROM batch WHERE NOT ({rules})" if rules else ""

    def split(self, batch: pa.Table) -> tuple[pa.Table, pa.Table]:
        """(good rows with the contract's types, quarantined rows with reason and raw record)."""
        missing = [c for c in self.contract.columns if c not in batch.column_names]
        if missing:
            if self.contract.on_missing_column == "stop":
                raise ContractError(f"column {missing[0]!r} is missing from the source")
            return self.schema.empty_table(), _whole_batch(
                batch, f"column {missing[0]!r} is missing from the source"
            )
        batch = _narrow_decimals(batch, self.schema)
        kept = self._kept_every_promise(batch)
        if kept is not None:
            self._remember(kept)
            return kept, QUARANTINE_SCHEMA.empty_table()
        # One streaming pass, nothing materialised: typed values, raw values beside them, and
        # the reason; `_i` ties each result row to its batch row, whatever order DuckDB keeps.
        self.con.register("batch", batch.append_column(INDEX, pa.array(range(batch.num_rows))))
        checked = self.con.execute(
            f"WITH typed AS (SELECT {self.contract.try_cast_sql()}, {INDEX} FROM batch) "
            f"SELECT {self.columns}, {INDEX}, "
            f"coalesce({self.contract.reason_sql(_text_columns(batch))}, "
            f"{self._duplicate_sql()}) AS _reason FROM {self._rows_and_seen_keys()}"
        ).to_arrow_table()
        self.con.unregister("batch")
        ok = pc.is_null(checked.column("_reason"))
        good = checked.filter(ok).sort_by(INDEX).select(list(self.contract.columns))
        rejected = checked.filter(pc.invert(ok)).sort_by(INDEX)
        bad = _records(batch, rejected.column(INDEX), rejected.column("_reason"))
        if self.contract.on_bad_type == "stop":
            wrong = [r for r in bad.column("reason").to_pylist() if "is not a valid" in r]
            if wrong:
                raise ContractError(f"{wrong[0]} ({len(wrong)} rows in this batch)")
        good = good.cast(self.schema)
        self._remember(good, checked)
        return good, bad

    def _kept_every_promise(self, batch: pa.Table) -> pa.Table | None:
        """The batch with the contract's types when each of its rows keeps every promise; None
        when one may not (the full check then says which rows and why)."""
        columns = []
        for field_ in self.schema:
            column = batch.column(field_.name)
            if column.type != field_.type:
                if not _same_values(column.type, field_.type):
                    return None
                try:
                    column = column.cast(field_.type)  # checked: a value that does not fit raises
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    return None
            columns.append(column)
        typed = pa.Table.from_arrays(columns, schema=self.schema)
        if any(typed.column(n).null_count for n in (*self.contract.key, *self.contract.required)):
            return None
        if self._broken_rules or self.remember_keys:
            self.con.register("batch", typed)
            try:
                if self._broken_rules and self.con.execute(self._broken_rules).fetchone()[0]:
                    return None
                if self.remember_keys and self._repeats_a_key(typed):
                    return None
            finally:
                self.con.unregister("batch")
        return typed

    def _repeats_a_key(self, typed: pa.Table) -> bool:
        """Whether a key is twice in the batch (registered as `batch`) or was seen before."""
        key = [_quote(k) for k in self.contract.key]
        if len(key) == 1:
            column = typed.column(self.contract.key[0]).combine_chunks()
            ascending = len(column) < 2 or pc.all(pc.greater(column[1:], column[:-1])).as_py()
            if not ascending and pc.count_distinct(column).as_py() != len(column):
                return True
        else:
            distinct = f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(key)} FROM batch)"
            if self.con.execute(distinct).fetchone()[0] != typed.num_rows:
                return True
        ranged = self.ranges is not None and typed.num_rows > 0
        if ranged and not self.ranges.overlaps(*_bounds(typed.column(self.contract.key[0]))):
            return False
        same = " AND ".join(f"b.{k} = s.{k}" for k in key)
        return bool(
            self.con.execute(
                f"SELECT EXISTS (SELECT 1 FROM batch AS b JOIN seen AS s ON {same})"
            ).fetchone()[0]
        )

    def _remember(self, good: pa.Table, checked: pa.Table | None = None) -> None:
        """The good rows' keys (for later batches) and the cursor's highest value among the rows
        read (`checked`, all of them, else the good ones)."""
        if self.remember_keys and good.num_rows:
            self.con.register("good", good.select(list(self.contract.key)))
            self.con.execute("INSERT INTO seen SELECT * FROM good")
            self.con.unregister("good")
            if self.ranges is not None:
                self.ranges.add(*_bounds(good.column(self.contract.key[0])))
        rows = good if checked is None else checked
        if self.cursor and rows.num_rows:
            top = pc.max(rows.column(self.cursor)).as_py()
            if top is not None and (self.highest is None or top > self.highest):
                self.highest = top

    def _ranged_key(self) -> bool:
        """A one-column key of a type whose order Python and DuckDB agree on."""
        if not self.remember_keys or len(self.contract.key) != 1:
            return False
        kind = self.schema.field(self.contract.key[0]).type
        return pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_date(kind)

    def _rows_and_seen_keys(self) -> str:
        """The typed rows, each with `_seen_0` not null when its key was seen in a batch before."""
        if not self.remember_keys:
            return "typed"
        key = [_quote(k) for k in self.contract.key]
        seen = ", ".join(f"b.{k} AS _seen_{i}" for i, k in enumerate(key))
        earlier = (
            f"SELECT DISTINCT {seen} FROM (SELECT DISTINCT {', '.join(key)} FROM typed) AS b "
            f"JOIN seen AS s ON {' AND '.join(f'b.{k} = s.{k}' for k in key)}"
        )
        same = " AND ".join(f"typed.{k} = e._seen_{i}" for i, k in enumerate(key))
        return f"typed LEFT JOIN ({earlier}) AS e ON {same}"

    def _duplicate_sql(self) -> str:
        if not self.remember_keys:
            return "NULL"
        keys = ", ".join(f"typed.{_quote(k)}" for k in self.contract.key)
        return (
            f"CASE WHEN count(*) OVER (PARTITION BY {keys}) > 1 OR e._seen_0 IS NOT NULL "
            f"THEN 'duplicate key in this load' END"
        )

    def close(self) -> None:
        self.con.close()
        if self._folder is not None:
            self._folder.cleanup()


class KeyRanges:
    """Disjoint, sorted [low, high] ranges that cover every key seen: a batch whose keys all fall
    outside them cannot repeat one, with no lookup of the keys themselves (an ordered or
    partitioned read of a table by its key never needs one)."""

    def __init__(self) -> None:
        self.lows: list[object] = []
        self.highs: list[object] = []

    def overlaps(self, low: object, high: object) -> bool:
        at = bisect.bisect_right(self.lows, high)  # the ranges starting at or below `high`
        return at > 0 and self.highs[at - 1] >= low

    def add(self, low: object, high: object) -> None:
        first = bisect.bisect_left(self.highs, low)  # ranges before it end below `low`
        last = bisect.bisect_right(self.lows, high)  # ranges from it start above `high`
        if first < last:
            low, high = min(low, self.lows[first]), max(high, self.highs[last - 1])
        self.lows[first:last] = [low]
        self.highs[first:last] = [high]


class ContractError(Exception):
    """The source no longer matches the contract as a whole (a column vanished)."""


def warehouse_types(schema: pa.Schema) -> dict[str, str]:
    """The DuckDB type of each Arrow column, as DuckDB itself maps them."""
    con = duckdb.connect()
    try:
        con.register("empty", schema.empty_table())
        return {name: kind for name, kind, *_ in con.execute("DESCRIBE empty").fetchall()}
    finally:
        con.close()


def _narrow_decimals(batch: pa.Table, schema: pa.Schema) -> pa.Table:
    """Decimals cast to the contract's precision in Arrow where that is lossless: DuckDB's
    TRY_CAST of a 38-digit decimal (what ConnectorX reads from MySQL) is fifty times slower.
    A column that does not fit is left as it is, for TRY_CAST to quarantine its bad values."""
    for index, column in enumerate(batch.columns):
        name = batch.column_names[index]
        if name not in schema.names:
            continue
        target = schema.field(name).type
        decimals = pa.types.is_decimal(column.type) and pa.types.is_decimal(target)
        if decimals and column.type != target:
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                batch = batch.set_column(index, name, column.cast(target))
    return batch


def _same_values(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether Arrow's checked cast from `source` to `target`, when it succeeds, gives the values
    DuckDB's TRY_CAST gives: the same kind of value at another width or unit (a cast that would
    lose anything raises, and the full check then decides)."""
    if pa.types.is_timestamp(source) and pa.types.is_timestamp(target):
        return source.tz == target.tz
    if pa.types.is_floating(source) and pa.types.is_floating(target):
        return target.bit_width >= source.bit_width
    kinds = (pa.types.is_integer, pa.types.is_decimal, _is_text)
    return any(kind(source) and kind(target) for kind in kinds)


def _bounds(column: pa.ChunkedArray) -> tuple[object, object]:
    low, high = pc.min_max(column).values()
    return low.as_py(), high.as_py()


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _records(batch: pa.Table, rows: pa.ChunkedArray, reasons: pa.ChunkedArray) -> pa.Table:
    """Quarantine records: each rejected row's raw values as JSON, with its reason."""
    if len(rows) == 0:
        return QUARANTINE_SCHEMA.empty_table()
    raw = batch.take(rows).to_pylist()
    records = [json.dumps(row, default=str) for row in raw]
    reason = reasons.combine_chunks()
    return pa.table({"reason": reason, "record": records}, schema=QUARANTINE_SCHEMA)


def _whole_batch(batch: pa.Table, reason: str) -> pa.Table:
    records = [json.dumps(row, default=str) for row in batch.to_pylist()]
    return pa.table(
        {"reason": [reason] * len(records), "record": records}, schema=QUARANTINE_SCHEMA
    )


def _text_columns(batch: pa.Table) -> frozenset[str]:
    return frozenset(f.name for f in batch.schema if _is_text(f.type))


def _nulls(contract: Contract) -> str:
    return ", ".join(f"NULL AS {_quote(n)}" for n in contract.columns)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _escape(text: str) -> str:
    return text.replace("'", "''")
