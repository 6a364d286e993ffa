"""Engineering: DORA's four keys (deployment frequency, lead time for changes, time to restore,
change failure rate) with their performance tiers, month by month, per team and repository."""

from __future__ import annotations

import _queries as queries
import streamlit as st
from _filters import period_and_department

from armazem.dashboard import charts, fmt, ui

TITLE = "Engineering"
ICON = ":material/rocket_launch:"
ORDER = 1


def render() -> None:
    reader = ui.context().readers.marts
    st.title("Engineering")
    if not ui.require(reader, reader.marts, queries.ENGINEERING_MARTS,
                      "build and publish the marts with `armazem run`"):  # fmt: skip
        return
    months = ui.query(reader, queries.report_months, "rpt_dora_monthly")
    if not months:
        st.info("There are no deployments in the warehouse yet.", icon=":material/info:")
        return
    period, department = period_and_department(reader, months, "engineering")
    scope = queries.COMPANY if department is None else queries.DORA_SCOPES.get(department)
    if scope is None:
        st.info(
            f"{department} owns no repositories: DORA's keys are measured for the teams that "
            f"do ({', '.join(queries.DORA_SCOPES)}).",
            icon=":material/info:",
        )
        return
    st.caption(
        "Repositories belong to teams: the platform team is the Platform department, the product "
        "team Product Engineering; Engineering holds both. Medians over the period are computed "
        "from the deployed changes and the incidents (as the monthly report computes its "
        "months'); tiers are Four Keys' buckets, per month in the table below."
    )
    _kpis(ui.query(reader, queries.dora_kpis, scope, period))
    monthly = ui.query(reader, queries.dora_monthly, scope, period)
    labels = [fmt.month(m) for m in monthly.column("month")]
    left, right = st.columns(2)
    with left:
        ui.chart(charts.bars(labels, monthly.column("deployments"), "Deployments per month",
                             value_title="deployments"), key="deployments")  # fmt: skip
    with right:
        hours = {
            "lead time for changes (median, h)": _hours(monthly.column("median_lead_time_minutes")),
            "time to restore (median, h)": _hours(monthly.column("median_time_to_restore_minutes")),
        }
        ui.chart(charts.lines(labels, hours, "Lead time and time to restore"), key="times")
    left, right = st.columns(2)
    with left:
        rates = [None if r is None else r * 100 for r in monthly.column("change_failure_rate")]
        ui.chart(charts.line(labels, rates, "Change failure rate (%)", "%"), key="failure_rate")
    repositories = ui.query(reader, queries.dora_repositories, scope, period)
    with right:
        ui.chart(
            charts.bars(repositories.column("repository"), repositories.column("deployments"),
                        "Deployments per repository", horizontal=True,
                        value_title="deployments"),
            key="repositories",
        )  # fmt: skip
    ui.figures(
        "Monthly DORA figures",
        [
            {"Month": label, "Deployments": fmt.count(r["deployments"]),
             "Frequency": r["deployment_frequency"],
             "Lead time": fmt.hours(r["median_lead_time_minutes"]),
             "Lead time tier": r["lead_time_tier"] or "-",
             "Change failure rate": fmt.percent(r["change_failure_rate"]),
             "Failure tier": r["change_failure_tier"] or "-",
             "Incidents": fmt.count(r["incidents"]),
             "Time to restore": fmt.hours(r["median_time_to_restore_minutes"]),
             "Restore tier": r["time_to_restore_tier"] or "-"}
            for label, r in zip(labels, monthly.records(), strict=True)
        ],
    )  # fmt: skip
    ui.figures(
        "Repository figures",
        [
            {"Repository": r["repository"], "Team": r["team"],
             "Deployments": fmt.count(r["deployments"]),
             "Change failure rate": fmt.percent(
                 r["failed"] / r["with_changes"] if r["with_changes"] else None),
             "Incidents": fmt.count(r["incidents"])}
            for r in repositories.records()
        ],
    )  # fmt: skip


def _hours(minutes: list) -> list:
    return [None if m is None else m / 60 for m in minutes]


def _kpis(k: queries.Dora) -> None:
    a, b, c, d = st.columns(4)
    a.metric("Deployments", fmt.count(k.deployments),
             fmt.change(k.deployments, k.previous_deployments),
             help=f"Successful production deployments. Previous period: "
                  f"{fmt.count(k.previous_deployments)}", border=True)  # fmt: skip
    b.metric("Lead time for changes", fmt.hours(k.lead_time),
             fmt.hours_change(k.lead_time, k.previous_lead_time), delta_color="inverse",
             help="Median over the period of the positive lead times (first commit to "
                  f"deployment). Previous period: {fmt.hours(k.previous_lead_time)}",
             border=True)  # fmt: skip
    c.metric("Time to restore", fmt.hours(k.restore),
             fmt.hours_change(k.restore, k.previous_restore), delta_color="inverse",
             help=f"Median over the incidents started in the period; {fmt.count(k.incidents)} "
                  f"incidents. Previous period: {fmt.hours(k.previous_restore)}",
             border=True)  # fmt: skip
    d.metric("Change failure rate", fmt.percent(k.failure_rate),
             fmt.points_change(k.failure_rate, k.previous_failure_rate), delta_color="inverse",
             help=f"{fmt.count(k.failed)} of {fmt.count(k.with_changes)} deployments with changes "
                  f"caused an incident. Previous period: {fmt.percent(k.previous_failure_rate)}",
             border=True)  # fmt: skip
