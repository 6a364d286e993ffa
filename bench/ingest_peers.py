"""Ingestion against its peers: one MariaDB table loaded by the raw reader, armazem, dlt and pandas.

`python -m bench ingest_peers` (BENCH_ROWS="1000000,10000000" chooses the sizes, both by
default; BENCH_TIME_LIMIT is the seconds one contender may take, 600 by default).

The source is `armazem_bench.sales_<size>` in the local MariaDB (one table per size, so both
sizes are reused between runs instead of one `sales` table being rebuilt at every size change);
it is generated once with numpy → CSV → `LOAD DATA LOCAL INFILE` and reused while it holds
exactly ids 1..N.

Every contender runs in its own child process (`python -m bench.ingest_peers child ...`) and
times only its own work, after its imports. Peak memory is the child's maximum resident set
size as returned by `os.wait4` for that child alone, which on Linux also covers any process the
child started and waited for: one number per contender, not a running maximum over all of them
as `getrusage(RUSAGE_CHILDREN)` would give.

Its whole-process counterpart is `bench ingest_process`: the `armazem ingest` command against a
dlt pipeline script, each timed from spawn to exit, imports included.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pymysql

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SIZES = [int(s) for s in os.environ.get("BENCH_ROWS", "1000000,10000000").split(",")]
TIME_LIMIT = float(os.environ.get("BENCH_TIME_LIMIT", "600"))

DATABASE = "armazem_bench"
MYSQL_URL = f"mysql://root@127.0.0.1:3306/{DATABASE}"
SQLALCHEMY_URL = f"mysql+pymysql://root@127.0.0.1:3306/{DATABASE}"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_WAREHOUSE = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
SALES_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    id BIGINT PRIMARY KEY, order_id BIGINT, customer_id INT, product_id INT, quantity INT,
    unit_price DECIMAL(10,2), status VARCHAR(16), created_at DATETIME)"""
CHUNK = 1_000_000  # rows generated and loaded at a time
NEW_ROWS = 10_000  # the incremental load
STATUSES = np.array(["completed", "cancelled", "pending", "shipped", "returned"])
# The armazem contract of the table, as `_shop_table` builds one (order_lines' rules).
COLUMNS = {"id": "BIGINT", "order_id": "BIGINT", "customer_id": "INTEGER",
           "product_id": "INTEGER", "quantity": "INTEGER", "unit_price": "DECIMAL(10,2)",
           "status": "VARCHAR", "created_at": "TIMESTAMP"}  # fmt: skip
RULES = {"quantity is not positive": "quantity > 0",
         "unit_price is missing or negative": "unit_price >= 0"}  # fmt: skip
PHASES = ("watermark lookup", "read (waiting on ConnectorX)", "validate (DuckDB contract)",
          "Parquet write", "lake commit (close, sha256, rename)", "warehouse insert")  # fmt: skip


class NotAvailable(Exception):
    """The contender cannot run on this machine or this version; reported as n/a."""


# --- the source table ------------------------------------------------------------------------


def table_name(rows: int) -> str:
    """`sales_1m`, `sales_10m`, `sales_250k`, or `sales_<rows>`."""
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if rows % size == 0:
            return f"sales_{rows // size}{unit}"
    return f"sales_{rows}"


def mysql(database: str | None = DATABASE) -> pymysql.Connection:
    return pymysql.connect(
        host="127.0.0.1", port=3306, user="root", password="", database=database,
        local_infile=True, autocommit=True,
    )  # fmt: skip


def ensure_sales(rows: int) -> dict[str, Any]:
    """Make `sales_<size>` hold exactly ids 1..rows, generating only what is missing."""
    started = time.perf_counter()
    with contextlib.closing(mysql(None)) as con, con.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        table = table_name(rows)
        cur.execute(SALES_DDL.format(table=table))
        cur.execute(f"DELETE FROM {table} WHERE id > %s", [rows])  # a stopped incremental run
        cur.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {table}")
        count, highest = cur.fetchone()
        if count != highest:
            cur.execute(f"TRUNCATE TABLE {table}")
            count = 0
        generated = rows - count
        for start in range(count + 1, rows + 1, CHUNK):
            load_csv(cur, table, generate(start, min(start + CHUNK, rows + 1)))
        cur.execute(f"SELECT count(*) FROM {table}")  # also warms the OS cache for every reader
        (final,) = cur.fetchone()
    if final != rows:
        raise RuntimeError(f"{table} holds {final} rows, not {rows}")
    return {"table": table, "generated": generated, "seconds": time.perf_counter() - started}


