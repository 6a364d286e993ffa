"""The SQL of TechCo's pages (Engineering, Delivery, Support, People, Finance), in one place: when
the marts change, this module changes and the pages do not.

Rules the statements keep:

- Read the report marts (`rpt_*`) and the dimensions; never a per-person mart (`dim_employee`,
  `fct_headcount_monthly`), which the BI role does not see.
- Aggregate in SQL and return small results; money stays DECIMAL (Python `Decimal`).
- A ratio over a period is recomputed from its summed numerator and denominator, never averaged
  over months. A percentile over a period cannot be made of monthly percentiles: it is computed
  from the fact the report is built from, with the report's own definition and SQL
  (`percentile_cont`, continuous), so the period's figure is what the report would give for it.
- Portable SQL for DuckDB and PostgreSQL: `$name` parameters, `CAST(... AS ...)`, `FILTER`.
- Every query of a period also returns the previous period of as many months (for the KPIs'
  comparison), told apart by `month >= $start`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from armazem.dashboard.db import Reader, Rows
from armazem.dashboard.ui import Months, shift_month

ENGINEERING_MARTS = ("rpt_dora_monthly", "dim_repository", "fct_changes", "fct_incidents")
DELIVERY_MARTS = ("rpt_delivery_monthly", "dim_project", "fct_issues")
SUPPORT_MARTS = ("rpt_support_monthly", "rpt_support_backlog_daily", "fct_tickets")
PEOPLE_MARTS = ("rpt_people_monthly", "dim_department")
FINANCE_MARTS = (
    "rpt_profit_and_loss_monthly",
    "rpt_project_costs_monthly",
    "rpt_finance_monthly",
    "rpt_ar_ageing",
    "dim_department",
    "dim_project",
)

# Repositories belong to teams, not departments: TechCo's platform team is the Platform
# department, its product team Product Engineering, and the Engineering division holds both
# (every repository). DORA's report has a row per team and one for the company.
DORA_SCOPES: dict[str, tuple[str, str]] = {
    "Engineering": ("company", "all"),
    "Platform": ("team", "platform"),
    "Product Engineering": ("team", "product"),
}
COMPANY = ("company", "all")


def _period(period: Months, **more: Any) -> dict[str, Any]:
    """Parameters of a period and its previous one: $previous_start <= month < $after, the
    current period from $start."""
    return {
        "previous_start": period.previous().start,
        "start": period.start,
        "end": period.end,
        "after": shift_month(period.end, 1),
        **more,
    }


# --- shared -------------------------------------------------------------------------------------


def report_months(reader: Reader, table: str) -> list[date]:
    """The months a monthly report has, ascending."""
    rows = reader.fetch(f"SELECT DISTINCT month FROM {reader.marts}.{table} ORDER BY month")
    return rows.column("month")


def departments(reader: Reader) -> list[str]:
    rows = reader.fetch(
        f"SELECT department_name FROM {reader.marts}.dim_department ORDER BY department_name"
    )
    return rows.column("department_name")


def _department_ids(marts: str) -> str:
    """The ids of the department named $department (all of them when it is NULL)."""
    return (
        f"(SELECT department_id FROM {marts}.dim_department "
        "WHERE CAST($department AS VARCHAR(200)) IS NULL OR department_name = $department)"
    )


# --- engineering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dora:
    deployments: int
    previous_deployments: int
    failed: int
    with_changes: int
    previous_failed: int
    previous_with_changes: int
    incidents: int
    lead_time: float | None  # minutes, median over the period
    previous_lead_time: float | None
    restore: float | None
    previous_restore: float | None

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.with_changes if self.with_changes else None

    @property
    def previous_failure_rate(self) -> float | None:
        if not self.previous_with_changes:
            return None
        return self.previous_failed / self.previous_with_changes


def dora_kpis(reader: Reader, scope: tuple[str, str], period: Months) -> Dora:
    m = reader.marts
    level, name = scope
    params = _period(period, level=level, scope=name)
    row = (
        reader.fetch(
            f"""SELECT
              sum(deployments) FILTER (WHERE month >= $start),
              sum(deployments) FILTER (WHERE month < $start),
              sum(failed_deployments) FILTER (WHERE month >= $start),
              sum(deployments_with_changes) FILTER (WHERE month >= $start),
              sum(failed_deployments) FILTER (WHERE month < $start),
              sum(deployments_with_changes) FILTER (WHERE month < $start),
              sum(incidents) FILTER (WHERE month >= $start)
            FROM {m}.rpt_dora_monthly
            WHERE level = $level AND scope = $scope
              AND month >= $previous_start AND month <= $end""",
            params,
        ).first()
        or (None,) * 7
    )
    counts = [int(v or 0) for v in row]
    # In the scope: every repository for the company, a team's for a team.
    repositories = (
        f"(SELECT repository_id FROM {m}.dim_repository WHERE $level = 'company' OR team = $scope)"
    )
    lead = _medians(
        reader,
        f"""SELECT CASE WHEN deployed_at >= $start THEN 'current' ELSE 'previous' END AS period,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_minutes) AS median
            FROM {m}.fct_changes
            WHERE deployment_id IS NOT NULL AND lead_time_minutes > 0
              AND deployed_at >= $previous_start AND deployed_at < $after
              AND repository_id IN {repositories}
            GROUP BY 1""",
        params,
    )
    restore = _medians(
        reader,
        f"""SELECT CASE WHEN started_at >= $start THEN 'current' ELSE 'previous' END AS period,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY time_to_restore_minutes) AS median
            FROM {m}.fct_incidents
            WHERE started_at >= $previous_start AND started_at < $after
              AND repository_id IN {repositories}
            GROUP BY 1""",
        params,
    )
    return Dora(
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6],
        lead.get("current"), lead.get("previous"), restore.get("current"), restore.get("previous"),
    )  # fmt: skip


def _medians(reader: Reader, sql: str, params: dict[str, Any]) -> dict[str, float | None]:
    return {period: value for period, value in reader.fetch(sql, params).rows}


def dora_monthly(reader: Reader, scope: tuple[str, str], period: Months) -> Rows:
    """The report's months of the period: the four keys with their tiers."""
    level, name = scope
    return reader.fetch(
        f"""SELECT month, deployments, deployment_frequency, median_lead_time_minutes,
                   lead_time_tier, change_failure_rate, change_failure_tier, incidents,
                   median_time_to_restore_minutes, time_to_restore_tier
            FROM {reader.marts}.rpt_dora_monthly
            WHERE level = $level AND scope = $scope AND month >= $start AND month <= $end
            ORDER BY month""",
        {"level": level, "scope": name, "start": period.start, "end": period.end},
    )


