"""TechCo's marts, each figure checked against a computation of its own from the raw rows:
DORA's four keys for one month (company and one repository) by hand in Python, and the SCD2 of
employees who changed department against HR's positions."""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from armazem.orchestrate import steps
from armazem.settings import Settings, load_settings
from armazem.warehouse import open_warehouse

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco"
MONTH = date(2024, 5, 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("techco-marts")
    settings = load_settings(PROJECT, "embedded", data_dir=data, scale=0.05)
    steps.simulate(settings)
    steps.load(settings)
    steps.build(settings)
    return settings


def rows(settings: Settings, sql: str) -> list[tuple]:
    return open_warehouse(settings).query(sql)


def minutes(start: datetime, end: datetime) -> int:
    return math.floor((end - start).total_seconds() / 60)


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def dora_by_hand(settings: Settings, repository: str | None) -> dict[str, object]:
    """The four keys for MONTH from raw_githost alone (no model), as Four Keys defines them."""
    repos = dict(rows(settings, "SELECT repository_id, full_name FROM raw_githost.repositories"))
    wanted = {r for r, name in repos.items() if repository in (None, name)}
    succeeded = dict(
        rows(
            settings,
            "SELECT deployment_id, min(created_at) FROM "
            "raw_githost.deployment_statuses WHERE state = 'success' GROUP BY 1",
        )
    )
    landed = dict(rows(settings, "SELECT sha, committed_at FROM raw_githost.commits"))
    deployments = [
        (repo, landed[sha], succeeded[d], d)
        for d, repo, sha, env in rows(
            settings,
            "SELECT deployment_id, repository_id, sha, environment FROM raw_githost.deployments",
        )
        if d in succeeded and env == "production"
    ]
    by_repo: dict[int, list[tuple]] = defaultdict(list)
    for repo, head, deployed, d in sorted(deployments, key=lambda x: (x[0], x[1], x[2], x[3])):
        by_repo[repo].append((head, deployed, d))
    # Each commit goes to the first successful deployment whose head landed at or after it.
    shipped: dict[str, tuple[int, datetime]] = {}
    changes_of: dict[int, list[str]] = defaultdict(list)
    authored = {}
    for sha, repo, written, committed in rows(
        settings, "SELECT sha, repository_id, authored_at, committed_at FROM raw_githost.commits"
    ):
        authored[sha] = written
        heads = by_repo[repo]
        at = bisect.bisect_left([h for h, _, _ in heads], committed)
        if at < len(heads):
            shipped[sha] = (heads[at][2], heads[at][1])
            changes_of[heads[at][2]].append(sha)
    incidents = rows(
        settings, "SELECT repository_id, body, created_at, closed_at FROM raw_githost.incidents"
    )
    causes = set()
    restore = []
    for repo, body, opened, closed in incidents:
        cause = re.search(r"root cause: ([0-9a-f]{40})", body).group(1)
        causes.add(cause)
        start = opened
        if cause in shipped and shipped[cause][1] < opened:
            start = shipped[cause][1]
        if repo in wanted and month_of(start) == MONTH and closed is not None:
            restore.append(minutes(start, closed))
    in_month = [
        (repo, head, deployed, d)
        for repo, head, deployed, d in deployments
        if repo in wanted and month_of(deployed) == MONTH
    ]
    lead = [
        minutes(authored[sha], deployed) for _, _, deployed, d in in_month for sha in changes_of[d]
    ]
    with_changes = [d for *_, d in in_month if changes_of[d]]
    failed = [d for d in with_changes if set(changes_of[d]) & causes]
    days = {deployed.date() for _, _, deployed, _ in in_month}
    weeks: dict[date, list[date]] = defaultdict(list)
    day = MONTH
    while day.month == MONTH.month:
        weeks[day - timedelta(days=day.weekday())].append(day)
        day += timedelta(days=1)
    per_week = [sum(d in days for d in week) for week in weeks.values()]
    frequency = (
        "Daily"
        if statistics.median(per_week) >= 3
        else "Weekly"
        if statistics.median([min(n, 1) for n in per_week]) >= 1
        else "Monthly"
        if in_month
        else "Yearly"
    )
    return {
        "deployments": len(in_month),
        "deployment_frequency": frequency,
        "changes_deployed": len(lead),
        "median_lead_time_minutes": statistics.median([x for x in lead if x > 0]),
        "deployments_with_changes": len(with_changes),
        "failed_deployments": len(failed),
        "change_failure_rate": len(failed) / len(with_changes),
        "median_time_to_restore_minutes": statistics.median(restore) if restore else None,
    }


@pytest.mark.parametrize("level", ["company", "repository"])
def test_dora_for_one_month_equals_four_keys_by_hand(built: Settings, level: str) -> None:
    columns = (
        "deployments",
        "deployment_frequency",
        "changes_deployed",
        "median_lead_time_minutes",
        "deployments_with_changes",
        "failed_deployments",
        "change_failure_rate",
        "median_time_to_restore_minutes",
    )
    scope = "all"
    if level == "repository":
        scope = rows(
            built, "SELECT full_name FROM raw_githost.repositories ORDER BY repository_id LIMIT 1"
        )[0][0]
    (found,) = rows(
        built,
        f"SELECT {', '.join(columns)} FROM staging.rpt_dora_monthly "
        f"WHERE month = DATE '{MONTH}' AND level = '{level}' AND scope = '{scope}'",
    )
    expected = dora_by_hand(built, None if scope == "all" else scope)
    assert expected["deployments"] > 0 and expected["failed_deployments"] > 0
    got = dict(zip(columns, found, strict=True))
    for column in columns:
        assert got[column] == pytest.approx(expected[column]), column


def test_several_commits_per_deployment_and_repeated_root_causes(built: Settings) -> None:
    ((several,),) = rows(
        built,
        "SELECT count(*) FROM (SELECT deployment_id FROM "
        "staging.fct_changes WHERE deployment_id IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1) x",
    )
    assert several > 0
    ((repeated,),) = rows(
        built,
        "SELECT count(*) FROM (SELECT root_cause_sha FROM "
        "staging.fct_incidents GROUP BY 1 HAVING count(*) > 1) x",
    )
    assert repeated > 0


def test_dim_employee_versions_follow_hr_positions(built: Settings) -> None:
    movers = rows(
        built, "SELECT DISTINCT worker_id FROM raw_hr.positions WHERE reason = 'transfer'"
    )
    assert movers
    for (worker,) in movers[:5]:
        positions = rows(
            built,
            f"SELECT valid_from, department_id FROM raw_hr.positions "
            f"WHERE worker_id = {worker} ORDER BY valid_from, position_id",
        )
        versions = rows(
            built,
            f"SELECT valid_from, valid_to, department_id, is_current "
            f"FROM staging.dim_employee WHERE worker_id = {worker} "
            "ORDER BY version_number",
        )
        assert [(v[0].date(), v[2]) for v in versions] == positions
        assert [v[1] for v in versions[:-1]] == [v[0] for v in versions[1:]]
        assert [v[3] for v in versions] == [False] * (len(versions) - 1) + [True]
        departments = {d for _, d in positions}
        assert len(departments) >= 2, "a transfer changes the department"
