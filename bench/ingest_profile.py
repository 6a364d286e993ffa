"""Where armazem's ingestion time goes, statement by statement, on the `ingest_peers` table.

`python -m bench.ingest_profile [ROWS]` (1,000,000 by default; run `python -m bench
ingest_peers` once first, it creates `armazem_bench.sales_<size>`). Not part of `make bench`:
it is the tool for acting on a missed `ingest_peers` target. It reads the table into memory
once, then times, each on the same batches:

- every SQL statement of `Validator.split`, in total and per batch early vs late in the load
  (a cost that grows with the rows already seen shows up as late >> early);
- DuckDB's TRY_CAST of ConnectorX's decimal128(38,10) against pyarrow's cast;
- the Parquet write per codec, and the warehouse statements reading that Parquet file.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from armazem.ingest import sql
from armazem.ingest.contracts import Contract, Validator
from armazem.warehouse.plan import LoadPlan, apply_statements
from bench.ingest_peers import COLUMNS, MYSQL_URL, RULES, table_name

BATCH = 100_000
CONTRACT = Contract(COLUMNS, ("id",), tuple(COLUMNS), RULES)


def read_batches(rows: int) -> list[pa.Table]:
    """The table as `load_table` gets it: two id partitions, batches of 100,000."""
    reader = sql.read_table(MYSQL_URL, table_name(rows), COLUMNS, ("id",), BATCH, None, "id", 2)
    return [batch.rows for batch in reader if batch.rows.num_rows]


class StatementTimer:
    """Wraps a DuckDB connection; `execute` time (with its fetch) is summed per statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.batch = 0
        self.totals: dict[str, float] = defaultdict(float)
        self.per_batch: dict[str, list[float]] = defaultdict(list)

    def execute(self, query: str, *args: Any) -> Any:
        started = time.perf_counter()
        result = self.con.execute(query, *args)
        if query.lstrip().upper().startswith("SELECT"):
            result = _Fetched(result.to_arrow_table())
        seconds = time.perf_counter() - started
        label = _label(query)
        self.totals[label] += seconds
        series = self.per_batch[label]
        series.extend([0.0] * (self.batch + 1 - len(series)))
        series[self.batch] += seconds
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


class _Fetched:
    """A result already fetched, answering the pipeline's `to_arrow_table` or `fetchone`."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def to_arrow_table(self) -> pa.Table:
        return self.value

    def fetchone(self) -> tuple | None:
        if not self.value.num_rows:
            return None
        return tuple(column[0].as_py() for column in self.value.columns)


def _label(query: str) -> str:
    text = " ".join(query.split())
    if match := re.match(r"CREATE OR REPLACE TEMP TABLE (\w+)", text):
        return f"CREATE TEMP TABLE {match[1]}"
    if "AS _reason FROM" in text:
        return "SELECT typed + reason"
    if "_reason IS NULL ORDER BY" in text:
        return "SELECT good rows"
    if "_reason IS NOT NULL" in text:
        return "SELECT quarantined rows"
    if text.startswith("INSERT INTO seen"):
        return "INSERT INTO seen"
    if "FROM batch WHERE NOT" in text:
        return "SELECT count(broken rules)"
    if "JOIN seen" in text:
        return "SELECT EXISTS(key seen)"
    return text[:40]


def profile_split(batches: list[pa.Table]) -> None:
    validator = Validator(CONTRACT, "id")
    timer = StatementTimer(validator.con)
    validator.con = timer
    started = time.perf_counter()
    for number, batch in enumerate(batches):
        timer.batch = number
        validator.split(batch)
    total = time.perf_counter() - started
    validator.close()
    sizes = [b.num_rows for b in batches]
    tenth = max(1, len(batches) // 10)
    print(f"  split total {total:.2f} s over {len(batches)} batches")
    print(f"  {'statement':<28} {'total s':>8} {'ms/100k rows, first 10%':>24} {'last 10%':>9}")
    for label, seconds in sorted(timer.totals.items(), key=lambda kv: -kv[1]):
        series = timer.per_batch[label] + [0.0] * len(sizes)
        early = 1e8 * sum(series[:tenth]) / sum(sizes[:tenth])
        late = 1e8 * sum(series[len(sizes) - tenth : len(sizes)]) / sum(sizes[-tenth:])
        print(f"  {label:<28} {seconds:>8.2f} {early:>24.1f} {late:>9.1f}")


def cast_decimals(batch: pa.Table) -> pa.Table:
    """Contract decimals cast by pyarrow, as `Validator` does before DuckDB sees the batch."""
    index = batch.schema.get_field_index("unit_price")
    return batch.set_column(index, "unit_price", pc.cast(batch["unit_price"], pa.decimal128(10, 2)))


def timed(label: str, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    print(f"  {label:<52} {time.perf_counter() - started:>7.2f} s")


def profile_decimal(batches: list[pa.Table]) -> None:
    prices = pa.chunked_array([b["unit_price"] for b in batches])
    with contextlib.closing(duckdb.connect()) as con:
        con.register("prices", pa.table({"unit_price": prices}))
        timed(
            f"DuckDB TRY_CAST {prices.type} AS DECIMAL(10,2)",
            lambda: con.execute("SELECT sum(TRY_CAST(unit_price AS DECIMAL(10,2))) FROM prices"),
        )
        timed("DuckDB read, no cast", lambda: con.execute("SELECT sum(unit_price) FROM prices"))
    timed("pyarrow cast to decimal128(10,2)", lambda: pc.cast(prices, pa.decimal128(10, 2)))


def profile_sinks(batches: list[pa.Table], folder: Path) -> None:
    schema = Validator(CONTRACT).schema
    typed = [b.cast(schema) for b in (cast_decimals(b) for b in batches)]
    for codec in ("zstd", "snappy", "lz4", "none"):
        path = folder / f"{codec}.parquet"

        def write(path: Path = path, codec: str = codec) -> None:
            with pq.ParquetWriter(path, schema, compression=codec) as writer:
                for batch in typed:
                    writer.write_table(batch)

        timed(f"Parquet write, {codec}", write)
        print(f"  {'':<52} {path.stat().st_size / 2**20:>7.0f} MiB")
    for codec in ("zstd", "snappy"):
        for mode in ("append", "full"):
            timed(f"warehouse {mode} from {codec} Parquet (empty table)",
                  partial_apply(folder, folder / f"{codec}.parquet", mode))  # fmt: skip


def partial_apply(folder: Path, data: Path, mode: str) -> Callable[[], None]:
    """The DuckDB warehouse's row statements for one load, in one transaction."""

    def apply() -> None:
        path = folder / f"warehouse-{data.stem}-{mode}.duckdb"
        with contextlib.closing(duckdb.connect(str(path))) as con:
            con.execute("CREATE SCHEMA raw_bench")
            definition = ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items())
            con.execute(f"CREATE TABLE raw_bench.sales ({definition})")
            plan = LoadPlan("bench", "sales", mode, ("id",), COLUMNS, data, None, {})
            con.execute("BEGIN TRANSACTION")
            for statement in apply_statements(plan, f"read_parquet('{data}')", None):
                con.execute(statement.sql)
            con.execute("COMMIT")

    return apply


def main(rows: int) -> None:
    started = time.perf_counter()
    batches = read_batches(rows)
    print(f"read {rows:,} rows in {len(batches)} batches: {time.perf_counter() - started:.2f} s")
    print("Validator.split:")
    profile_split(batches)
    print("decimal cast:")
    profile_decimal(batches)
    print("sinks:")
    with tempfile.TemporaryDirectory(prefix="ingest-profile-") as folder:
        profile_sinks(batches, Path(folder))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
