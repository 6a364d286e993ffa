"""TechCo's pages in a real browser (Debian's Chromium through Playwright), on TechCo built by the
real pipeline at scale 0.05 (conftest.py): every page draws its charts without an exception; its
KPIs are the marts' figures, computed here by SQL of this test's own on the warehouse, to the
precision shown; and choosing a department and a period changes them to that department's and
period's figures.

Load times are printed (and kept in tests/artifacts/techco_page_times.json), not asserted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from tests.dashboard import browser as b

from armazem.settings import Settings

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco" / "armazem.toml"
PAGES = {  # title -> (url path, charts drawn)
    "Engineering": ("", 4),  # the first page: at the root
    "Delivery": ("delivery", 4),
    "Support": ("support", 4),
    "People": ("people", 4),
    "Finance": ("finance", 4),
}
# Every report ends in 2025-12, so every page opens on 2025 compared with 2024.
DEFAULT = (date(2025, 1, 1), date(2025, 12, 1))
PREVIOUS = (date(2024, 1, 1), date(2024, 12, 1))
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def warehouse(techco: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(techco.data_path / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def server(techco: Settings, warehouse: duckdb.DuckDBPyConnection) -> Iterator[str]:
    with b.dashboard(techco.data_path, project=PROJECT) as url:
        yield url


# --- how this test writes figures (as the pages are meant to show them) ------------------------


def count(value: Any) -> str:
    return f"{int(value or 0):,}"


def money(value: Any) -> str:
    return "-" if value is None else f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def percent(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def hours(minutes: Any) -> str:
    return "-" if minutes is None else f"{float(minutes) / 60:,.1f} h"


def after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple:
    return con.execute(sql, params).fetchone()


DEPARTMENT = (
    "(SELECT department_id FROM production.dim_department WHERE ? IS NULL OR department_name = ?)"
)


# --- the marts' figures, by this test's own SQL --------------------------------------------------


def engineering(con: duckdb.DuckDBPyConnection, department: str | None, start: date,
                end: date) -> dict[str, str]:  # fmt: skip
    team = {None: None, "Platform": "platform", "Product Engineering": "product"}[department]
    level, scope = ("company", "all") if team is None else ("team", team)
    deployments, failed, with_changes = one(
        con,
        "SELECT sum(deployments), sum(failed_deployments), sum(deployments_with_changes) "
        "FROM production.rpt_dora_monthly WHERE level = ? AND scope = ? AND month BETWEEN ? AND ?",
        [level, scope, start, end],
    )
    in_team = "(? IS NULL OR repository_id IN (SELECT repository_id FROM production.dim_repository WHERE team = ?))"  # noqa: E501
    (lead,) = one(
        con,
        "SELECT quantile_cont(lead_time_minutes, 0.5) FROM production.fct_changes "
        f"WHERE deployment_id IS NOT NULL AND lead_time_minutes > 0 AND {in_team} "
        "AND deployed_at >= ? AND deployed_at < ?",
        [team, team, start, after(end)],
    )
    (restore,) = one(
        con,
        "SELECT quantile_cont(time_to_restore_minutes, 0.5) FROM production.fct_incidents "
        f"WHERE {in_team} AND started_at >= ? AND started_at < ?",
        [team, team, start, after(end)],
    )
    return {
        "Deployments": count(deployments),
        "Lead time for changes": hours(lead),
        "Time to restore": hours(restore),
        "Change failure rate": percent(failed / with_changes),
    }


def delivery(con: duckdb.DuckDBPyConnection, department: str | None, start: date,
             end: date) -> dict[str, str]:  # fmt: skip
    projects = (
        f"(SELECT project_id FROM production.dim_project WHERE department_id IN {DEPARTMENT})"
    )
    throughput, committed, completed = one(
        con,
        "SELECT sum(throughput), sum(committed_points), sum(completed_committed_points) "
        f"FROM production.rpt_delivery_monthly WHERE month BETWEEN ? AND ? "
        f"AND project_id IN {projects}",
        [start, end, department, department],
    )
    (open_issues,) = one(
        con,
        "SELECT sum(open_issues) FROM production.rpt_delivery_monthly WHERE month = ? "
        f"AND project_id IN {projects}",
        [end, department, department],
    )
    p50, p85 = one(
        con,
        "SELECT quantile_cont(cycle_time_minutes, 0.5), quantile_cont(cycle_time_minutes, 0.85) "
        f"FROM production.fct_issues WHERE is_done AND done_at >= ? AND done_at < ? "
        f"AND project_id IN {projects}",
        [start, after(end), department, department],
    )
    return {
        "Throughput": count(throughput),
        "Cycle time p50": hours(p50),
        "Cycle time p85": hours(p85),
        "Commitment": percent(completed / committed),
        "Open issues": count(open_issues),
    }


def support(con: duckdb.DuckDBPyConnection, department: str | None, start: date,
            end: date) -> dict[str, str]:  # fmt: skip
    """The company's, whatever the department: tickets carry none."""
    row = one(
        con,
        """SELECT count(*),
                  quantile_cont(first_reply_business_minutes, 0.5),
                  quantile_cont(first_reply_business_minutes, 0.9),
                  quantile_cont(full_resolution_business_minutes, 0.5),
                  quantile_cont(full_resolution_business_minutes, 0.9),
                  count(*) FILTER (WHERE first_reply_at IS NOT NULL
                                   AND NOT is_first_reply_breached) / count(first_reply_at),
                  count(*) FILTER (WHERE solved_at IS NOT NULL
                                   AND NOT is_full_resolution_breached) / count(solved_at),
                  count(*) FILTER (WHERE satisfaction_score = 'good')
                    / count(*) FILTER (WHERE satisfaction_score IN ('good', 'bad')),
                  count(*) FILTER (WHERE is_reopened) / count(solved_at)
           FROM production.fct_tickets WHERE created_at >= ? AND created_at < ?""",
        [start, after(end)],
    )
    (backlog,) = one(
        con,
        "SELECT open_tickets FROM production.rpt_support_backlog_daily WHERE date = ? - 1",
        [after(end)],
    )
    tickets, reply, reply90, resolution, resolution90, reply_sla, solve_sla, csat, reopen = row
    return {
        "Tickets": count(tickets),
        "First reply, median": hours(reply),
        "First reply, p90": hours(reply90),
        "Resolution, median": hours(resolution),
        "Resolution, p90": hours(resolution90),
        "First reply SLA": percent(reply_sla),
        "Resolution SLA": percent(solve_sla),
        "CSAT": percent(csat),
        "Reopen rate": percent(reopen),
        "Backlog": count(backlog),
    }