def dora_repositories(reader: Reader, scope: tuple[str, str], period: Months) -> Rows:
    """Per repository in the scope over the period: deployments and the change failure rate
    recomputed from its summed parts."""
    m = reader.marts
    level, name = scope
    return reader.fetch(
        f"""SELECT d.scope AS repository, r.team, sum(d.deployments) AS deployments,
                   sum(d.failed_deployments) AS failed,
                   sum(d.deployments_with_changes) AS with_changes, sum(d.incidents) AS incidents
            FROM {m}.rpt_dora_monthly AS d
            JOIN {m}.dim_repository AS r ON r.full_name = d.scope
            WHERE d.level = 'repository' AND d.month >= $start AND d.month <= $end
              AND ($level = 'company' OR r.team = $scope)
            GROUP BY d.scope, r.team
            ORDER BY deployments DESC, repository""",
        {"level": level, "scope": name, "start": period.start, "end": period.end},
    )


# --- delivery -----------------------------------------------------------------------------------


def _projects(marts: str) -> str:
    return (
        f"(SELECT project_id FROM {marts}.dim_project "
        f"WHERE department_id IN {_department_ids(marts)})"
    )


@dataclass(frozen=True)
class Delivery:
    throughput: int
    previous_throughput: int
    committed: int
    completed: int
    previous_committed: int
    previous_completed: int
    open_issues: int
    previous_open_issues: int
    p50: float | None
    p85: float | None
    previous_p50: float | None
    previous_p85: float | None

    @property
    def completion(self) -> float | None:
        return self.completed / self.committed if self.committed else None

    @property
    def previous_completion(self) -> float | None:
        if not self.previous_committed:
            return None
        return self.previous_completed / self.previous_committed


