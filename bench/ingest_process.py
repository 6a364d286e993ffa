"""Whole-process ingestion: the `armazem ingest` command against a dlt pipeline script.

`python -m bench ingest_process` (BENCH_ROWS="1000000,3000000,10000000" chooses the sizes, all
three by default; BENCH_RUNS the rounds, 3 by default; BENCH_TIME_LIMIT the seconds one process
may take, 600 by default).

The in-process counterpart is `bench ingest_peers`, which times each contender's own work after
its imports; here every contender is a whole process, timed from spawn to exit, imports and
start-up included, as a user running it from a shell or a scheduler would see it:

- armazem: `python -m armazem --project DIR ingest --json` on a minimal project (armazem.toml
  and one `sources/shop.yml` declaring the table exactly as SoftCart declares `order_lines`),
  embedded profile (a DuckDB warehouse, a local lake), a fresh data folder every run;
- dlt: a pipeline script, `sql_table` with the connectorx backend (dlt's fastest) into a DuckDB
  file, write_disposition replace, a fresh pipelines folder every run; at 1 M rows also the
  default pyarrow backend;
- raw read: `python -c` reading the table into Arrow with ConnectorX, nothing else (the limit).

The source is `armazem_bench.order_lines_<size>` in the local MariaDB, with the MariaDB shape
SoftCart's shop database gives `order_lines` (primary key, indexes on order_id and created_at)
and the simulator's values (its products' prices and Zipf-like popularity, 1 + Poisson(1.5)
lines per order, quantities 1-5); generated once with numpy → CSV → `LOAD DATA LOCAL INFILE`
and reused while it holds exactly ids 1..N.

Each round runs every contender once, in turn (armazem, dlt, raw, armazem, dlt, raw, ...), so
that a change of the machine's load falls on all of them. Peak memory is the process's maximum
resident set size as `os.wait4` returns it, which also covers any process it waited for.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import yaml

from bench.ingest_peers import _count_duckdb, _last_line, _wait, load_csv, mysql

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SIZES = [int(s) for s in os.environ.get("BENCH_ROWS", "1000000,3000000,10000000").split(",")]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TIME_LIMIT = float(os.environ.get("BENCH_TIME_LIMIT", "600"))
PYARROW_UP_TO = 1_000_000  # dlt's pyarrow backend takes ~10 s per million rows: 1 M only

DATABASE = "armazem_bench"
MYSQL_URL = f"mysql://root@127.0.0.1:3306/{DATABASE}"
SQLALCHEMY_URL = f"mysql+pymysql://root@127.0.0.1:3306/{DATABASE}"
SHOP_YML = REPO / "examples/softcart/sources/shop.yml"
# The MariaDB DDL of SoftCart's shop database (armazem.simulate.softcart.store) for order_lines.
ORDER_LINES_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    order_line_id BIGINT NOT NULL, order_id BIGINT NOT NULL, product_id INT NOT NULL,
    quantity INT, unit_price DECIMAL(10,2), created_at DATETIME NOT NULL,
    PRIMARY KEY (order_line_id), INDEX ix_order_id (order_id), INDEX ix_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""
CHUNK = 1_000_000  # rows generated and loaded at a time (a multiple of 5: see `generate`)
SEED, PRODUCTS = 42, 2_000  # SoftCart's seed and its product count at scale 1
HISTORY_START = np.datetime64("2019-01-01T00:00:00", "s")
SECONDS_PER_ORDER = 23  # 4 M orders (10 M lines) span SoftCart's three years of history
MiB = 1024 * 1024


# --- the source table ------------------------------------------------------------------------


def table_name(rows: int) -> str:
    """`order_lines_1m`, `order_lines_250k`, or `order_lines_<rows>`."""
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if rows % size == 0:
            return f"order_lines_{rows // size}{unit}"
    return f"order_lines_{rows}"


def ensure_order_lines(rows: int) -> dict[str, Any]:
    """Make `order_lines_<size>` hold exactly ids 1..rows, generating only what is missing."""
    started = time.perf_counter()
    table = table_name(rows)
    with contextlib.closing(mysql(None)) as con, con.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        cur.execute(ORDER_LINES_DDL.format(table=table))
        cur.execute(f"DELETE FROM {table} WHERE order_line_id > %s", [rows])
        cur.execute(f"SELECT count(*), coalesce(max(order_line_id), 0) FROM {table}")
        count, highest = cur.fetchone()
        if count != highest or (count % CHUNK and count != rows):  # a partial chunk: start over
            cur.execute(f"TRUNCATE TABLE {table}")
            count = 0
        generated = rows - count
        prices, popularity = _products()
        for start in range(count + 1, rows + 1, CHUNK):
            stop = min(start + CHUNK, rows + 1)
            load_csv(cur, table, generate(start, stop, prices, popularity))
        cur.execute(f"SELECT count(*) FROM {table}")  # also warms the OS cache for every reader
        (final,) = cur.fetchone()
    if final != rows:
        raise RuntimeError(f"{table} holds {final} rows, not {rows}")
    return {"table": table, "generated": generated, "seconds": time.perf_counter() - started}


def _products() -> tuple[np.ndarray, np.ndarray]:
    """SoftCart's product prices and the share of order lines each product gets."""
    from armazem.simulate.softcart.company import product_popularity, products

    prices = products(SEED, PRODUCTS)["price"].to_numpy()
    return prices, product_popularity(SEED, PRODUCTS)


