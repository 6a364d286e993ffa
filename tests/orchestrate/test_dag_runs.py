"""A DAG run through Airflow (dag.test, in a process of its own): a failing step is retried with
back-off, each failed try recorded in `_armazem.runs` with its error, and nothing published."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.orchestrate.clinic import make_clinic

from armazem.orchestrate.airflow.home import AirflowHome
from armazem.settings import load_settings


@pytest.mark.slow
def test_a_failing_step_is_retried_then_recorded_as_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("ARMAZEM_")]:
        monkeypatch.delenv(name)
    project = make_clinic(tmp_path)
    (project / "transform" / "models" / "fct_visits.sql").write_text(
        "select visit_id, no_such_column from {{ source('clinic', 'visits') }}"
    )
    assert AirflowHome(load_settings(project)).run_dag("armazem_clinic") == "failed"
    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    runs = con.execute("SELECT step, status, error FROM _armazem.runs ORDER BY started_at, "
                       "ended_at").fetchall()  # fmt: skip
    schemas = con.sql("SELECT schema_name FROM information_schema.schemata").fetchall()
    con.close()
    transform = [(status, error) for step, status, error in runs if step == "transform"]
    assert [status for status, _ in transform] == ["retrying", "retrying", "failed"]
    assert all("no_such_column" in error for _, error in transform)
    loads = {step: status for step, status, _ in runs if step.startswith("ingest_")}
    assert loads == dict.fromkeys(
        ["ingest_clinic.doctors", "ingest_clinic.visits", "ingest_desk.checkins"], "success"
    )
    assert not {step for step, _, _ in runs} & {"audit", "publish"}
    assert ("production",) not in schemas