def delivery_kpis(reader: Reader, department: str | None, period: Months) -> Delivery:
    m = reader.marts
    params = _period(period, department=department, previous_end=period.previous().end)
    row = (
        reader.fetch(
            f"""SELECT
              sum(throughput) FILTER (WHERE month >= $start),
              sum(throughput) FILTER (WHERE month < $start),
              sum(committed_points) FILTER (WHERE month >= $start),
              sum(completed_committed_points) FILTER (WHERE month >= $start),
              sum(committed_points) FILTER (WHERE month < $start),
              sum(completed_committed_points) FILTER (WHERE month < $start),
              sum(open_issues) FILTER (WHERE month = $end),
              sum(open_issues) FILTER (WHERE month = $previous_end)
            FROM {m}.rpt_delivery_monthly
            WHERE month >= $previous_start AND month <= $end
              AND project_id IN {_projects(m)}""",
            params,
        ).first()
        or (None,) * 8
    )
    counts = [int(v or 0) for v in row]
    cycle = {
        period_name: (p50, p85)
        for period_name, p50, p85 in reader.fetch(
            f"""SELECT CASE WHEN done_at >= $start THEN 'current' ELSE 'previous' END,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_minutes),
                       percentile_cont(0.85) WITHIN GROUP (ORDER BY cycle_time_minutes)
                FROM {m}.fct_issues
                WHERE is_done AND done_at >= $previous_start AND done_at < $after
                  AND project_id IN {_projects(m)}
                GROUP BY 1""",
            params,
        ).rows
    }
    current, previous = cycle.get("current", (None, None)), cycle.get("previous", (None, None))
    return Delivery(*counts, current[0], current[1], previous[0], previous[1])


def delivery_monthly(reader: Reader, department: str | None, period: Months) -> Rows:
    """Per month: throughput, committed and completed points, open issues at the month's end,
    and cycle time p50/p85 of the issues finished in the month (from the fact, over the
    department's projects together)."""
    m = reader.marts
    return reader.fetch(
        f"""WITH report AS (
                SELECT month, sum(throughput) AS throughput, sum(committed_points) AS committed,
                       sum(completed_committed_points) AS completed,
                       sum(open_issues) AS open_issues
                FROM {m}.rpt_delivery_monthly
                WHERE month >= $start AND month <= $end AND project_id IN {_projects(m)}
                GROUP BY month),
            cycle AS (
                SELECT CAST(date_trunc('month', done_at) AS DATE) AS month,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_minutes) AS p50,
                       percentile_cont(0.85) WITHIN GROUP (ORDER BY cycle_time_minutes) AS p85
                FROM {m}.fct_issues
                WHERE is_done AND done_at >= $start AND done_at < $after
                  AND project_id IN {_projects(m)}
                GROUP BY 1)
            SELECT report.month, report.throughput, cycle.p50, cycle.p85, report.committed,
                   report.completed, report.open_issues
            FROM report LEFT JOIN cycle ON cycle.month = report.month
            ORDER BY report.month""",
        _period(period, department=department),
    )


def delivery_projects(reader: Reader, department: str | None, period: Months) -> Rows:
    """Per project over the period: throughput, commitment, and its open issues and their median
    age at the period's end (the report's, per project)."""
    m = reader.marts
    return reader.fetch(
        f"""SELECT p.project_key, p.project_name, sum(d.throughput) AS throughput,
                   sum(d.committed_points) AS committed,
                   sum(d.completed_committed_points) AS completed,
                   sum(d.open_issues) FILTER (WHERE d.month = $end) AS open_issues,
                   max(d.median_open_age_days) FILTER (WHERE d.month = $end) AS open_age_days
            FROM {m}.rpt_delivery_monthly AS d
            JOIN {m}.dim_project AS p ON p.project_id = d.project_id
            WHERE d.month >= $start AND d.month <= $end AND d.project_id IN {_projects(m)}
            GROUP BY p.project_key, p.project_name
            ORDER BY p.project_key""",
        _period(period, department=department),
    )


# --- support ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Support:
    tickets: int
    previous_tickets: int
    replied: int
    replied_in_time: int
    solved: int
    solved_in_time: int
    good: int
    bad: int
    reopened: int
    previous_replied: int
    previous_replied_in_time: int
    first_reply_median: float | None
    first_reply_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    previous_first_reply_median: float | None
    previous_resolution_median: float | None
    backlog: int | None
    previous_backlog: int | None


