"""TechCo's marts, each figure checked against a computation of its own from the raw rows:
DORA's four keys for one month (company and one repository) by hand in Python, and the SCD2 of
employees who changed department against HR's positions, and the support figures (business
minutes across daylight saving and holidays, SLA, CSAT, reopens) recomputed ticket by ticket;
one month of people figures and of the P&L by department, from HR and ledger rows; delivery
(throughput, cycle time percentiles, sprint commitment) from the tracker export."""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from armazem.settings import Settings
from armazem.warehouse import open_warehouse

MONTH = date(2024, 5, 1)
ZONE_UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def built(techco: Settings) -> Settings:
    """TechCo at scale 0.05, built once per session (conftest.py) for these tests and the
    pages'."""
    return techco


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


def business_minutes(start: datetime, end: datetime, holidays: set[date]) -> float:
    """Minutes of Monday-Friday 09:00-18:00 New York time between two UTC moments, day by day
    with the zone's own clock (daylight saving included)."""
    zone, utc = ZoneInfo("America/New_York"), ZoneInfo("UTC")
    start_utc, end_utc = start.replace(tzinfo=utc), end.replace(tzinfo=utc)
    total = 0.0
    day = start_utc.astimezone(zone).date() - timedelta(days=1)
    while day <= end_utc.astimezone(zone).date() + timedelta(days=1):
        if day.weekday() < 5 and day not in holidays:
            opens = datetime(day.year, day.month, day.day, 9, tzinfo=zone)
            closes = datetime(day.year, day.month, day.day, 18, tzinfo=zone)
            overlap = (min(end_utc, closes) - max(start_utc, opens)).total_seconds()
            total += max(0.0, overlap) / 60
        day += timedelta(days=1)
    return total


def test_ticket_times_and_sla_equal_a_computation_by_hand(built: Settings) -> None:
    holidays = {d for (d,) in rows(built, "SELECT start_date FROM raw_helpdesk.schedule_holidays")}
    targets = {
        (p, m): t
        for p, m, t in rows(
            built, "SELECT priority, metric, target_minutes FROM raw_helpdesk.sla_policies"
        )
    }
    tickets = rows(
        built,
        "SELECT ticket_id, created_at, priority, requester_id FROM raw_helpdesk.tickets "
        "WHERE created_at >= TIMESTAMPTZ '2024-03-01 00:00:00+00' "
        "AND created_at < TIMESTAMPTZ '2024-04-15 00:00:00+00'",
    )
    comments = defaultdict(list)
    for ticket, created, author, public in rows(
        built, "SELECT ticket_id, created_at, author_id, public FROM raw_helpdesk.comments"
    ):
        comments[ticket].append((created, author, public))
    solved = defaultdict(list)
    for ticket, at, value in rows(
        built, "SELECT ticket_id, updated_at, value FROM raw_helpdesk.status_history"
    ):
        solved[ticket].append((at, value))
    facts = {
        r[0]: r[1:]
        for r in rows(
            built,
            "SELECT ticket_id, first_reply_business_minutes, full_resolution_business_minutes, "
            "first_reply_calendar_minutes, is_first_reply_breached, reopens "
            "FROM staging.fct_tickets",
        )
    }

    def naive(moment: datetime) -> datetime:
        return moment.astimezone(ZONE_UTC).replace(tzinfo=None)

    breached = outside = crossing = 0
    for ticket, created, priority, requester in tickets:
        replies = [c for c, a, p in comments[ticket] if p and a != requester]
        first = naive(min(replies))
        history = sorted(solved[ticket])
        last_solved = naive(max(t for t, v in history if v == "solved"))
        reopens = sum(1 for (_, a), (_, b) in pairwise(history) if a == "solved" and b == "open")
        reply_minutes = business_minutes(naive(created), first, holidays)
        got = facts[ticket]
        assert got[0] == pytest.approx(reply_minutes, abs=1e-6), ticket
        assert got[1] == pytest.approx(business_minutes(naive(created), last_solved, holidays))
        assert got[2] == pytest.approx((first - naive(created)).total_seconds() / 60)
        expected_breach = reply_minutes > targets[(priority, "first_reply_time")]
        assert got[3] == expected_breach
        assert got[4] == reopens
        breached += expected_breach
        outside += reply_minutes == 0
        crossing += naive(created) < datetime(2024, 3, 10, 7) < last_solved
    assert breached and outside and crossing, "the month has breaches, night replies and DST"