def generate(start: int, stop: int) -> pa.Table:
    """Sales rows with ids start..stop-1; the same ids always get the same values."""
    n = stop - start
    rng = np.random.default_rng(start)
    ids = np.arange(start, stop, dtype=np.int64)
    seconds = ids * 30 + rng.integers(0, 30, n)
    return pa.table({
        "id": ids,
        "order_id": ids // 3 + 1,
        "customer_id": rng.integers(1, 200_000, n, dtype=np.int32),
        "product_id": rng.integers(1, 5_000, n, dtype=np.int32),
        "quantity": rng.integers(1, 10, n, dtype=np.int32),
        "unit_price": rng.integers(100, 100_000, n) / 100,  # exact in CSV: shortest repr
        "status": STATUSES[rng.integers(0, len(STATUSES), n)],
        "created_at": np.datetime64("2020-01-01T00:00:00", "s") + seconds.astype("m8[s]"),
    })  # fmt: skip


def load_csv(cur: pymysql.cursors.Cursor, table: str, rows: pa.Table) -> None:
    with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
        options = pcsv.WriteOptions(include_header=False, quoting_style="none")
        pcsv.write_csv(rows, csv.name, options)
        cur.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} FIELDS TERMINATED BY ','", [csv.name]
        )


# --- the contenders (each runs in a child process) --------------------------------------------


def read_connectorx(rows: int, work: Path, partitions: int = 1) -> dict[str, Any]:
    """The read limit: the whole table into one Arrow table, nothing else."""
    import connectorx as cx

    options = {"partition_on": "id", "partition_num": partitions} if partitions > 1 else {}
    started = time.perf_counter()
    arrow = cx.read_sql(
        MYSQL_URL, f"SELECT * FROM {table_name(rows)}", return_type="arrow", **options
    )
    return {"rows": arrow.num_rows, "seconds": time.perf_counter() - started}


def _settings(work: Path, warehouse_url: str | None = None) -> Any:
    from armazem.settings import load_settings

    update: dict[str, Any] = {"data_dir": work / "armazem"}
    if warehouse_url:
        update["warehouse_url"] = warehouse_url
    return load_settings(REPO / "examples/softcart/armazem.toml").model_copy(update=update)


def _source_table(rows: int, phases: dict[str, float]) -> Any:
    """The table as armazem sees it: like `_shop_table("order_lines", "append", ...,
    partition=True)`, read from MariaDB in two id ranges; waits on the reader are timed."""
    from armazem.ingest import sql
    from armazem.ingest.contracts import Contract
    from armazem.ingest.sources import SourceTable

    def read(settings: Any, since: str | None) -> Iterator[Any]:
        where = f"id > {int(since)}" if since is not None else None
        batches = sql.read_table(
            MYSQL_URL, table_name(rows), COLUMNS, ("id",), settings.batch_size, where,
            partition_on="id", partitions=2,
        )  # fmt: skip
        return _timed_iter(batches, phases, PHASES[1])

    # sales.id is the table's PRIMARY KEY, as for the shop tables in ingest/sources.py.
    contract = Contract(COLUMNS, ("id",), tuple(COLUMNS), RULES, key_enforced_by_source=True)
    return SourceTable("bench", "sales", contract, read, "append", "id")


def _timed_iter(items: Iterator[Any], phases: dict[str, float], phase: str) -> Iterator[Any]:
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            phases[phase] += time.perf_counter() - started
            return
        phases[phase] += time.perf_counter() - started
        yield item


