"""A real Airflow, started by `armazem airflow` on loopback for a new project: its scheduled run,
two backfilled days (with a load killed by SIGKILL and retried), the same days backfilled again,
and a run triggered through the REST API. The warehouse holds exactly the loaded windows, then
everything, never a duplicate."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from tests.orchestrate.clinic import DAYS, VISITS_PER_DAY, make_clinic, visit_time

from armazem.errors import ArmazemError
from armazem.orchestrate.airflow.home import AirflowHome
from armazem.settings import load_settings

DAG = "armazem_clinic"
pytestmark = pytest.mark.slow


def free_port() -> int:
    """A free port P with P+1 and P+2 free too (Airflow's log servers take them)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65000 and all(_free(port + k) for k in (1, 2)):
            return port
    raise RuntimeError("no three free ports in a row")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


class Airflow:
    """The REST API of the Airflow under test."""

    def __init__(self, url: str, password: str) -> None:
        login = {"username": "admin", "password": password}
        token = httpx.post(f"{url}/auth/token", json=login).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        self.client = httpx.Client(base_url=f"{url}/api/v2", timeout=30, headers=headers)

    def get(self, path: str, **params: object) -> dict:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def runs(self) -> list[dict]:
        return self.get(f"/dags/{DAG}/dagRuns", limit=100)["dag_runs"]

    def wait(self, done, what: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {self.runs()}")
            time.sleep(2)

    def settled(self) -> bool:
        runs = self.runs()
        assert all(r["state"] != "failed" for r in runs), runs
        return bool(runs) and all(r["state"] == "success" for r in runs)

    def backfill_done(self) -> bool:
        backfills = self.get("/backfills", dag_id=DAG)["backfills"]
        return bool(backfills) and all(b["completed_at"] for b in backfills) and self.settled()

    def backfill(self, project: Path, *options: str) -> None:
        """`airflow backfill create` of 2026-01-02 and 01-03. Under load, SQLite may refuse it
        ("database is locked") after or before it committed: look before trying again."""
        before = self.get("/backfills", dag_id=DAG)["total_entries"]
        home = AirflowHome(load_settings(project), port=0)
        for _ in range(5):
            try:
                home.airflow("backfill", "create", "--dag-id", DAG, "--from-date", "2026-01-02",
                             "--to-date", "2026-01-03", *options, idempotent=False)  # fmt: skip
                return
            except ArmazemError as exc:
                if "locked" not in str(exc):
                    raise
                if self.get("/backfills", dag_id=DAG)["total_entries"] > before:
                    return
                time.sleep(2)
        raise AssertionError("the backfill could not be created: the metadata stayed locked")

    def retried(self) -> list[dict]:
        instances = self.get(f"/dags/{DAG}/dagRuns/~/taskInstances", limit=100)
        return [t for t in instances["task_instances"] if t["try_number"] > 1]


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Airflow, Path, Path]]:
    folder = tmp_path_factory.mktemp("airflow")
    project = make_clinic(folder)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARMAZEM_", "AIRFLOW"))}
    # The first load to reach this point dies by SIGKILL, once: Airflow must retry it.
    env["ARMAZEM_FAILPOINT"] = f"after-lake-commit@{folder / 'killed'}"
    log = (folder / "airflow.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "armazem", "airflow", "--port", str(port)], cwd=project, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, (folder / "airflow.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Airflow did not answer within 300 s"
            time.sleep(2)
        printed = (folder / "airflow.log").read_text().splitlines()[0]
        password = json.loads((project / "data/airflow/passwords.json").read_text())["admin"]
        assert f"login: admin / {password}" in printed and url in printed
        yield Airflow(url, password), project, folder
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: stops every component
        try:
            process.wait(timeout=90)
        finally:
            os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
            log.close()


def warehouse(project: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tables(project: Path) -> dict[str, list[tuple]]:
    names = ("raw_clinic.visits", "raw_desk.checkins", "production.fct_visits")
    return {name: warehouse(project, f"SELECT * FROM {name} ORDER BY ALL") for name in names}


def test_backfills_load_exactly_their_days_and_survive_a_killed_task(airflow) -> None:
    api, project, folder = airflow
    api.wait(lambda: any(r["run_type"] == "scheduled" for r in api.runs()), "the first run")
    api.wait(api.settled, "the scheduled run")  # the day before today: no visits in it
    api.backfill(project)
    api.wait(api.backfill_done, "the backfill")

    visits = [v for (v,) in warehouse(project, "SELECT visit_id FROM raw_clinic.visits")]
    assert sorted(visit_time(v).day for v in visits) == [2] * VISITS_PER_DAY + [3] * VISITS_PER_DAY
    assert len(set(visits)) == len(visits)
    files = warehouse(project, "SELECT DISTINCT source_file FROM raw_desk.checkins ORDER BY 1")
    assert files == [("checkins-2026-01-02.csv",), ("checkins-2026-01-03.csv",)]
    assert warehouse(project, "SELECT count(*) FROM production.fct_visits") == [(len(visits),)]
    # the kill happened, and the killed try was tried again
    assert (folder / "killed").is_file()
    assert any(t["task_id"].startswith("ingest_") and t["state"] == "success"
               for t in api.retried())  # fmt: skip


def test_backfilling_the_same_days_again_changes_nothing(airflow) -> None:
    api, project, _ = airflow
    before = tables(project)
    loads = warehouse(project, "SELECT count(*) FROM _armazem.loads")[0][0]
    api.backfill(project, "--reprocess-behavior", "completed")
    api.wait(api.backfill_done, "the second backfill")
    assert warehouse(project, "SELECT count(*) FROM _armazem.loads")[0][0] > loads  # it ran
    assert tables(project) == before


def test_a_run_triggered_through_the_api_loads_the_rest(airflow) -> None:
    api, project, _ = airflow
    response = api.client.post(f"/dags/{DAG}/dagRuns", json={"logical_date": None})
    assert response.status_code == 200, response.text
    api.wait(api.settled, "the triggered run")
    visits = warehouse(project, "SELECT count(*), count(DISTINCT visit_id) FROM raw_clinic.visits")
    assert visits == [(DAYS * VISITS_PER_DAY, DAYS * VISITS_PER_DAY)]  # no gap, no duplicate
    assert warehouse(project, "SELECT count(*) FROM raw_desk.checkins") == [(DAYS * 5,)]
    assert warehouse(project, "SELECT count(*) FROM production.fct_visits") == [
        (DAYS * VISITS_PER_DAY,)
    ]
    steps = warehouse(project, "SELECT DISTINCT step FROM _armazem.runs WHERE status = 'success'")
    assert {s for (s,) in steps} >= {"ingest_clinic.visits", "transform", "audit", "publish"}
