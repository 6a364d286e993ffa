"""An incremental `armazem transform` against a full rebuild, at a given scale, per engine.

For each engine: `armazem run` from an empty data directory, then `armazem simulate --advance 1`
and `armazem ingest`, then SoftCart's Spark jobs on the lake and the ingest of their outputs (what
`armazem run` does between ingest and transform: without them the audit rightly finds the web
sessions behind the new web requests), then `armazem transform` (incremental) and `armazem
transform --full-refresh` on the same data; both timed as whole commands (build, the Spark job on
the marts, audit, publish, published copies), and each step as the run records it in
`_armazem.runs`. Between them, `armazem transform` again with nothing new (`rerun`): what a
retried or too-early scheduled run costs. BENCH_SCALE (default 1) and BENCH_ENGINES (default
"duckdb,postgresql") choose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "softcart"
SCALE = os.environ.get("BENCH_SCALE", "1")
ENGINES = os.environ.get("BENCH_ENGINES", "duckdb,postgresql").split(",")
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
LAKE_JOBS = ("web_analytics", "search_terms")  # SoftCart's Spark jobs on the lake
LAKE_JOB_OUTPUTS = "spark"  # the source that loads their outputs (`after: spark`)
_LAST_RUN = (
    "SELECT step, CAST(EXTRACT(EPOCH FROM ended_at - started_at) AS DOUBLE PRECISION) "
    "FROM _armazem.runs WHERE run_id = (SELECT run_id FROM _armazem.runs "
    "ORDER BY started_at DESC LIMIT 1) ORDER BY started_at"
)


def armazem(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "armazem", *args], env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"armazem {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - started


def steps(env: dict[str, str]) -> dict[str, float]:
    """Seconds per step of the latest run, as `_armazem.runs` recorded them."""
    url = env.get("ARMAZEM_WAREHOUSE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as con:
            rows = con.execute(_LAST_RUN).fetchall()
    else:
        import duckdb

        con = duckdb.connect(str(Path(env["ARMAZEM_DATA_DIR"]) / "warehouse.duckdb"), True)
        try:
            rows = con.execute(_LAST_RUN).fetchall()
        finally:
            con.close()
    return {step: round(float(seconds), 2) for step, seconds in rows}


def measure(engine: str, data: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env["ARMAZEM_DATA_DIR"] = data
    env["ARMAZEM_PROJECT"] = str(EXAMPLE)  # the SoftCart example project
    database = f"armazem_bench_{uuid.uuid4().hex[:8]}"
    if engine == "postgresql":
        env["ARMAZEM_WAREHOUSE_URL"] = f"{POSTGRES}/{database}"
    try:
        armazem(env, "run", "--scale", SCALE)
        armazem(env, "simulate", "--advance", "1")
        armazem(env, "ingest")
        for job in LAKE_JOBS:
            armazem(env, "spark", job, "--json")
        armazem(env, "ingest", LAKE_JOB_OUTPUTS)
        incremental = armazem(env, "transform")
        incremental_steps = steps(env)
        rerun = armazem(env, "transform")
        rerun_steps = steps(env)
        full = armazem(env, "transform", "--full-refresh")
        full_steps = steps(env)
    finally:
        if engine == "postgresql":
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c",
                            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
                           capture_output=True)  # fmt: skip
    return {
        "engine": engine,
        "scale": float(SCALE),
        "incremental_s": round(incremental, 1),
        "full_s": round(full, 1),
        "ratio": round(incremental / full, 2),
        "rerun_s": round(rerun, 1),
        "rerun_ratio": round(rerun / full, 2),
        "incremental_steps": incremental_steps,
        "rerun_steps": rerun_steps,
        "full_steps": full_steps,
    }


def main() -> None:
    rows = []
    for engine in ENGINES:
        with tempfile.TemporaryDirectory() as data:
            rows.append(measure(engine, data))
    print(f"{'engine':<11} {'scale':>5} {'incremental s':>14} {'rerun s':>8} {'full s':>7} "
          f"{'ratio':>6}   target: incremental < 20 % of full")  # fmt: skip
    for row in rows:
        print(f"{row['engine']:<11} {row['scale']:>5} {row['incremental_s']:>14} "
              f"{row['rerun_s']:>8} {row['full_s']:>7} {row['ratio']:>6}")  # fmt: skip
        for step, seconds in row["incremental_steps"].items():  # type: ignore[union-attr]
            rerun = row["rerun_steps"].get(step, "-")  # type: ignore[union-attr]
            full = row["full_steps"].get(step, "-")  # type: ignore[union-attr]
            print(f"    {step:<16} {seconds:>12} {rerun:>8} {full:>7}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "transform_incremental.json").write_text(json.dumps(rows, indent=2) + "\n")