def test_monthly_support_figures_equal_the_tickets(built: Settings) -> None:
    (found,) = rows(
        built,
        "SELECT tickets, csat, reopen_rate, first_reply_sla_attainment FROM "
        "staging.rpt_support_monthly WHERE month = DATE '2024-03-01' AND priority = 'all'",
    )
    tickets = rows(
        built,
        "SELECT t.ticket_id FROM raw_helpdesk.tickets t WHERE t.created_at >= "
        "TIMESTAMPTZ '2024-03-01 00:00:00+00' "
        "AND t.created_at < TIMESTAMPTZ '2024-04-01 00:00:00+00'",
    )
    ids = {t for (t,) in tickets}
    scores = [s for t, s in rows(built, "SELECT ticket_id, score FROM raw_helpdesk.satisfaction")
              if t in ids]  # fmt: skip
    assert found[0] == len(ids)
    assert found[1] == pytest.approx(scores.count("good") / len(scores))
    reopened = {
        t for (t,) in rows(built, "SELECT ticket_id FROM raw_helpdesk.status_history "
                           "WHERE value = 'open' GROUP BY 1 HAVING count(*) > 1")
    }  # fmt: skip
    assert found[2] == pytest.approx(len(reopened & ids) / len(ids))  # every ticket is solved
    assert 0 < found[3] < 1


def test_people_month_equals_hr_rows_by_hand(built: Settings) -> None:
    """Headcount, hires, exits by kind and attrition for one month, per department, from
    raw_hr's employments and positions alone."""
    month, month_end, previous_end = date(2024, 6, 1), date(2024, 6, 30), date(2024, 5, 31)
    employments = rows(
        built,
        "SELECT worker_id, hire_date, termination_date, termination_kind, is_regrettable "
        "FROM raw_hr.employments",
    )
    positions = defaultdict(list)
    for worker, since, department in rows(
        built, "SELECT worker_id, valid_from, department_id FROM raw_hr.positions "
        "ORDER BY valid_from, position_id"
    ):  # fmt: skip
        positions[worker].append((since, department))

    def department(worker: int, day: date) -> int:
        return [d for since, d in positions[worker] if since <= day][-1]

    def headcount(day: date) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for worker, hired, left, *_ in employments:
            if hired <= day and (left is None or left >= day):
                counts[department(worker, day)] += 1
        return counts

    now, before = headcount(month_end), headcount(previous_end)
    exits: dict[int, list[str]] = defaultdict(list)
    hires: dict[int, int] = defaultdict(int)
    for worker, hired, left, kind, _ in employments:
        if hired.replace(day=1) == month:
            hires[department(worker, hired)] += 1
        if left is not None and left.replace(day=1) == month:
            exits[department(worker, left)].append(kind)
    found = rows(
        built,
        "SELECT department_id, headcount, hires, exits, voluntary_exits, involuntary_exits, "
        f"attrition_rate FROM staging.rpt_people_monthly WHERE month = DATE '{month}'",
    )
    assert len(found) == 9
    for dept, count, hired, left, voluntary, involuntary, attrition in found:
        assert count == now.get(dept, 0), dept
        assert hired == hires.get(dept, 0), dept
        assert left == len(exits[dept]), dept
        assert voluntary == exits[dept].count("voluntary")
        assert involuntary == exits[dept].count("involuntary")
        average = (now.get(dept, 0) + before.get(dept, 0)) / 2
        assert attrition == pytest.approx(len(exits[dept]) / average if average else None)
    assert sum(now.values()) > 20