def people(con: duckdb.DuckDBPyConnection, department: str | None, start: date,
           end: date) -> dict[str, str]:  # fmt: skip
    (headcount,) = one(
        con,
        f"SELECT sum(headcount) FROM production.rpt_people_monthly WHERE month = ? "
        f"AND department_id IN {DEPARTMENT}",
        [end, department, department],
    )
    hires, exits, payroll = one(
        con,
        "SELECT sum(hires), sum(exits), sum(payroll_cost) FROM production.rpt_people_monthly "
        f"WHERE month BETWEEN ? AND ? AND department_id IN {DEPARTMENT}",
        [start, end, department, department],
    )
    (average,) = one(  # exits over the period's average headcount
        con,
        "SELECT avg(average) FROM (SELECT month, sum(average_headcount) AS average "
        "FROM production.rpt_people_monthly WHERE month BETWEEN ? AND ? "
        f"AND department_id IN {DEPARTMENT} GROUP BY month)",
        [start, end, department, department],
    )
    return {
        "Headcount": count(headcount),
        "Hires": count(hires),
        "Exits": count(exits),
        "Attrition": percent(exits / average if average else None),
        "Payroll cost": money(payroll),
    }


def finance(con: duckdb.DuckDBPyConnection, department: str | None, start: date,
            end: date) -> dict[str, str]:  # fmt: skip
    revenue, costs, net, payroll = one(
        con,
        "SELECT sum(revenue), sum(cost_of_goods_sold) + sum(expenses), sum(net_income), "
        "sum(payroll) FROM production.rpt_profit_and_loss_monthly WHERE month BETWEEN ? AND ? "
        f"AND department_id IN {DEPARTMENT}",
        [start, end, department, department],
    )
    (per_employee,) = one(  # the company's, whatever the department
        con,
        "SELECT sum(revenue) / sum(headcount) FROM production.rpt_finance_monthly "
        "WHERE month BETWEEN ? AND ?",
        [start, end],
    )
    receivable, invoices = one(
        con, "SELECT sum(open_amount), count(*) FROM production.rpt_ar_ageing", []
    )
    return {
        "Revenue": money(revenue),
        "Costs": money(costs),
        "Net income": money(net),
        "Payroll": money(payroll),
        "Revenue per employee": money(per_employee),
        "Receivable": money(receivable),
        "Open invoices": count(invoices),
    }


