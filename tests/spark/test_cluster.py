"""A real standalone cluster on 127.0.0.1 (a master and two workers from the installed pyspark):
the web-analytics job runs on it, and when a worker is killed mid-job it still finishes with the
result the local session gives."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

from tests.softcart import PROJECT_DIR

from armazem.settings import Settings
from armazem.spark import cluster as standalone
from armazem.spark import jobs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_job_survives_a_worker_killed_mid_job(lake_settings: Settings, spark: Any) -> None:
    local = jobs.run(lake_settings, "web_analytics")
    local_sessions = sorted(
        tuple(r) for r in spark.read.parquet(
            str(jobs.output_dir(lake_settings, "web_analytics") / "sessions")).collect()
    )  # fmt: skip
    here = standalone.cluster(lake_settings, free_port(), free_port())
    state = standalone.start(here, workers=2)
    try:
        assert state["alive_workers"] == 2 and state["master"] == here.master_url
        data = lake_settings.data_path.parent / "on-cluster"
        data.mkdir()
        for part in ("lake", "sources"):
            (data / part).symlink_to(lake_settings.data_path / part)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
        job = subprocess.Popen(
            [sys.executable, "-m", "armazem", "spark", "web_analytics", "--json",
             "--master", here.master_url],
            cwd=PROJECT_DIR, env={**env, "ARMAZEM_DATA_DIR": str(data),
                                  "ARMAZEM_SPARK_SHUFFLE_PARTITIONS": "8"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not standalone.status(here).get("active_apps") and time.monotonic() < deadline:
            assert job.poll() is None, job.stderr.read() if job.stderr else ""
            time.sleep(0.2)
        assert standalone.status(here)["active_apps"], "the job never reached the cluster"
        time.sleep(2)  # executors have started their tasks
        standalone.kill_worker(here, 1)
        out, err = job.communicate(timeout=600)
        assert job.returncode == 0, err
        assert json.loads(out.splitlines()[-1]) == local
        on_cluster = sorted(
            tuple(r) for r in spark.read.parquet(
                str(jobs.output_dir(lake_settings.model_copy(update={"data_dir": data}),
                                    "web_analytics") / "sessions")).collect()
        )  # fmt: skip
        assert on_cluster == local_sessions
        assert standalone.status(here)["alive_workers"] == 1
    finally:
        standalone.stop(here)
    assert standalone.status(here) == {}
