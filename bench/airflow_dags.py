"""Airflow: how long the DAG processor takes to parse armazem's DAG file for each example project
(target: under 1 s), and what running the SoftCart platform through Airflow costs against
`armazem run` on the same simulated company.

Parse: a fresh process with Airflow already imported (as in the DAG processor) times DagBag over
a dags folder holding only armazem's DAG file; median of BENCH_REPEATS. Overhead: per scale, the
company is simulated once, then each contender runs on a copy of it from an empty warehouse:
`armazem run` (no simulate) and the DAG through `dag.test` (tasks one after the other in one
process, Airflow's SQLite metadata migrated beforehand).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCALES = [float(s) for s in os.environ.get("BENCH_SCALES", "1").split(",")]
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
PARSE = """
import sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
seconds = time.perf_counter() - started
assert not bag.import_errors and bag.dags, bag.import_errors
print(seconds)
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARMAZEM_", "AIRFLOW"))}
    return {**env, **extra}


def parse_seconds(project: Path) -> list[float]:
    from armazem.orchestrate.airflow.home import DAG_FILE

    with tempfile.TemporaryDirectory() as home:
        dags = Path(home) / "dags"
        dags.mkdir()
        shutil.copyfile(DAG_FILE, dags / DAG_FILE.name)
        env = clean_env(AIRFLOW_HOME=home, AIRFLOW__CORE__LOAD_EXAMPLES="False",
                        ARMAZEM_PROJECTS=str(project))  # fmt: skip
        command = [sys.executable, "-c", PARSE, str(dags)]
        runs = [subprocess.run(command, env=env, check=True, capture_output=True, text=True)
                for _ in range(REPEATS)]  # fmt: skip
        return [float(run.stdout.split()[-1]) for run in runs]


def overhead(scale: float) -> dict[str, float]:
    from armazem.orchestrate.airflow.home import AirflowHome
    from armazem.settings import load_settings

    project = EXAMPLES / "softcart"
    with tempfile.TemporaryDirectory() as root:
        company = Path(root) / "company"
        subprocess.run([sys.executable, "-m", "armazem", "simulate", "--scale", str(scale)],
                       env=clean_env(ARMAZEM_DATA_DIR=str(company), ARMAZEM_PROJECT=str(project)),
                       check=True, capture_output=True)  # fmt: skip
        runs = {}
        for contender in ("armazem run", "Airflow dag.test"):
            data = Path(root) / contender.split()[0].lower()
            shutil.copytree(company / "sources", data / "sources")
            if contender == "armazem run":
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "armazem", "run"], check=True,
                               env=clean_env(ARMAZEM_DATA_DIR=str(data),
                                             ARMAZEM_PROJECT=str(project)),
                               capture_output=True)  # fmt: skip
            else:
                home = AirflowHome(load_settings(project).model_copy(update={"data_dir": data}))
                home.prepare()
                home.migrate()
                started = time.perf_counter()
                assert home.run_dag("armazem_softcart") == "success"
            runs[contender] = round(time.perf_counter() - started, 1)
    return {"scale": scale, **runs}


def main() -> None:
    parses = {p.name: parse_seconds(p) for p in sorted(EXAMPLES.iterdir())
              if (p / "armazem.toml").is_file()}  # fmt: skip
    print(f"DAG file parse, median of {REPEATS} (target < 1 s):")
    for name, seconds in parses.items():
        print(f"  {name:<10} {statistics.median(seconds):.2f} s  (all: "
              f"{', '.join(f'{s:.2f}' for s in seconds)})")  # fmt: skip
    rows = [overhead(scale) for scale in SCALES]
    print(f"\n{'scale':>6} {'armazem run s':>14} {'dag.test s':>11} {'ratio':>6}")
    for row in rows:
        ratio = row["Airflow dag.test"] / row["armazem run"]
        print(f"{row['scale']:>6} {row['armazem run']:>14} {row['Airflow dag.test']:>11} "
              f"{ratio:>6.2f}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    result = {"parse_seconds": parses, "runs": rows}
    (RESULTS / "airflow_dags.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