# The report keeps attainment and reopen rate as ratios of counts it also keeps: the numerators
# are those ratios times their denominators, whole numbers again once rounded.
_ATTAINED_REPLIES = "round(first_reply_sla_attainment * replied)"
_ATTAINED_SOLUTIONS = "round(full_resolution_sla_attainment * solved)"
_REOPENED = "round(reopen_rate * solved)"


def support_kpis(reader: Reader, period: Months) -> Support:
    m = reader.marts
    params = _period(period, last_day=period.last_day, previous_last_day=period.previous().last_day)
    row = (
        reader.fetch(
            f"""SELECT
              sum(tickets) FILTER (WHERE month >= $start),
              sum(tickets) FILTER (WHERE month < $start),
              sum(replied) FILTER (WHERE month >= $start),
              sum({_ATTAINED_REPLIES}) FILTER (WHERE month >= $start),
              sum(solved) FILTER (WHERE month >= $start),
              sum({_ATTAINED_SOLUTIONS}) FILTER (WHERE month >= $start),
              sum(good_ratings) FILTER (WHERE month >= $start),
              sum(bad_ratings) FILTER (WHERE month >= $start),
              sum({_REOPENED}) FILTER (WHERE month >= $start),
              sum(replied) FILTER (WHERE month < $start),
              sum({_ATTAINED_REPLIES}) FILTER (WHERE month < $start)
            FROM {m}.rpt_support_monthly
            WHERE priority = 'all' AND month >= $previous_start AND month <= $end""",
            params,
        ).first()
        or (None,) * 11
    )
    counts = [int(v or 0) for v in row]
    times = {
        name: values
        for name, *values in reader.fetch(
            f"""SELECT CASE WHEN created_at >= $start THEN 'current' ELSE 'previous' END,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY first_reply_business_minutes),
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY first_reply_business_minutes),
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY full_resolution_business_minutes),
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY full_resolution_business_minutes)
                FROM {m}.fct_tickets
                WHERE created_at >= $previous_start AND created_at < $after
                GROUP BY 1""",
            params,
        ).rows
    }
    current = times.get("current", [None] * 4)
    previous = times.get("previous", [None] * 4)
    backlog = dict(
        reader.fetch(
            f"""SELECT date, open_tickets FROM {m}.rpt_support_backlog_daily
                WHERE date = $last_day OR date = $previous_last_day""",
            params,
        ).rows
    )
    return Support(
        *counts, current[0], current[1], current[2], current[3], previous[0], previous[2],
        backlog.get(period.last_day), backlog.get(period.previous().last_day),
    )  # fmt: skip


def support_monthly(reader: Reader, period: Months) -> Rows:
    """The report's months (all priorities): volumes, medians and p90s, CSAT, reopen rate."""
    return reader.fetch(
        f"""SELECT month, tickets, median_first_reply_business_minutes AS first_reply_median,
                   p90_first_reply_business_minutes AS first_reply_p90,
                   median_full_resolution_business_minutes AS resolution_median,
                   p90_full_resolution_business_minutes AS resolution_p90, csat, reopen_rate
            FROM {reader.marts}.rpt_support_monthly
            WHERE priority = 'all' AND month >= $start AND month <= $end
            ORDER BY month""",
        {"start": period.start, "end": period.end},
    )


def support_priorities(reader: Reader, period: Months) -> Rows:
    """SLA attainment per priority over the period, from the summed counts."""
    return reader.fetch(
        f"""SELECT priority, sum(tickets) AS tickets, sum(replied) AS replied,
                   sum({_ATTAINED_REPLIES}) AS replied_in_time, sum(solved) AS solved,
                   sum({_ATTAINED_SOLUTIONS}) AS solved_in_time
            FROM {reader.marts}.rpt_support_monthly
            WHERE priority <> 'all' AND month >= $start AND month <= $end
            GROUP BY priority
            ORDER BY CASE priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3
                     ELSE 4 END""",
        {"start": period.start, "end": period.end},
    )


def support_backlog(reader: Reader, period: Months) -> Rows:
    return reader.fetch(
        f"""SELECT date, open_tickets FROM {reader.marts}.rpt_support_backlog_daily
            WHERE date >= $start AND date <= $last_day ORDER BY date""",
        {"start": period.start, "last_day": period.last_day},
    )