def test_profit_and_loss_equals_the_journal_lines_by_hand(built: Settings) -> None:
    """One month's P&L per department from raw journal lines and the chart of accounts, with
    QuickBooks' sign rules; and the payroll cost equals HR's salaries for that month."""
    accounts = {
        a: (c, t)
        for a, c, t in rows(
            built, "SELECT account_id, classification, account_type FROM raw_finance.accounts"
        )
    }
    lines = rows(
        built,
        "SELECT l.account_id, l.debit, l.credit, l.department_id FROM raw_finance.journal_lines l "
        "JOIN raw_finance.journal_entries e USING (journal_entry_id) "
        "WHERE e.entry_date >= DATE '2025-03-01' AND e.entry_date < DATE '2025-04-01'",
    )
    expected: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for account, debit, credit, dept in lines:
        classification, kind = accounts[account]
        if classification == "Revenue":
            expected[dept]["revenue"] += float(credit - debit)
            expected[dept]["net_income"] += float(credit - debit)
        elif classification == "Expense":
            part = "cost_of_goods_sold" if kind == "Cost of Goods Sold" else "expenses"
            expected[dept][part] += float(debit - credit)
            expected[dept]["net_income"] -= float(debit - credit)
    found = rows(
        built,
        "SELECT department_id, revenue, cost_of_goods_sold, expenses, net_income "
        "FROM staging.rpt_profit_and_loss_monthly WHERE month = DATE '2025-03-01'",
    )
    assert {d for d, *_ in found} == set(expected)
    for dept, revenue, cogs, expenses, net in found:
        want = expected[dept]
        assert float(revenue) == pytest.approx(want["revenue"], abs=0.005)
        assert float(cogs) == pytest.approx(want["cost_of_goods_sold"], abs=0.005)
        assert float(expenses) == pytest.approx(want["expenses"], abs=0.005)
        assert float(net) == pytest.approx(want["net_income"], abs=0.005)
    assert sum(float(r[1]) for r in found) > 0
    payroll = dict(
        rows(
            built,
            "SELECT department_id, sum(monthly_salary) FROM staging.fct_headcount_monthly "
            "WHERE month_end = DATE '2025-03-31' GROUP BY 1",
        )
    )
    booked = dict(
        rows(
            built,
            "SELECT department_id, payroll_cost FROM staging.rpt_people_monthly "
            "WHERE month = DATE '2025-03-01'",
        )
    )
    for dept, amount in payroll.items():
        assert float(booked[dept]) == pytest.approx(float(amount), abs=0.005), dept