def _instrument(phases: dict[str, float], warehouse: Any) -> None:
    """Time the engine's phases by wrapping its methods in this (child) process only."""
    from armazem.ingest import pipeline

    def timed(owner: Any, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phases[phase] += time.perf_counter() - started

        setattr(owner, name, wrapper)

    timed(warehouse, "watermark", PHASES[0])
    timed(pipeline.Validator, "split", PHASES[2])
    timed(pipeline.LakeLoad, "write", PHASES[3])
    timed(pipeline.LakeLoad, "quarantine", PHASES[3])
    timed(pipeline.LakeLoad, "commit", PHASES[4])
    timed(warehouse, "apply", PHASES[5])


def _load(rows: int, work: Path, warehouse_url: str | None = None) -> dict[str, Any]:
    """One `load_table` of the bench table; full on an empty warehouse, else incremental."""
    from armazem.ingest.pipeline import load_table, new_load_id
    from armazem.warehouse import open_warehouse

    settings = _settings(work, warehouse_url)
    warehouse = open_warehouse(settings)
    if warehouse_url and getattr(warehouse, "kind", "duckdb") == "duckdb":
        raise NotAvailable("no PostgreSQL warehouse yet")
    phases = dict.fromkeys(PHASES, 0.0)
    table = _source_table(rows, phases)
    _instrument(phases, warehouse)
    result = load_table(settings, warehouse, table, new_load_id())
    if result.quarantined:
        raise RuntimeError(f"{result.quarantined} rows quarantined")
    other = result.seconds - sum(phases.values())
    return {
        "rows": result.loaded, "seconds": result.seconds, "mode": result.mode,
        "phases": {**{k: round(v, 3) for k, v in phases.items()}, "other": round(other, 3)},
    }  # fmt: skip


def armazem_duckdb(rows: int, work: Path) -> dict[str, Any]:
    """Full load through the engine into the lake and the DuckDB warehouse."""
    outcome = _load(rows, work)
    _check(_count_duckdb(work / "armazem" / "warehouse.duckdb", "raw_bench.sales"), rows)
    return outcome


def armazem_incremental(rows: int, work: Path) -> dict[str, Any]:
    """After `armazem_duckdb` in the same work folder: 10,000 new rows, read above the
    watermark. The new rows are added before the clock starts and removed afterwards."""
    table = table_name(rows)
    with contextlib.closing(mysql()) as con, con.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} SELECT id + %s, order_id + %s, customer_id, product_id, "
            f"quantity, unit_price, status, created_at + INTERVAL 1 DAY FROM {table} "
            f"WHERE id <= %s",
            [rows, rows, NEW_ROWS],
        )
        try:
            outcome = _load(rows, work)
        finally:
            cur.execute(f"DELETE FROM {table} WHERE id > %s", [rows])
    if outcome["mode"] != "append" or outcome["rows"] != NEW_ROWS:
        raise RuntimeError(f"incremental load took {outcome['rows']} rows, not {NEW_ROWS}")
    _check(_count_duckdb(work / "armazem" / "warehouse.duckdb", "raw_bench.sales"), rows + NEW_ROWS)
    return outcome


def armazem_postgres(rows: int, work: Path) -> dict[str, Any]:
    """Full load into a PostgreSQL warehouse (a fresh `armazem_bench` database each run)."""
    import psycopg

    from armazem.errors import ArmazemError

    _reset_postgres_database()
    try:
        outcome = _load(rows, work, POSTGRES_WAREHOUSE)
    except ArmazemError as exc:
        raise NotAvailable("no PostgreSQL warehouse yet", str(exc)) from None
    with psycopg.connect(POSTGRES_WAREHOUSE) as con:
        _check(con.execute("SELECT count(*) FROM raw_bench.sales").fetchone()[0], rows)
    return outcome


def _reset_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {DATABASE}")


