"""The generated DAG file, parsed by Airflow's DagBag as a scheduler would: no import errors, and
each DAG's structure derived from its project's declarations."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from tests.orchestrate.clinic import make_clinic

from armazem.capstone.weblog import DAG_FILE as CAPSTONE_DAGS
from armazem.orchestrate.airflow import PROJECTS_VARIABLE, platform_dag
from armazem.orchestrate.airflow.home import DAG_FILE
from armazem.project import load_project
from armazem.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SOFTCART = REPO / "examples" / "softcart"


def parse(folder: Path, projects: list[Path]):
    from airflow.dag_processing.dagbag import DagBag

    dags = folder / "dags"
    dags.mkdir()
    for dag_file in (DAG_FILE, CAPSTONE_DAGS):
        shutil.copyfile(dag_file, dags / dag_file.name)
    environment = {PROJECTS_VARIABLE: os.pathsep.join(map(str, projects))}
    with mock.patch.dict(os.environ, environment):
        return DagBag(dag_folder=str(dags))


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dagbag")
    return parse(folder, [SOFTCART, make_clinic(folder)])


def test_the_dag_file_parses_without_errors(bag) -> None:
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"armazem_softcart", "armazem_clinic", "process_web_log",
                                "capstone_sync"}  # fmt: skip


def test_softcart_dag_follows_its_declarations(bag) -> None:
    from airflow.timetables.interval import CronDataIntervalTimetable

    project = load_project(load_settings(SOFTCART))
    dag = bag.dags["armazem_softcart"]
    stage = {None: [], "spark": [], "build": []}
    for name, source in project.sources.items():
        stage[source.after] += [f"ingest_{name}.{table}" for table in source.tables]
    steps = ["spark", "transform", "spark_on_marts", "transform_late", "audit", "publish",
             "publish_copies"]  # fmt: skip
    assert set(dag.task_ids) == {*stage[None], *stage["spark"], *stage["build"], *steps}
    assert len(stage[None]) == 11 and stage["spark"] and stage["build"]

    def downstream(task_id: str) -> set[str]:
        return set(dag.get_task(task_id).downstream_task_ids)

    assert all(downstream(t) == {"spark"} for t in stage[None])
    assert downstream("spark") == set(stage["spark"])
    assert all(downstream(t) == {"transform"} for t in stage["spark"])
    assert downstream("transform") == {"spark_on_marts"}
    assert downstream("spark_on_marts") == set(stage["build"])
    assert all(downstream(t) == {"transform_late"} for t in stage["build"])
    assert downstream("transform_late") == {"audit"}
    assert downstream("audit") == {"publish"} and downstream("publish") == {"publish_copies"}

    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.max_active_runs == 1
    assert set(project.section.tags) <= set(dag.tags) and "armazem" in dag.tags
    for task in dag.tasks:
        assert (task.pool, task.pool_slots) == ("armazem_softcart", 1)  # DuckDB: one writer
        assert task.owner == project.section.owner == "softcart-data"
        assert task.retries == project.schedule.retries
        assert task.retry_exponential_backoff
        assert task.on_failure_callback and task.on_retry_callback
    raw = dag.get_task("ingest_shop.order_lines").outlets
    assert [a.uri for a in raw] == ["armazem://softcart/raw_shop/order_lines"]
    published = {a.uri.rsplit("/", 1)[1] for a in dag.get_task("publish").outlets}
    assert {"fct_sales", "dim_customer", "rpt_sales_forecast"} <= published
    assert not any(m.startswith("stg_") for m in published)


def test_a_project_without_spark_jobs_goes_from_ingest_to_dbt(bag) -> None:
    dag = bag.dags["armazem_clinic"]
    loads = {"ingest_clinic.doctors", "ingest_clinic.visits", "ingest_desk.checkins"}
    assert set(dag.task_ids) == {*loads, "transform", "audit", "publish"}
    assert all(dag.get_task(t).downstream_task_ids == {"transform"} for t in loads)
    task = dag.get_task("ingest_clinic.visits")
    assert (task.retries, task.retry_delay) == (2, timedelta(seconds=1))
    assert dag.start_date.date().isoformat() == "2026-01-01" and not dag.catchup


def test_a_server_warehouse_takes_turns_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARMAZEM_PROFILE", "services")
    dag = platform_dag(SOFTCART)
    assert {(t.pool, t.pool_slots) for t in dag.tasks} == {("armazem_softcart", 1)}


def test_a_bad_declaration_is_an_import_error_naming_its_line(tmp_path: Path) -> None:
    project = make_clinic(tmp_path)
    declaration = project / "sources" / "clinic.yml"
    declaration.write_text(declaration.read_text().replace("mode: merge", "mode: upsert"))
    found = parse(tmp_path, [project])
    assert "armazem_clinic" not in found.dag_ids
    (error,) = found.import_errors.values()
    assert "sources/clinic.yml:8: unknown mode 'upsert'" in error


def test_process_web_log_is_the_labs_dag(bag) -> None:
    dag = bag.dags["process_web_log"]
    assert set(dag.task_ids) == {"extract_data", "transform_data", "load_data"}
    assert dag.get_task("extract_data").downstream_task_ids == {"transform_data"}
    assert dag.get_task("transform_data").downstream_task_ids == {"load_data"}
    assert dag.get_task("load_data").downstream_task_ids == set()
    task = dag.get_task("extract_data")
    assert task.owner == "softcart" and task.email == ["data-team@softcart.example"]
    assert task.start_date.replace(tzinfo=None) == datetime(2026, 1, 1)
    assert dag.timetable.delta == timedelta(days=1)  # daily
    assert set(bag.dags["capstone_sync"].task_ids) == {"sync_warehouse"}