def generate(start: int, stop: int, prices: np.ndarray, popularity: np.ndarray) -> pa.Table:
    """Order lines with ids start..stop-1, a pure function of (start, stop): lines are spread
    over 2 orders per 5 lines of the chunk (2.5 lines per order on average, as in SoftCart), so
    the chunks' order ids never overlap; an order's lines share its time."""
    n = stop - start
    rng = np.random.default_rng([SEED, start])
    orders = max(1, n * 2 // 5)
    first_order = (start - 1) * 2 // 5 + 1
    line_order = np.sort(rng.integers(0, orders, n))
    order_ids = first_order + line_order
    order_seconds = np.arange(first_order, first_order + orders) * SECONDS_PER_ORDER
    order_seconds += rng.integers(0, SECONDS_PER_ORDER, orders)
    product = rng.choice(PRODUCTS, n, p=popularity)
    return pa.table({
        "order_line_id": np.arange(start, stop, dtype=np.int64),
        "order_id": order_ids.astype(np.int64),
        "product_id": (product + 1).astype(np.int32),
        "quantity": rng.choice([1, 2, 3, 4, 5], n, p=[0.55, 0.22, 0.11, 0.07, 0.05]).astype(
            np.int32
        ),
        "unit_price": prices[product],  # two decimals: exact in CSV (shortest repr)
        "created_at": HISTORY_START + order_seconds[line_order].astype("m8[s]"),
    })  # fmt: skip


# --- the contenders: each one whole process ---------------------------------------------------


def armazem_project(folder: Path, rows: int) -> Path:
    """A minimal project: the bench database as `shop`, its one table declared as SoftCart
    declares order_lines (only `source_table` added: the table of this size)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "armazem.toml").write_text(
        'profile = "embedded"\ndata_dir = "data"\n\n'
        '[project]\nname = "bench"\n\n'
        '[profiles.embedded]\nwarehouse_url = "duckdb:///{data_dir}/warehouse.duckdb"\n\n'
        f'[connections]\nshop = "{MYSQL_URL}"\n'
    )
    shop = yaml.safe_load(SHOP_YML.read_text())
    declaration = {**shop["tables"]["order_lines"], "source_table": table_name(rows)}
    source = {"kind": "sql", "connection": "shop", "tables": {"order_lines": declaration}}
    (folder / "sources").mkdir(exist_ok=True)
    (folder / "sources" / "shop.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    return folder


DLT_SCRIPT = '''"""A dlt pipeline: one MariaDB table into a DuckDB file, replaced."""
import json
import sys
import time

import dlt
from dlt.sources.sql_database import sql_table

started = time.perf_counter()
url, table, backend, target, pipelines = sys.argv[1:]
kwargs = {"return_type": "arrow_stream"} if backend == "connectorx" else None
source = sql_table(credentials=url, table=table, backend=backend, chunk_size=100_000,
                   backend_kwargs=kwargs)
pipeline = dlt.pipeline(pipeline_name="bench_" + backend,
                        destination=dlt.destinations.duckdb(target), dataset_name="bench",
                        pipelines_dir=pipelines)
pipeline.run(source, write_disposition="replace")
print(json.dumps({"seconds": time.perf_counter() - started}))
'''

RAW_SCRIPT = """import json, sys, time
import connectorx as cx
started = time.perf_counter()
arrow = cx.read_sql(sys.argv[1], sys.argv[2], return_type="arrow")
print(json.dumps({"rows": arrow.num_rows, "seconds": time.perf_counter() - started}))"""


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    up_to: int | None = None  # the largest size it runs at


CONTENDERS = (
    Contender("armazem", "armazem ingest (process)"),
    Contender("dlt_cx", "dlt sql_table connectorx (process)"),
    Contender("raw", "ConnectorX → Arrow (process, read limit)"),
    Contender("dlt_pyarrow", "dlt sql_table pyarrow (process)", PYARROW_UP_TO),
)


def command(key: str, rows: int, work: Path, folder: Path) -> tuple[list[str], Path | None]:
    """The process to run, and the DuckDB file it loads (None for the raw read)."""
    python = sys.executable
    if key == "armazem":
        project = armazem_project(folder, rows)
        return [python, "-m", "armazem", "--project", str(project), "ingest", "--json"], (
            project / "data" / "warehouse.duckdb"
        )
    if key.startswith("dlt_"):
        backend = "connectorx" if key == "dlt_cx" else "pyarrow"
        target = folder / f"dlt-{backend}.duckdb"
        args = [SQLALCHEMY_URL, table_name(rows), backend, str(target), str(folder / "pipelines")]
        return [python, str(work / "dlt_pipeline.py"), *args], target
    return [python, "-c", RAW_SCRIPT, MYSQL_URL, f"SELECT * FROM {table_name(rows)}"], None


def environment(work: Path) -> dict[str, str]:
    """The processes' environment: armazem's defaults (no ARMAZEM_ overrides), and dlt as it
    runs where Airflow is not installed. Airflow is installed here (armazem's orchestration):
    dlt would import it at its first configuration lookup to look for Airflow secrets, which
    costs it ~6 s and writes an Airflow home; the setting below is dlt's own switch for that."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), str(REPO)]))
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    env["PROVIDERS__ENABLE_AIRFLOW_SECRETS"] = "false"
    env["AIRFLOW_HOME"] = str(work / "airflow")  # should anything still import Airflow
    return env


def measure(contender: Contender, rows: int, work: Path, run: int) -> dict[str, Any]:
    """Run one contender's process; wall time from spawn to exit, peak memory, rows loaded."""
    folder = work / f"{contender.key}-{run}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    args, target = command(contender.key, rows, work, folder)
    printed, log = folder / "stdout.txt", folder / "stderr.txt"
    with printed.open("wb") as out, log.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            args, cwd=folder, env=environment(work), stdout=out, stderr=err, start_new_session=True
        )
        status, usage, timed_out = _wait(process, started + TIME_LIMIT, poll=0.005)
        wall = time.perf_counter() - started
    row: dict[str, Any] = {"key": contender.key, "run": run, "wall_seconds": round(wall, 3),
                           "peak_mib": round(usage.ru_maxrss / 1024),
                           "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                           "load_average": round(os.getloadavg()[0], 1)}  # fmt: skip
    try:
        if timed_out:
            return {**row, "status": f"timeout (> {TIME_LIMIT:.0f} s)"}
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            return {**row, "status": "oom (killed by SIGKILL)"}
        if os.waitstatus_to_exitcode(status) != 0:
            return {**row, "status": "error: " + _last_line(log)}
        try:
            return {**row, **_outcome(contender.key, printed, target, rows)}
        except (ValueError, KeyError) as exc:
            return {**row, "status": f"error: unexpected output ({exc})"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # up to a GiB at 10 M rows: not kept


def _outcome(key: str, stdout: Path, target: Path | None, rows: int) -> dict[str, Any]:
    """What the process printed (its own timing after imports) and the rows it loaded."""
    text = stdout.read_text(errors="replace")
    start = text.find("\n{") + 1 if not text.startswith("{") else 0
    printed = json.loads(text[start:])
    if key == "armazem":
        (load,) = printed["loads"]
        if load["quarantined"]:
            return {"status": f"error: {load['quarantined']} rows quarantined"}
        inner = load["seconds"]
    else:
        inner = printed["seconds"]
    if target is None:
        loaded = printed["rows"]
    else:
        table = "raw_shop.order_lines" if key == "armazem" else f"bench.{table_name(rows)}"
        loaded = _count_duckdb(target, table)
    if loaded != rows:
        return {"status": f"error: {loaded:,} rows loaded, not {rows:,}", "rows": loaded}
    return {"status": "ok", "rows": loaded, "inner_seconds": round(inner, 3)}


# --- the rounds and the summary ----------------------------------------------------------------


def run_size(rows: int) -> dict[str, Any]:
    source = ensure_order_lines(rows)
    print(f"source {DATABASE}.{source['table']}: {rows:,} rows ready in {source['seconds']:.1f} s "
          f"({source['generated']:,} generated)", flush=True)  # fmt: skip
    contenders = [c for c in CONTENDERS if c.up_to is None or rows <= c.up_to]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ingest-process-") as tmp:
        work = Path(tmp)
        (work / "dlt_pipeline.py").write_text(DLT_SCRIPT)
        for run in range(1, RUNS + 1):
            for contender in contenders:
                row = measure(contender, rows, work, run)
                print(f"  round {run}, {contender.label}: {_brief(row)}", flush=True)
                runs.append(row)
    return {"rows": rows, "source": source, "runs": runs, "summary": summarize(contenders, runs)}


def _brief(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"{row['status']} ({row['wall_seconds']:.2f} s)"
    return (f"{row['wall_seconds']:.2f} s ({row['inner_seconds']:.2f} s after start-up), "
            f"{row['peak_mib']} MiB")  # fmt: skip


def summarize(contenders: list[Contender], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per contender: best and median wall time of its good runs, its highest peak, and the
    ratios dlt median / its median and raw median / its median."""
    summary = []
    for contender in contenders:
        mine = [r for r in runs if r["key"] == contender.key]
        good = [r for r in mine if r["status"] == "ok"]
        row: dict[str, Any] = {"key": contender.key, "contender": contender.label,
                               "runs": len(mine), "ok": len(good)}  # fmt: skip
        if mine:
            row["peak_mib"] = max(r["peak_mib"] for r in mine)
            row["failures"] = sorted({r["status"] for r in mine if r["status"] != "ok"})
        if good:
            walls = [r["wall_seconds"] for r in good]
            median = statistics.median(walls)
            inner = statistics.median(r["inner_seconds"] for r in good)
            row.update(
                best_seconds=round(min(walls), 3), median_seconds=round(median, 3),
                inner_median_seconds=round(inner, 3),
                startup_median_seconds=round(median - inner, 3),
                cpu_median_seconds=round(statistics.median(r["cpu_seconds"] for r in good), 2),
                load_max=max(r["load_average"] for r in good),
            )  # fmt: skip
        summary.append(row)
    medians = {r["key"]: r.get("median_seconds") for r in summary}
    for row in summary:
        mine = row.get("median_seconds")
        for name, other in (("vs_dlt", medians.get("dlt_cx")), ("vs_raw", medians.get("raw"))):
            row[name] = round(other / mine, 2) if mine and other else None
    return summary


def targets(size: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, met or None if not measured, the measured value)."""
    armazem = next((r for r in size["summary"] if r["key"] == "armazem"), {})
    vs_dlt, peak = armazem.get("vs_dlt"), armazem.get("peak_mib")
    measured = armazem.get("ok", 0) > 0
    return [
        ("armazem ≥ 3x dlt, whole process (median)", None if vs_dlt is None else vs_dlt >= 3,
         f"{vs_dlt}"),
        ("armazem peak < 1 GiB", None if not measured else peak < 1024, f"{peak} MiB"),
    ]  # fmt: skip


HEADER = ("contender", "runs ok", "best s", "median s", "after start-up s", "start-up s",
          "peak MiB", "vs dlt", "vs raw", "CPU s", "load")  # fmt: skip


def table_rows(size: dict[str, Any]) -> list[tuple[str, ...]]:
    lines = []
    for r in size["summary"]:
        runs = f"{r['ok']}/{r['runs']}"
        peak = str(r.get("peak_mib", "-"))
        if not r["ok"]:
            failure = "; ".join(r.get("failures", [])) or "not run"
            lines.append((r["contender"], runs, failure, "-", "-", "-", peak, "-", "-", "-", "-"))
            continue
        lines.append((r["contender"], runs, f"{r['best_seconds']:.2f}",
                      f"{r['median_seconds']:.2f}", f"{r['inner_median_seconds']:.2f}",
                      f"{r['startup_median_seconds']:.2f}", peak, _ratio(r["vs_dlt"]),
                      _ratio(r["vs_raw"]), f"{r['cpu_median_seconds']:.1f}",
                      str(r["load_max"])))  # fmt: skip
    return lines


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _verdict(ok: bool | None) -> str:
    return {True: "MET", False: "MISSED", None: "not measured"}[ok]


def print_size(size: dict[str, Any]) -> None:
    lines = [HEADER, *table_rows(size)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    print(f"\n{size['rows']:,} rows, {RUNS} round(s)")
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
    for target, ok, value in targets(size):
        print(f"  target {target}: {value} → {_verdict(ok)}")
    print(flush=True)


def markdown(sizes: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    out = [f"# Whole-process ingestion: armazem against dlt ({meta['generated_at']})", "",
           f"`{meta['command']}` on {meta['machine']}; MariaDB {meta['mariadb']}.", ""]  # fmt: skip
    for size in sizes:
        out += [f"## {size['rows']:,} rows", "", "| " + " | ".join(HEADER) + " |",
                "|" + "---|" * len(HEADER)]  # fmt: skip
        out += ["| " + " | ".join(line) + " |" for line in table_rows(size)]
        out += [""] + [f"- {t}: {v} → {_verdict(ok)}" for t, ok, v in targets(size)] + [""]
    out += [NOTES, "", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
            ""]  # fmt: skip
    return "\n".join(out)


NOTES = """Every contender is one process, timed from spawn to exit (imports and start-up included),
run in turn within each round (armazem, dlt, raw, then again). best / median s: over the rounds.
after start-up s: the median of what the process itself timed after its imports (armazem: the
table's load seconds from `ingest --json`; dlt: from `sql_table` to the end of `pipeline.run`; raw:
the ConnectorX read); start-up s: median minus that, i.e. interpreter, imports, settings and project
loading (armazem: also its lock and opening the warehouse), exit. Peak MiB: the highest maximum
resident set over the rounds (`os.wait4`, which covers the processes it waited for). vs dlt: dlt
connectorx's median seconds over this one's; vs raw: the raw read's median over this one's (1.00
would be as fast as merely reading the table). CPU s: the process's user + system CPU, median
(MariaDB's share is not in it). load: the highest 1-minute load average seen as a run ended (2
cores: above 2 means other work slowed the numbers). The source: `order_lines` with SoftCart's
MariaDB shape and values, no bad rows (nothing is quarantined). armazem: the embedded profile
(DuckDB warehouse, local lake), SoftCart's order_lines declaration (append on order_line_id,
partitioned read, its contract's rules), a fresh data folder every run: a full first load. dlt:
`sql_table`, chunk_size 100,000, connectorx backend streaming (`return_type="arrow_stream"`),
write_disposition replace into a DuckDB file, a fresh pipelines folder every run; its pyarrow
backend at 1 M rows only. `PROVIDERS__ENABLE_AIRFLOW_SECRETS=false` for dlt: Airflow is installed on
this machine, and dlt would otherwise import it to look for Airflow secrets (~6 s more per process)
as it does wherever Airflow is installed."""


def metadata() -> dict[str, Any]:
    names = ("armazem", "connectorx", "duckdb", "pyarrow", "dlt", "sqlalchemy", "pymysql",
             "numpy")  # fmt: skip
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
        "command": f"BENCH_ROWS={','.join(map(str, SIZES))} BENCH_RUNS={RUNS} "
        "python -m bench ingest_process",
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "mariadb": mariadb, "versions": versions, "runs": RUNS, "time_limit_s": TIME_LIMIT,
    }  # fmt: skip


def main() -> None:
    meta = metadata()
    sizes = []
    for rows in sorted(SIZES):
        sizes.append(run_size(rows))
        print_size(sizes[-1])
    RESULTS.mkdir(exist_ok=True)
    document = {**meta, "sizes": sizes}
    (RESULTS / "ingest_process.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (RESULTS / "ingest_process.md").write_text(markdown(sizes, meta))


if __name__ == "__main__":
    main()