def percentile(values: list[float], fraction: float) -> float:
    """Continuous percentile, as PERCENTILE_CONT: linear between the two nearest ranks."""
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def test_delivery_month_equals_the_tracker_export_by_hand(built: Settings) -> None:
    """Throughput and cycle time p50/p85 of the busiest project-month, and one sprint's
    commitment, from the raw changelog and issues."""
    history = defaultdict(list)
    for issue, at, to_status in rows(
        built, "SELECT issue_id, changed_at, to_status FROM raw_tracker.changelog"
    ):
        history[issue].append((at, to_status))
    issues = rows(
        built, "SELECT issue_id, project_id, status, created_at, story_points, sprint_id "
        "FROM raw_tracker.issues"
    )  # fmt: skip
    cycles: dict[tuple[int, date], list[int]] = defaultdict(list)
    first_done = {}
    for issue, project, status, _, _, _ in issues:
        changes = sorted(history[issue])
        done = [t for t, s in changes if s == "Done"]
        if done:
            first_done[issue] = done[0]
        if status == "Done":
            started = min(t for t, s in changes if s == "In Progress")
            cycles[(project, month_of(done[-1]))].append(minutes(started, done[-1]))
    (project, month), cycle = max(cycles.items(), key=lambda item: len(item[1]))
    (found,) = rows(
        built,
        "SELECT throughput, p50_cycle_time_minutes, p85_cycle_time_minutes FROM "
        f"staging.rpt_delivery_monthly WHERE project_id = {project} AND month = DATE '{month}'",
    )
    assert found[0] == len(cycle) > 3
    assert found[1] == pytest.approx(percentile(cycle, 0.5))
    assert found[2] == pytest.approx(percentile(cycle, 0.85))
    sprint, started, ends = rows(
        built,
        "SELECT sprint_id, started_at, ends_at FROM raw_tracker.sprints WHERE state = 'closed' "
        "ORDER BY sprint_id LIMIT 1 OFFSET 5",
    )[0]
    committed = [(i, p) for i, _, _, c, p, s in issues if s == sprint and c <= started]
    completed = [p for i, p in committed if i in first_done and first_done[i] <= ends]
    (got,) = rows(
        built,
        "SELECT committed_issues, committed_points, completed_committed_points "
        f"FROM staging.fct_sprints WHERE sprint_id = {sprint}",
    )
    assert got == (len(committed), sum(p for _, p in committed), sum(completed))


def test_pull_requests_without_a_reviewer_are_counted(built: Settings) -> None:
    reviewed = {p for (p,) in rows(built, "SELECT pull_request_id FROM raw_githost.reviews")}
    pulls = {p for (p,) in rows(built, "SELECT pull_request_id FROM raw_githost.pull_requests")}
    ((none,),) = rows(built, "SELECT count(*) FROM staging.fct_pull_requests WHERE has_no_reviewer")
    assert none == len(pulls - reviewed) > 0


def test_project_cost_allocates_salaries_by_worklog_hours(built: Settings) -> None:
    """One month's payroll allocated to projects, from raw worklogs, tracker users, HR workers
    and salaries: each worker's twelfth of salary split by their hours per project."""
    month_start, month_end = date(2025, 4, 1), date(2025, 4, 30)
    email = dict(rows(built, "SELECT account_id, lower(email) FROM raw_tracker.users"))
    worker_of = {
        e.lower(): w for w, e in rows(built, "SELECT worker_id, email FROM raw_hr.workers")
    }
    project_of = dict(rows(built, "SELECT issue_id, project_id FROM raw_tracker.issues"))
    hours: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for issue, account, started, seconds in rows(
        built, "SELECT issue_id, author_account_id, started_at, seconds FROM raw_tracker.worklogs"
    ):
        if month_of(started.astimezone(ZONE_UTC)) == month_start:
            hours[worker_of[email[account]]][project_of[issue]] += seconds / 3600
    employed = {
        w for w, hired, left in rows(
            built, "SELECT worker_id, hire_date, termination_date FROM raw_hr.employments"
        ) if hired <= month_end and (left is None or left >= month_end)
    }  # fmt: skip
    salary = {}
    for worker, since, annual in rows(
        built, "SELECT worker_id, effective_date, annual_salary FROM raw_hr.salaries "
        "ORDER BY effective_date, salary_id"
    ):  # fmt: skip
        if since <= month_end:
            salary[worker] = round(float(annual) / 12 + 1e-9, 2)
    expected: dict[int, float] = defaultdict(float)
    for worker, per_project in hours.items():
        if worker in employed:
            total = sum(per_project.values())
            for project, h in per_project.items():
                expected[project] += salary[worker] * h / total
    found = dict(
        rows(
            built,
            "SELECT project_id, allocated_payroll FROM staging.rpt_project_costs_monthly "
            f"WHERE month = DATE '{month_start}' AND allocated_payroll > 0",
        )
    )
    assert found.keys() == expected.keys() and found
    for project, amount in expected.items():
        assert float(found[project]) == pytest.approx(amount, abs=0.011), project
