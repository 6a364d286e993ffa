"""Capstone module 5b: the lab's `process_web_log` DAG run through Airflow on the real access
log, and the figures of what it wrote."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from armazem.capstone import capstone_file
from armazem.errors import ArmazemError
from armazem.settings import Settings

DAG_FILE = Path(__file__).with_name("airflow_dags.py")
DAG_ID = "process_web_log"
DAG_IDS = (DAG_ID, "capstone_sync")  # the DAGs of DAG_FILE
LOG = "softcart-airflow/accesslog.txt"


def run(settings: Settings) -> dict[str, Any]:
    """Run `process_web_log` once (Airflow's dag.test, in a process of its own, on the
    project's Airflow home) and describe its three files."""
    from armazem.orchestrate.airflow.home import AirflowHome

    log = capstone_file(settings, LOG)
    folder = settings.data_path / "capstone" / "weblog"
    home = AirflowHome(settings, extra_dags=(DAG_FILE,))
    state = home.run_dag(DAG_ID, conf={"log": str(log), "folder": str(folder)})
    if state != "success":
        raise ArmazemError(f"the DAG {DAG_ID} ended {state}",
                           f"see its task logs under {home.path / 'logs'}")  # fmt: skip
    with log.open("rb") as handle:
        lines_in = sum(1 for _ in handle)
    kept = (folder / "transformed_data.txt").read_text(encoding="utf-8").splitlines()
    with tarfile.open(folder / "weblog.tar") as archive:
        members = archive.getnames()
    return {
        "lines_in": lines_in,
        "lines_out": len(kept),
        "distinct_ips": len(set(kept)),
        "archive": str(folder / "weblog.tar"),
        "archive_members": members,
    }
