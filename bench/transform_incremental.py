"""An incremental `armazem transform` against a full rebuild, at a given scale, per engine.

For each engine: `armazem run` from an empty data directory, then `armazem simulate --advance 1`
and `armazem ingest`, then `armazem transform` (incremental) and `armazem transform
--full-refresh` on the same data; both timed as whole commands (build, audit, publish).
BENCH_SCALE (default 1) and BENCH_ENGINES (default "duckdb,postgresql") choose.
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


def armazem(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "armazem", *args], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - started


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
        incremental = armazem(env, "transform")
        full = armazem(env, "transform", "--full-refresh")
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
    }


def main() -> None:
    rows = []
    for engine in ENGINES:
        with tempfile.TemporaryDirectory() as data:
            rows.append(measure(engine, data))
    print(f"{'engine':<11} {'scale':>5} {'incremental s':>14} {'full s':>7} {'ratio':>6}"
          "   target: incremental < 20 % of full")  # fmt: skip
    for row in rows:
        print(f"{row['engine']:<11} {row['scale']:>5} {row['incremental_s']:>14} "
              f"{row['full_s']:>7} {row['ratio']:>6}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "transform_incremental.json").write_text(json.dumps(rows, indent=2) + "\n")