def dlt_load(rows: int, work: Path, backend: str = "pyarrow") -> dict[str, Any]:
    """dlt's `sql_table` with its Arrow backends, full load (replace) into a DuckDB file."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    import dlt
    from dlt.sources.sql_database import sql_table

    started = time.perf_counter()
    kwargs = {"return_type": "arrow_stream"} if backend == "connectorx" else None
    source = sql_table(
        credentials=SQLALCHEMY_URL, table=table_name(rows), backend=backend,
        chunk_size=100_000, backend_kwargs=kwargs,
    )  # fmt: skip
    target = work / f"dlt-{backend}.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{backend}", destination=dlt.destinations.duckdb(str(target)),
        dataset_name="bench", pipelines_dir=str(work / f"dlt-{backend}"),
    )  # fmt: skip
    pipeline.run(source, write_disposition="replace")
    seconds = time.perf_counter() - started
    count = _count_duckdb(target, f"bench.{table_name(rows)}")
    return {"rows": count, "seconds": seconds}


def pandas_load(rows: int, work: Path) -> dict[str, Any]:
    """`pd.read_sql` over SQLAlchemy + pymysql, then into DuckDB. duckdb_engine is not a
    dependency, so not `to_sql`: the frame is registered and copied by CREATE TABLE AS."""
    import duckdb
    import pandas as pd
    import sqlalchemy

    started = time.perf_counter()
    engine = sqlalchemy.create_engine(SQLALCHEMY_URL)
    frame = pd.read_sql(f"SELECT * FROM {table_name(rows)}", engine)
    with contextlib.closing(duckdb.connect(str(work / "pandas.duckdb"))) as con:
        con.register("frame", frame)
        con.execute("CREATE OR REPLACE TABLE sales AS SELECT * FROM frame")
    seconds = time.perf_counter() - started
    return {"rows": _count_duckdb(work / "pandas.duckdb", "sales"), "seconds": seconds}


def _check(count: int, expected: int) -> None:
    if count != expected:
        raise RuntimeError(f"the warehouse holds {count:,} rows, not {expected:,}")


def _count_duckdb(path: Path, table: str) -> int:
    import duckdb

    with contextlib.closing(duckdb.connect(str(path), read_only=True)) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    run: Callable[[int, Path], dict[str, Any]]
    needs: str | None = None  # a contender whose success this one builds on


CONTENDERS = (
    Contender("cx", "ConnectorX → Arrow (read limit)", read_connectorx),
    Contender("cx2", "ConnectorX → Arrow, 2 partitions", partial(read_connectorx, partitions=2)),
    Contender("armazem", "armazem → lake + DuckDB", armazem_duckdb),
    Contender("armazem_inc", f"armazem incremental +{NEW_ROWS:,}", armazem_incremental, "armazem"),
    Contender("armazem_pg", "armazem → lake + PostgreSQL", armazem_postgres),
    Contender(
        "dlt_pyarrow", "dlt sql_table pyarrow → DuckDB", partial(dlt_load, backend="pyarrow")
    ),
    Contender(
        "dlt_cx", "dlt sql_table connectorx → DuckDB", partial(dlt_load, backend="connectorx")
    ),
    Contender("pandas", "pandas read_sql → DuckDB", pandas_load),
)
BY_KEY = {c.key: c for c in CONTENDERS}


def child(key: str, rows: int, work: Path, out: Path) -> None:
    """A child's whole life: run one contender, write its outcome as JSON."""
    try:
        outcome = {"status": "ok", **BY_KEY[key].run(rows, work)}
    except NotAvailable as exc:
        outcome = {"status": f"n/a ({exc.args[0]})", "detail": exc.args[1:]}
    out.write_text(json.dumps(outcome, default=str))
    if outcome["status"] == "ok" and outcome["rows"] != rows and key != "armazem_inc":
        raise SystemExit(f"{key} loaded {outcome['rows']} rows, not {rows}")


# --- the parent -------------------------------------------------------------------------------


def measure(contender: Contender, rows: int, work: Path) -> dict[str, Any]:
    """Run one contender in a child process; its outcome, wall time and peak memory."""
    out = work / f"{contender.key}.json"
    log = work / f"{contender.key}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    # dlt as it runs where Airflow is not installed: otherwise its first configuration lookup
    # imports Airflow to look for secrets (~6 s, inside the timed load; see ingest_process).
    env["PROVIDERS__ENABLE_AIRFLOW_SECRETS"] = "false"
    env["AIRFLOW_HOME"] = str(work / "airflow")
    command = [sys.executable, "-m", "bench.ingest_peers", "child", contender.key, str(rows),
               str(work), str(out)]  # fmt: skip
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=REPO / "examples/softcart", env=env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        status, usage, timed_out = _wait(process, started + TIME_LIMIT)
    row: dict[str, Any] = {"key": contender.key, "contender": contender.label, "rows": rows,
                           "wall_seconds": round(time.perf_counter() - started, 2),
                           "peak_mib": round(usage.ru_maxrss / 1024),
                           "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
                           "load_average": round(os.getloadavg()[0], 1)}  # fmt: skip
    if timed_out:
        return {**row, "status": f"timeout (> {TIME_LIMIT:.0f} s)"}
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return {**row, "status": "oom (killed by SIGKILL)"}
    if out.exists():
        row.update(json.loads(out.read_text()))
    if os.waitstatus_to_exitcode(status) != 0:
        row["status"] = "error: " + _last_line(log)
    return row


