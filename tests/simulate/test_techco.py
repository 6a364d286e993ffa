"""TechCo's simulator: deterministic, the size asked for, the edge cases the marts must handle,
systems that agree with one another, and a Git hosting API served over a real socket."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest

import armazem.simulate.techco as techco
from armazem.ingest import http_api
from armazem.settings import Settings
from armazem.simulate.techco import engineering, githost, helpdesk, people
from armazem.simulate.techco.reference import HISTORY_END

SCALE = 0.05


def settings_for(root: Path, scale: float = SCALE, seed: int = 42) -> Settings:
    urls = {n: f"sqlite:///{{data_dir}}/sources/{n}.sqlite" for n in techco.DATABASES}
    return Settings(base_dir=root, seed=seed, scale=scale, connections=urls)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = settings_for(tmp_path_factory.mktemp("techco"))
    techco.create(settings)
    return settings


def query(settings: Settings, system: str, sql: str) -> list[tuple]:
    path = settings.local_file(settings.connections[system])
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def test_same_seed_same_company_and_another_seed_another() -> None:
    first, again, other = (people.workforce(s, SCALE) for s in (7, 7, 8))
    assert not np.array_equal(
        first.salaries["annual_salary"][:20], other.salaries["annual_salary"][:20]
    )
    for name in ("employments", "positions", "salaries"):
        for column, values in getattr(first, name).items():
            other_values = getattr(again, name)[column]
            if values.dtype.kind == "M":  # NaT is not equal to itself: compare the raw ticks
                values, other_values = values.view(np.int64), other_values.view(np.int64)
            nan = values.dtype.kind == "f"
            assert np.array_equal(values, other_values, equal_nan=nan), (name, column)
    git = [engineering.githost(s, SCALE, people.workforce(s, SCALE)) for s in (7, 7, 8)]
    assert np.array_equal(git[0]["commits"]["sha"], git[1]["commits"]["sha"])
    assert not np.array_equal(git[0]["commits"]["sha"][:50], git[2]["commits"]["sha"][:50])


def test_scale_one_is_about_800_employees_over_three_years() -> None:
    force = people.workforce(42, 1.0)
    active = people.employed_on(force.employments, np.datetime64(HISTORY_END, "D")).sum()
    assert 720 <= active <= 880
    start = people.employed_on(force.employments, np.datetime64("2023-01-01")).sum()
    assert start < active, "the company grows"


def test_hr_has_a_rehire_a_renamed_department_and_every_kind_of_exit(company: Settings) -> None:
    rehired = query(company, "hr", "SELECT worker_id FROM employments WHERE is_rehire = 1")
    assert len(rehired) == 1
    (worker,) = rehired[0]
    spells = query(
        company,
        "hr",
        f"SELECT hire_date, termination_date FROM employments "
        f"WHERE worker_id = {worker} ORDER BY hire_date",
    )
    assert len(spells) == 2 and spells[0][1] is not None and spells[0][1] < spells[1][0]
    names = query(
        company,
        "hr",
        "SELECT department_id, name FROM department_names "
        "WHERE department_id IN (SELECT department_id FROM department_names "
        "GROUP BY department_id HAVING count(*) > 1) ORDER BY valid_from",
    )
    assert [n for _, n in names] == ["Customer Care", "Customer Support"]
    kinds = dict(
        query(
            company,
            "hr",
            "SELECT termination_kind, count(*) FROM employments "
            "WHERE termination_kind IS NOT NULL GROUP BY 1",
        )
    )
    assert kinds.keys() == {"voluntary", "involuntary"}
    assert query(company, "hr", "SELECT count(*) FROM employments WHERE is_regrettable = 1")[0][0]
    moves = dict(query(company, "hr", "SELECT reason, count(*) FROM positions GROUP BY 1"))
    assert moves["transfer"] > 0 and moves["promotion"] > 0


def test_payroll_journals_agree_with_hr_salaries(company: Settings) -> None:
    """Each month's payroll line per department = a twelfth of the salaries in effect on the
    month's last day of everyone employed that day, computed here from HR's own tables."""
    hr = company.local_file(company.connections["hr"])
    for month_end in ("2023-06-30", "2024-12-31", "2025-11-30"):
        with sqlite3.connect(hr) as con:
            expected = dict(
                con.execute(f"""
                WITH active AS (SELECT DISTINCT worker_id FROM employments
                                WHERE hire_date <= '{month_end}' AND (termination_date IS NULL
                                      OR termination_date >= '{month_end}')),
                pay AS (SELECT s.worker_id, round(s.annual_salary / 12, 2) AS monthly
                        FROM salaries s WHERE s.effective_date = (
                            SELECT max(effective_date) FROM salaries x
                            WHERE x.worker_id = s.worker_id AND x.effective_date <= '{month_end}')),
                dept AS (SELECT p.worker_id, p.department_id FROM positions p
                         WHERE p.valid_from = (SELECT max(valid_from) FROM positions x
                             WHERE x.worker_id = p.worker_id AND x.valid_from <= '{month_end}'))
                SELECT d.department_id, round(sum(p.monthly), 2) FROM active a
                JOIN pay p USING (worker_id) JOIN dept d USING (worker_id)
                GROUP BY 1""").fetchall()
            )
        booked = dict(
            query(
                company,
                "finance",
                f"""
            SELECT l.department_id, round(sum(l.debit), 2) FROM journal_lines l
            JOIN journal_entries e USING (journal_entry_id)
            WHERE e.kind = 'payroll' AND e.entry_date = '{month_end}' AND l.debit > 0
            GROUP BY 1""",
            )
        )
        assert booked == pytest.approx(expected, abs=0.011), month_end
        assert len(booked) >= 8


def test_the_ledger_balances_and_has_late_entries(company: Settings) -> None:
    ((debit, credit),) = query(
        company, "finance", "SELECT sum(debit), sum(credit) FROM journal_lines"
    )
    assert debit == pytest.approx(credit)
    unbalanced = query(
        company,
        "finance",
        "SELECT journal_entry_id FROM journal_lines GROUP BY 1 "
        "HAVING abs(sum(debit) - sum(credit)) > 0.001",
    )
    assert unbalanced == []
    late = query(
        company,
        "finance",
        "SELECT count(*) FROM journal_entries "
        "WHERE julianday(posted_at) - julianday(entry_date) > 5",
    )[0][0]
    assert late > 0
    tagged = query(
        company,
        "finance",
        "SELECT count(*) FROM journal_lines "
        "WHERE project_id IS NOT NULL AND department_id IS NOT NULL",
    )[0][0]
    assert tagged > 0


def test_engineering_has_the_edge_cases_of_dora(company: Settings) -> None:
    no_review = query(
        company,
        "githost",
        "SELECT count(*) FROM pulls p WHERE NOT EXISTS "
        "(SELECT 1 FROM reviews r WHERE r.pull_id = p.pull_id)",
    )[0][0]
    assert no_review > 0
    repeated = query(
        company,
        "githost",
        "SELECT body FROM issues WHERE labels = 'incident' GROUP BY body HAVING count(*) > 1",
    )
    assert repeated and all("root cause: " in b for (b,) in repeated)
    # A successful deployment ships every commit landed since the repository's previous one.
    several = query(
        company,
        "githost",
        """
        WITH ok AS (SELECT d.deployment_id, d.repository_id, c.committed_at AS head_at
                    FROM deployments d JOIN commits c ON c.sha = d.sha
                    JOIN deployment_statuses s ON s.deployment_id = d.deployment_id
                    WHERE s.state = 'success'),
        spans AS (SELECT deployment_id, repository_id, head_at, lag(head_at) OVER (
                      PARTITION BY repository_id ORDER BY head_at, deployment_id) AS prev_at
                  FROM ok)
        SELECT count(*) FROM spans s JOIN commits c ON c.repository_id = s.repository_id
        AND c.committed_at <= s.head_at AND c.committed_at > s.prev_at
        GROUP BY s.deployment_id HAVING count(*) > 1""",
    )
    assert len(several) > 10
    failed = query(
        company, "githost", "SELECT count(*) FROM deployment_statuses WHERE state = 'failure'"
    )[0][0]
    assert failed > 0


def test_tracker_export_has_reopened_issues_and_worklogs(company: Settings) -> None:
    folder = company.sources_path / "tracker"
    changes = json.loads((folder / "changelog.json").read_text())["values"]
    assert any(c["fromString"] == "Done" and c["toString"] == "Reopened" for c in changes)
    issues = json.loads((folder / "issues.json").read_text())["issues"]
    ids = {i["id"] for i in issues}
    assert {c["issueId"] for c in changes} <= ids
    logs = json.loads((folder / "worklogs.json").read_text())["worklogs"]
    assert logs and all(w["timeSpentSeconds"] > 0 for w in logs)


def test_helpdesk_exports_carry_real_mess_and_edge_cases(company: Settings) -> None:
    folder = company.sources_path / "helpdesk"
    raw = (folder / "tickets_2024-03.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"ticket_priority" in raw.splitlines()[0]
    assert b"priority" in (folder / "tickets_2024-04.csv").read_bytes().splitlines()[0]
    assert b'"It stopped working.\r\nPlease help."' in raw or b'"It stopped working.\nPlease' in raw
    history = (folder / "status_history_2024-05.csv").read_text("utf-8-sig")
    assert "open" in history and "solved" in history
    # Tickets open across a daylight-saving change, and replies outside business hours.
    zone = ZoneInfo(helpdesk.SUPPORT_TIMEZONE)
    rows = query_csv(folder, "comments_2024-03.csv")
    local = [datetime.fromisoformat(r[2].replace("Z", "+00:00")).astimezone(zone) for r in rows]
    assert any(t.hour < helpdesk.OPEN_HOUR or t.hour >= helpdesk.CLOSE_HOUR for t in local)
    offsets = {t.utcoffset() for t in local}
    assert len(offsets) == 2, "March 2024 has comments on both sides of the DST change"


def query_csv(folder: Path, name: str) -> list[list[str]]:
    import csv

    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_advance_only_adds(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    techco.create(settings)
    folder = settings.sources_path / "helpdesk"
    before = {p.name: p.read_bytes() for p in folder.glob("*_2025-0*.csv")}
    commits_before = query(settings, "githost", "SELECT sha FROM commits ORDER BY sha")
    changed = techco.advance(settings.model_copy(update={"scale": 1.0}), 10)  # scale ignored
    assert changed["last_day"] == "2026-01-10"
    assert techco.current_day(settings) == date(2026, 1, 10)
    assert {p.name: p.read_bytes() for p in folder.glob("*_2025-0*.csv")} == before
    assert sorted(folder.glob("tickets_2026-01-*.csv"))
    commits_after = query(settings, "githost", "SELECT sha FROM commits ORDER BY sha")
    assert set(commits_before) < set(commits_after)
    assert len(commits_after) < len(commits_before) * 1.05, "the same small company moved on"
    with pytest.raises(Exception, match="simulated up to"):
        techco.advance(settings, 400)


def test_the_git_api_paginates_limits_rates_and_fails_now_and_then(company: Settings) -> None:
    database = company.local_file(company.connections["githost"])
    (commits,) = query(company, "githost", "SELECT count(*) FROM commits")[0]
    (incidents,) = query(
        company, "githost", "SELECT count(*) FROM issues WHERE labels = 'incident'"
    )[0]
    with githost.serving(database, fault_every=5) as api:
        first = httpx.get(f"{api.url}/pulls", params={"per_page": 10})
        if first.status_code == 200:
            assert 'rel="next"' in first.headers["Link"]
            assert int(first.headers["X-RateLimit-Remaining"]) < githost.RATE_LIMIT
        read = list(
            http_api.read_api(
                f"{api.url}/commits",
                {"sha": "sha"},
                None,
                10_000,
                "cursor",
                "data",
                {"per_page": 500},
            )
        )
        shas = [s for b in read for s in b.rows["sha"].to_pylist()]
        assert len(shas) == len(set(shas)) == commits
        read = list(
            http_api.read_api(
                f"{api.url}/issues",
                {"id": "id", "body": "body"},
                None,
                10_000,
                "link",
                "data",
                {"labels": "incident", "per_page": 50},
            )
        )
        bodies = [b for batch in read for b in batch.rows["body"].to_pylist()]
        assert len(bodies) == incidents and all("root cause: " in b for b in bodies)
        assert api.faults >= 2, "the server answered 500 and 429 and the reader tried again"
        statuses = set()
        for _ in range(10):
            statuses.add(httpx.get(f"{api.url}/repos").status_code)
        assert {200, 500, 429} <= statuses