Expected = Callable[[duckdb.DuckDBPyConnection, str | None, date, date], dict[str, str]]
# title -> (the page's figures, a department to choose, the period to choose then)
FILTERED: dict[str, tuple[Expected, str, tuple[date, date]]] = {
    "Engineering": (engineering, "Platform", (date(2024, 5, 1), date(2024, 5, 1))),
    "Delivery": (delivery, "Platform", (date(2024, 3, 1), date(2024, 8, 1))),
    "Support": (support, "Customer Support", (date(2024, 5, 1), date(2024, 5, 1))),
    "People": (people, "Product Engineering", (date(2023, 7, 1), date(2024, 6, 1))),
    "Finance": (finance, "Platform", (date(2024, 1, 1), date(2024, 6, 1))),
}


def shown(page: Any, labels: list[str]) -> dict[str, str]:
    return {label: b.metric(page, label) for label in labels}


def wait_for_metric(page: Any, label: str, expected: str) -> None:
    """Until the metric `label` shows `expected` (the figures are then compared exactly), or the
    time is up (and the comparison fails with what is shown)."""
    with contextlib.suppress(PlaywrightTimeout):  # then compared exactly: says what differs
        page.wait_for_function(
            """([label, expected]) => [...document.querySelectorAll('[data-testid=stMetric]')]
                 .some(m => (m.querySelector('[data-testid=stMetricLabel]') || {}).innerText
                                ?.trim() === label
                            && m.querySelector('[data-testid=stMetricValue]')
                                ?.innerText.trim() === expected)""",
            arg=[label, expected], timeout=WAIT_MS,
        )  # fmt: skip


# --- every page ---------------------------------------------------------------------------------


def test_every_page_draws_its_charts_without_an_exception(server: str, page: Any) -> None:
    """Runs first: 'first visit' is each page's first load on a fresh server (queries not
    cached yet); 'reload' loads it again; 'in-app' arrives from another page by the sidebar."""
    times: dict[str, dict[str, float]] = {}
    for title, (path, charts) in PAGES.items():
        first = b.open_page(page, f"{server}/{path}", charts)
        assert b.exceptions(page) == [], title
        assert page.locator('[data-testid="stDialog"]').count() == 0, title  # "page not found"
        assert page.locator("h1").first.inner_text().startswith(title)
        assert page.locator(b.CHARTS).count() >= charts, title
        page.reload(wait_until="commit")
        again = b.settle(page, charts)
        times[title] = {"first visit": first, "reload": again}
    b.open_page(page, f"{server}/finance", PAGES["Finance"][1])
    for title, (_, charts) in PAGES.items():
        times[title]["in-app navigation"] = b.navigate(page, title, charts)
        assert b.exceptions(page) == [], title
    titles = [link.inner_text().strip().splitlines()[-1] for link in
              page.locator('[data-testid="stSidebarNav"] a').all()]  # fmt: skip
    assert titles == [*PAGES, "Tables", "Data health"]
    b.report_times("techco_page_times", times)


@pytest.mark.parametrize("title", list(PAGES))
def test_kpis_equal_the_marts_then_follow_the_department_and_period_filters(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection, title: str
) -> None:
    path, charts = PAGES[title]
    expected_of, department, (start, end) = FILTERED[title]
    b.open_page(page, f"{server}/{path}", charts)
    expected = expected_of(warehouse, None, *DEFAULT)
    assert shown(page, list(expected)) == expected, "all departments, 2025"

    b.choose(page, "Department", department)
    filtered = expected_of(warehouse, department, *DEFAULT)
    label = next(iter(filtered))
    wait_for_metric(page, label, filtered[label])
    b.settle(page, charts)
    assert b.exceptions(page) == []
    assert parse_qs(urlparse(page.url).query)["department"] == [department]  # shareable
    assert shown(page, list(filtered)) == filtered, f"{department}, 2025"
    if title == "Support":  # tickets have no department: the page says so, figures stay
        assert filtered == expected
        assert page.get_by_text("the department filter does not apply").count() == 1
    else:
        assert filtered != expected

    b.choose(page, "From", f"{start:%Y-%m}")
    b.choose(page, "To", f"{end:%Y-%m}")
    narrowed = expected_of(warehouse, department, start, end)
    for label, value in narrowed.items():
        wait_for_metric(page, label, value)
    b.settle(page, charts)
    assert b.exceptions(page) == []
    assert shown(page, list(narrowed)) == narrowed, f"{department}, {start} to {end}"
    assert narrowed != filtered


