"""`armazem run`'s ingest of the TechCo example on the embedded profile: every source kind
against its simulated counterpart (SQLite databases, JSON export files, CSV exports with their
faults, the Git hosting API over a real socket), the legacy dados.json with every row accounted
for, and an incremental load after `advance` that equals the systems' contents."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from armazem.orchestrate import steps
from armazem.settings import Settings, load_settings
from armazem.warehouse import open_warehouse

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco"
DADOS = PROJECT / "../../../shared/capstone/seed1-techcompany/dados.json"
SCALE = 0.05
SQL_TABLES = {
    "hr": [
        "departments",
        "department_names",
        "job_profiles",
        "workers",
        "employments",
        "positions",
        "salaries",
    ],
    "finance": [
        "accounts",
        "customers",
        "vendors",
        "invoices",
        "bills",
        "payments",
        "journal_entries",
        "journal_lines",
    ],
}
API_TABLES = {
    "users": "users",
    "repositories": "repositories",
    "commits": "commits",
    "pull_requests": "pulls",
    "reviews": "reviews",
    "deployments": "deployments",
    "deployment_statuses": "deployment_statuses",
}
LEGACY = {
    "departamentos": "Departamentos",
    "projetos": "Projetos",
    "tarefas": "Tarefas",
    "tickets_suporte": "Tickets_Suporte",
    "transacoes_financeiras": "Transacoes_Financeiras",
    "funcionarios": "Funcionarios",
    "fato_funcionarios": "Fato_Funcionarios",
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("techco-data")
    settings = load_settings(PROJECT, "embedded", data_dir=data, scale=SCALE)
    steps.simulate(settings)
    result = steps.load(settings)
    assert all(r.quarantined == 0 for r in result.data), [
        (r.table, r.quarantined) for r in result.data if r.quarantined
    ]
    return settings


def warehouse(settings: Settings, sql: str) -> list[tuple]:
    return open_warehouse(settings).query(sql)


def source(settings: Settings, system: str, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.local_file(settings.connections[system])) as con:
        return con.execute(sql).fetchall()


def csv_rows(folder: Path, pattern: str) -> int:
    total = 0
    for path in folder.glob(pattern):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            total += sum(1 for _ in csv.reader(handle)) - 1
    return total


def expected_counts(settings: Settings) -> dict[str, int]:
    counts = {}
    for system, tables in SQL_TABLES.items():
        for table in tables:
            sql = f"SELECT count(*) FROM {table}"
            counts[f"raw_{system}.{table}"] = source(settings, system, sql)[0][0]
    for raw, table in API_TABLES.items():
        counts[f"raw_githost.{raw}"] = source(settings, "githost", f"SELECT count(*) FROM {table}")[
            0
        ][0]
    counts["raw_githost.incidents"] = source(
        settings, "githost", "SELECT count(*) FROM issues WHERE labels = 'incident'"
    )[0][0]
    tracker = settings.sources_path / "tracker"
    for name, key in (
        ("projects", "values"),
        ("users", "values"),
        ("issues", "issues"),
        ("changelog", "values"),
        ("sprints", "values"),
        ("worklogs", "worklogs"),
    ):
        counts[f"raw_tracker.{name}"] = len(json.loads((tracker / f"{name}.json").read_text())[key])
    helpdesk = settings.sources_path / "helpdesk"
    for name in ("tickets", "comments", "status_history", "satisfaction"):
        counts[f"raw_helpdesk.{name}"] = csv_rows(helpdesk, f"{name}_*.csv")
    for name in ("sla_policies", "schedules", "schedule_holidays"):
        counts[f"raw_helpdesk.{name}"] = csv_rows(helpdesk, f"{name}.csv")
    return counts


def loaded_counts(settings: Settings, names: list[str]) -> dict[str, int]:
    return {name: warehouse(settings, f"SELECT count(*) FROM {name}")[0][0] for name in names}


def test_every_source_row_reaches_the_warehouse(loaded: Settings) -> None:
    expected = expected_counts(loaded)
    assert loaded_counts(loaded, list(expected)) == expected
    assert expected["raw_githost.commits"] > 1000 and expected["raw_helpdesk.comments"] > 1000


def test_the_legacy_export_is_loaded_row_for_row(loaded: Settings) -> None:
    document = json.loads(DADOS.read_text(encoding="utf-8"))
    for table, key in LEGACY.items():
        assert warehouse(loaded, f"SELECT count(*) FROM raw_legacy.{table}")[0][0] == len(
            document[key]
        ), table
    (total,) = warehouse(loaded, "SELECT sum(valor) FROM raw_legacy.transacoes_financeiras")[0]
    assert float(total) == sum(r["Valor"] for r in document["Transacoes_Financeiras"])
    names = warehouse(
        loaded, "SELECT nome_departamento FROM raw_legacy.departamentos ORDER BY departamento_id"
    )
    assert [n for (n,) in names] == [r["Nome_Departamento"] for r in document["Departamentos"]]


def test_csv_mess_and_nested_json_land_as_values(loaded: Settings) -> None:
    renamed = warehouse(
        loaded,
        "SELECT count(*), count(priority) FROM raw_helpdesk.tickets "
        "WHERE source_file = 'tickets_2024-03.csv'",
    )
    assert renamed[0][0] > 0 and renamed[0][0] == renamed[0][1]
    bodies = warehouse(loaded, "SELECT body FROM raw_helpdesk.comments WHERE NOT public LIMIT 1")
    assert "\n" in bodies[0][0]
    quoted = warehouse(
        loaded,
        "SELECT count(*) FROM raw_helpdesk.comments WHERE body = 'Fixed, \"please\" confirm.'",
    )
    assert quoted[0][0] > 0
    teams = warehouse(loaded, "SELECT DISTINCT team FROM raw_githost.repositories ORDER BY 1")
    assert teams == [("platform",), ("product",)]
    statuses = warehouse(loaded, "SELECT DISTINCT status FROM raw_tracker.issues ORDER BY 1")
    assert ("Done",) in statuses
    times = warehouse(
        loaded, "SELECT min(committed_at), max(committed_at) FROM raw_githost.commits"
    )
    assert times[0][0].year == 2023 and times[0][1].year == 2025


def test_an_incremental_load_after_advance_equals_the_systems(loaded: Settings) -> None:
    steps.advance(loaded, 12)
    result = steps.load(loaded)
    assert all(r.quarantined == 0 for r in result.data)
    modes = {r.table: r for r in result.data}
    expected = expected_counts(loaded)
    assert loaded_counts(loaded, list(expected)) == expected
    keys = warehouse(loaded, "SELECT count(*) - count(DISTINCT sha) FROM raw_githost.commits")
    assert keys == [(0,)]
    assert modes  # every table was loaded again, incrementally where it has a cursor