# --- people -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    headcount: int
    previous_headcount: int
    hires: int
    previous_hires: int
    exits: int
    previous_exits: int
    voluntary: int
    involuntary: int
    regrettable: int
    payroll: Any  # Decimal
    previous_payroll: Any
    attrition: float | None
    previous_attrition: float | None


def people_kpis(reader: Reader, department: str | None, period: Months) -> People:
    """Headcount at the period's end; hires, exits and payroll summed; attrition = the period's
    exits over its average headcount (the mean of the months' average headcounts)."""
    m = reader.marts
    params = _period(period, department=department, previous_end=period.previous().end)
    row = (
        reader.fetch(
            f"""WITH months AS (
                SELECT month, sum(headcount) AS headcount, sum(hires) AS hires,
                       sum(exits) AS exits, sum(voluntary_exits) AS voluntary,
                       sum(involuntary_exits) AS involuntary,
                       sum(regrettable_exits) AS regrettable, sum(payroll_cost) AS payroll,
                       sum(average_headcount) AS average_headcount
                FROM {m}.rpt_people_monthly
                WHERE month >= $previous_start AND month <= $end
                  AND department_id IN {_department_ids(m)}
                GROUP BY month)
            SELECT
              sum(headcount) FILTER (WHERE month = $end),
              sum(headcount) FILTER (WHERE month = $previous_end),
              sum(hires) FILTER (WHERE month >= $start),
              sum(hires) FILTER (WHERE month < $start),
              sum(exits) FILTER (WHERE month >= $start),
              sum(exits) FILTER (WHERE month < $start),
              sum(voluntary) FILTER (WHERE month >= $start),
              sum(involuntary) FILTER (WHERE month >= $start),
              sum(regrettable) FILTER (WHERE month >= $start),
              sum(payroll) FILTER (WHERE month >= $start),
              sum(payroll) FILTER (WHERE month < $start),
              avg(average_headcount) FILTER (WHERE month >= $start),
              avg(average_headcount) FILTER (WHERE month < $start)
            FROM months""",
            params,
        ).first()
        or (None,) * 13
    )
    counts = [int(v or 0) for v in row[:9]]
    payroll, previous_payroll, average, previous_average = row[9:]
    return People(
        *counts, payroll, previous_payroll,
        counts[4] / average if average else None,
        counts[5] / previous_average if previous_average else None,
    )  # fmt: skip


def people_monthly(reader: Reader, department: str | None, period: Months) -> Rows:
    """Per month and department: headcount, hires, exits by kind, attrition, payroll cost."""
    m = reader.marts
    return reader.fetch(
        f"""SELECT month, department_name, headcount, hires, exits, voluntary_exits,
                   involuntary_exits, attrition_rate, payroll_cost
            FROM {m}.rpt_people_monthly
            WHERE month >= $start AND month <= $end AND department_id IN {_department_ids(m)}
            ORDER BY month, department_name""",
        _period(period, department=department),
    )


def people_departments(reader: Reader, department: str | None, period: Months) -> Rows:
    """Per department over the period: headcount at its end, hires, exits, payroll cost."""
    m = reader.marts
    return reader.fetch(
        f"""SELECT department_name, sum(headcount) FILTER (WHERE month = $end) AS headcount,
                   sum(hires) AS hires, sum(exits) AS exits,
                   sum(voluntary_exits) AS voluntary, sum(involuntary_exits) AS involuntary,
                   sum(payroll_cost) AS payroll
            FROM {m}.rpt_people_monthly
            WHERE month >= $start AND month <= $end AND department_id IN {_department_ids(m)}
            GROUP BY department_name
            ORDER BY payroll DESC, department_name""",
        _period(period, department=department),
    )


# --- finance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finance:
    revenue: Any  # Decimal
    costs: Any
    net_income: Any
    payroll: Any
    previous_revenue: Any
    previous_costs: Any
    previous_net_income: Any
    previous_payroll: Any
    revenue_per_employee: Any  # the company's, whatever the department
    previous_revenue_per_employee: Any
    receivable: Any  # the company's open invoices
    invoices_open: int