def test_a_single_month_shows_the_monthly_reports_own_figures(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection
) -> None:
    """The period's medians are computed from the facts as the reports compute their months':
    over one month they are the reports' figures, to the minute."""
    month = date(2024, 5, 1)
    lead, restore = one(
        warehouse,
        "SELECT median_lead_time_minutes, median_time_to_restore_minutes "
        "FROM production.rpt_dora_monthly WHERE level = 'company' AND month = ?",
        [month],
    )
    reply, reply90 = one(
        warehouse,
        "SELECT median_first_reply_business_minutes, p90_first_reply_business_minutes "
        "FROM production.rpt_support_monthly WHERE priority = 'all' AND month = ?",
        [month],
    )
    for title, figures in (
        ("Engineering", {"Lead time for changes": hours(lead), "Time to restore": hours(restore)}),
        ("Support", {"First reply, median": hours(reply), "First reply, p90": hours(reply90)}),
    ):
        path, charts = PAGES[title]
        b.open_page(page, f"{server}/{path}", charts)
        b.choose(page, "From", f"{month:%Y-%m}")
        b.choose(page, "To", f"{month:%Y-%m}")
        for label, value in figures.items():
            wait_for_metric(page, label, value)
        assert shown(page, list(figures)) == figures, title
        monthly = b.figures(page, "Monthly DORA figures" if title == "Engineering"
                            else "Monthly support figures")  # fmt: skip
        assert [row["Month"] for row in monthly] == ["2024-05"]


def test_a_department_without_repositories_is_said_so(server: str, page: Any) -> None:
    b.open_page(page, f"{server}/", PAGES["Engineering"][1])
    b.choose(page, "Department", "Finance")
    page.get_by_text("Finance owns no repositories").wait_for(timeout=WAIT_MS)
    assert b.exceptions(page) == []


def test_the_app_lists_the_five_pages_then_the_engines() -> None:
    from armazem.dashboard import pages

    found = [*pages.project_pages(PROJECT.parent / "dashboards"), *pages.engine_pages()]
    assert [p.title for p in found] == [*PAGES, "Tables", "Data health"]
    assert [p.url_path for p in found][:5] == ["engineering", *(p for p, _ in PAGES.values() if p)]


def test_the_figures_behind_the_charts_equal_the_marts(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection
) -> None:
    start, end = DEFAULT
    dora = warehouse.execute(
        "SELECT strftime(month, '%Y-%m'), deployments, deployment_frequency, lead_time_tier, "
        "change_failure_rate, change_failure_tier, time_to_restore_tier "
        "FROM production.rpt_dora_monthly WHERE level = 'company' AND month BETWEEN ? AND ? "
        "ORDER BY month",
        [start, end],
    ).fetchall()
    b.open_page(page, f"{server}/", PAGES["Engineering"][1])
    assert [
        (r["Month"], r["Deployments"], r["Frequency"], r["Lead time tier"],
         r["Change failure rate"], r["Failure tier"], r["Restore tier"])
        for r in b.figures(page, "Monthly DORA figures")
    ] == [
        (month, count(n), frequency, lead or "-", percent(rate), failure or "-", restore or "-")
        for month, n, frequency, lead, rate, failure, restore in dora
    ]  # fmt: skip

    pnl = warehouse.execute(
        "SELECT strftime(p.month, '%Y-%m'), d.department_name, p.revenue, p.expenses, "
        "p.net_income FROM production.rpt_profit_and_loss_monthly p "
        "JOIN production.dim_department d USING (department_id) "
        "WHERE p.month BETWEEN ? AND ? ORDER BY p.month, d.department_name",
        [start, end],
    ).fetchall()
    ageing = warehouse.execute(
        "SELECT ageing_bucket, count(*), sum(open_amount) FROM production.rpt_ar_ageing "
        "GROUP BY 1 ORDER BY array_position(['current', '1-30', '31-60', '61-90', '91+'], "
        "ageing_bucket)"
    ).fetchall()
    b.open_page(page, f"{server}/finance", PAGES["Finance"][1])
    assert [
        (r["Month"], r["Department"], r["Revenue"], r["Expenses"], r["Net income"])
        for r in b.figures(page, "P&L figures")
    ] == [(m, d, money(r), money(e), money(n)) for m, d, r, e, n in pnl]
    assert [
        (r["Days past due"], r["Invoices"], r["Open amount"])
        for r in b.figures(page, "AR ageing figures")
    ] == [(bucket, count(n), money(amount)) for bucket, n, amount in ageing]