def _wait(process: subprocess.Popen, deadline: float, poll: float = 0.05) -> tuple[int, Any, bool]:
    """wait4 the child (its own rusage), killing its process group at the deadline."""
    timed_out = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, usage, timed_out
        if not timed_out and time.perf_counter() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            timed_out = True
        time.sleep(poll)


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def run_size(rows: int) -> dict[str, Any]:
    source = ensure_sales(rows)
    print(f"source {DATABASE}.{source['table']}: {rows:,} rows ready in {source['seconds']:.1f} s "
          f"({source['generated']:,} generated)", flush=True)  # fmt: skip
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ingest-peers-") as tmp:
        for contender in CONTENDERS:
            needed = next((r for r in results if r["key"] == contender.needs), None)
            if needed is not None and needed["status"] != "ok":
                row = {"key": contender.key, "contender": contender.label, "rows": rows,
                       "status": f"skipped ({contender.needs} failed)"}  # fmt: skip
            else:
                row = measure(contender, rows, Path(tmp))
            print(f"  {contender.label}: {_brief(row)}", flush=True)
            results.append(row)
    return {"rows": rows, "source": source, "results": _with_ratios(results)}


def _brief(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return row["status"]
    return f"{row['seconds']:.2f} s, {row['peak_mib']} MiB"


def _with_ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """rows/s per contender, and as a ratio to the best raw read and to dlt's best backend."""
    for row in results:
        if row["status"] == "ok":
            row["seconds"] = round(row["seconds"], 3)
            row["rows_per_s"] = round(row["rows"] / row["seconds"])
    raw = _best(results, ("cx", "cx2"))
    dlt = _best(results, ("dlt_pyarrow", "dlt_cx"))
    for row in results:
        if "rows_per_s" in row and row["key"] != "armazem_inc":  # not the same rows: no ratio
            row["vs_raw"] = round(row["rows_per_s"] / raw, 2) if raw else None
            row["vs_dlt"] = round(row["rows_per_s"] / dlt, 2) if dlt else None
    return results


def _best(results: list[dict[str, Any]], keys: tuple[str, ...]) -> float | None:
    rates = [r["rows_per_s"] for r in results if r["key"] in keys and "rows_per_s" in r]
    return max(rates) if rates else None


def targets(size: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, met or None if not measured, the measured value)."""
    by = {r["key"]: r for r in size["results"]}
    full, inc = by.get("armazem", {}), by.get("armazem_inc", {})
    checks: list[tuple[str, bool | None, str]] = []
    vs_raw, vs_dlt = full.get("vs_raw"), full.get("vs_dlt")
    checks.append(("armazem ≥ 60 % of raw read rate", _ge(vs_raw, 0.6), f"{vs_raw}"))
    checks.append(("armazem ≥ 3x dlt's fastest backend", _ge(vs_dlt, 3.0), f"{vs_dlt}"))
    if size["rows"] >= 10_000_000:
        peak = full.get("peak_mib")
        ok = None if peak is None or full.get("status") != "ok" else peak < 1024
        checks.append(("armazem peak < 1 GiB at 10 M rows", ok, f"{peak} MiB"))
        seconds = inc.get("seconds") if inc.get("status") == "ok" else None
        ok = None if seconds is None else seconds < 2
        checks.append((f"incremental {NEW_ROWS:,} into 10 M < 2 s", ok, f"{seconds} s"))
    return checks


def _ge(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


HEADER = ("contender", "rows", "seconds", "rows/s", "peak MiB", "vs raw", "vs dlt best", "CPU s",
          "load")  # fmt: skip


def table_rows(size: dict[str, Any]) -> list[tuple[str, ...]]:
    lines = []
    for r in size["results"]:
        if r["status"] == "ok":
            lines.append((r["contender"], f"{r['rows']:,}", f"{r['seconds']:.2f}",
                          f"{r['rows_per_s']:,}", str(r["peak_mib"]), _ratio(r.get("vs_raw")),
                          _ratio(r.get("vs_dlt")), str(r["cpu_seconds"]),
                          str(r["load_average"])))  # fmt: skip
        else:
            peak = str(r.get("peak_mib", "-"))
            cpu, load = str(r.get("cpu_seconds", "-")), str(r.get("load_average", "-"))
            lines.append(
                (r["contender"], f"{r['rows']:,}", r["status"], "-", peak, "-", "-", cpu, load)
            )
    return lines


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_size(size: dict[str, Any]) -> None:
    lines = [HEADER, *table_rows(size)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    print()
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
    _print_phases(size)
    for target, ok, value in targets(size):
        verdict = {True: "MET", False: "MISSED", None: "not measured"}[ok]
        print(f"  target {target}: {value} → {verdict}")
    print(flush=True)


def _print_phases(size: dict[str, Any]) -> None:
    for r in size["results"]:
        if r["key"].startswith("armazem") and "phases" in r:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
            print(f"  {r['contender']} phases (s): {parts}")


def markdown(sizes: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    out = [f"# Ingestion against its peers ({meta['generated_at']})", "",
           f"`{meta['command']}` on {meta['machine']}; MariaDB {meta['mariadb']}.", ""]  # fmt: skip
    for size in sizes:
        out += [f"## {size['rows']:,} rows", "", "| " + " | ".join(HEADER) + " |",
                "|" + "---|" * len(HEADER)]  # fmt: skip
        out += ["| " + " | ".join(line) + " |" for line in table_rows(size)]
        out += [""] + [f"- {t}: {v} → {'MET' if ok else 'MISSED' if ok is False else 'n/a'}"
                       for t, ok, v in targets(size)] + [""]  # fmt: skip
        for r in size["results"]:
            if "phases" in r:
                parts = ", ".join(f"{k} {v:.2f} s" for k, v in r["phases"].items())
                out.append(f"- {r['contender']} phases: {parts}")
        out.append("")
    out += [NOTES, "", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
            ""]  # fmt: skip
    return "\n".join(out)


NOTES = """Seconds: each contender's own work, timed inside its child process after its imports
(connection, read, load, commit). rows/s: rows / seconds. Peak MiB: the child's maximum resident
set (`os.wait4`). vs raw: rows/s over the faster ConnectorX read; vs dlt best: over dlt's faster
backend. CPU s: the child's user + system CPU time, whole process (MariaDB's share is not in
it). load: the machine's 1-minute load average when the contender ended (2 cores, shared
with other work: above 2 means the numbers are slowed by it). dlt: `sql_table`, chunk_size
100,000, connectorx backend streaming (`return_type="arrow_stream"`), write_disposition replace.
pandas: `read_sql` over SQLAlchemy + pymysql, then `register` + CREATE TABLE AS in DuckDB
(duckdb_engine is not installed, so not `to_sql`). armazem: `load_table` with a contract like
order_lines' (every column required, quantity > 0, unit_price >= 0), append on id, 2 partitions;
incremental: 10,000 rows above the watermark after the full load."""


def metadata() -> dict[str, Any]:
    names = ("armazem", "connectorx", "duckdb", "pyarrow", "dlt", "pandas", "sqlalchemy",
             "pymysql", "numpy", "psycopg", "adbc-driver-postgresql")  # fmt: skip
    versions = {}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    with contextlib.closing(mysql(None)) as con, con.cursor() as cur:
        cur.execute("SELECT version()")
        (mariadb,) = cur.fetchone()
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": f"BENCH_ROWS={','.join(map(str, SIZES))} python -m bench ingest_peers",
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "mariadb": mariadb, "versions": versions, "time_limit_s": TIME_LIMIT,
    }  # fmt: skip


def main() -> None:
    meta = metadata()
    sizes = []
    for rows in sorted(SIZES):
        sizes.append(run_size(rows))
        print_size(sizes[-1])
    RESULTS.mkdir(exist_ok=True)
    document = {**meta, "sizes": sizes}
    (RESULTS / "ingest_peers.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (RESULTS / "ingest_peers.md").write_text(markdown(sizes, meta))


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        _, _, key, rows, work, out = sys.argv
        child(key, int(rows), Path(work), Path(out))
    else:
        main()