def finance_kpis(reader: Reader, department: str | None, period: Months) -> Finance:
    m = reader.marts
    params = _period(period, department=department)
    pnl = (
        reader.fetch(
            f"""SELECT
              sum(revenue) FILTER (WHERE month >= $start),
              sum(cost_of_goods_sold + expenses) FILTER (WHERE month >= $start),
              sum(net_income) FILTER (WHERE month >= $start),
              sum(payroll) FILTER (WHERE month >= $start),
              sum(revenue) FILTER (WHERE month < $start),
              sum(cost_of_goods_sold + expenses) FILTER (WHERE month < $start),
              sum(net_income) FILTER (WHERE month < $start),
              sum(payroll) FILTER (WHERE month < $start)
            FROM {m}.rpt_profit_and_loss_monthly
            WHERE month >= $previous_start AND month <= $end
              AND department_id IN {_department_ids(m)}""",
            params,
        ).first()
        or (None,) * 8
    )
    # Revenue per employee over months: the months' revenue over their month-end headcounts.
    revenue, previous = reader.fetch(
        f"""SELECT
              sum(revenue) FILTER (WHERE month >= $start)
                / nullif(sum(headcount) FILTER (WHERE month >= $start), 0),
              sum(revenue) FILTER (WHERE month < $start)
                / nullif(sum(headcount) FILTER (WHERE month < $start), 0)
            FROM {m}.rpt_finance_monthly
            WHERE month >= $previous_start AND month <= $end""",
        params,
    ).first() or (None, None)
    receivable, invoices = reader.fetch(
        f"SELECT sum(open_amount), count(*) FROM {m}.rpt_ar_ageing"
    ).first() or (None, 0)
    return Finance(*pnl, revenue, previous, receivable, int(invoices or 0))


def finance_monthly(reader: Reader, department: str | None, period: Months) -> Rows:
    """The P&L per month and department."""
    m = reader.marts
    return reader.fetch(
        f"""SELECT p.month, d.department_name, p.revenue, p.cost_of_goods_sold, p.expenses,
                   p.payroll, p.net_income
            FROM {m}.rpt_profit_and_loss_monthly AS p
            JOIN {m}.dim_department AS d ON d.department_id = p.department_id
            WHERE p.month >= $start AND p.month <= $end
              AND p.department_id IN {_department_ids(m)}
            ORDER BY p.month, d.department_name""",
        _period(period, department=department),
    )


def revenue_per_employee(reader: Reader, period: Months) -> Rows:
    return reader.fetch(
        f"""SELECT month, revenue, headcount, revenue / nullif(headcount, 0) AS per_employee
            FROM {reader.marts}.rpt_finance_monthly
            WHERE month >= $start AND month <= $end ORDER BY month""",
        {"start": period.start, "end": period.end},
    )


def project_costs(reader: Reader, department: str | None, period: Months) -> Rows:
    """Per project of the department over the period: revenue, direct costs, allocated payroll,
    total cost."""
    m = reader.marts
    return reader.fetch(
        f"""SELECT p.project_key, p.project_name, sum(c.revenue) AS revenue,
                   sum(c.direct_costs) AS direct_costs, sum(c.hours_logged) AS hours,
                   sum(CAST(c.allocated_payroll AS DECIMAL(18, 2))) AS allocated_payroll,
                   sum(CAST(c.total_cost AS DECIMAL(18, 2))) AS total_cost
            FROM {m}.rpt_project_costs_monthly AS c
            JOIN {m}.dim_project AS p ON p.project_id = c.project_id
            WHERE c.month >= $start AND c.month <= $end AND c.project_id IN {_projects(m)}
            GROUP BY p.project_key, p.project_name
            ORDER BY total_cost DESC, p.project_key""",
        _period(period, department=department),
    )


AGEING_BUCKETS = ("current", "1-30", "31-60", "61-90", "91+")


def ar_ageing(reader: Reader) -> Rows:
    """Open invoices by ageing bucket, as of the ledger's last entry date."""
    return reader.fetch(
        f"""SELECT ageing_bucket, count(*) AS invoices, sum(open_amount) AS open_amount,
                   max(as_of_date) AS as_of_date
            FROM {reader.marts}.rpt_ar_ageing GROUP BY ageing_bucket ORDER BY ageing_bucket"""
    )
