"""Delivery: cycle time (p50, p85), throughput, sprint commitment against completion and the
issues left open, for the projects of a department."""

from __future__ import annotations

import _queries as queries
import streamlit as st
from _filters import period_and_department

from armazem.dashboard import charts, fmt, ui

TITLE = "Delivery"
ICON = ":material/view_kanban:"
ORDER = 2


def render() -> None:
    reader = ui.context().readers.marts
    st.title("Delivery")
    if not ui.require(reader, reader.marts, queries.DELIVERY_MARTS,
                      "build and publish the marts with `armazem run`"):  # fmt: skip
        return
    months = ui.query(reader, queries.report_months, "rpt_delivery_monthly")
    if not months:
        st.info("There are no tracker issues in the warehouse yet.", icon=":material/info:")
        return
    period, department = period_and_department(reader, months, "delivery")
    st.caption(
        "A project belongs to the department that runs it. Cycle time is first In Progress to "
        "Done; its percentiles over the period (and per month, over several projects) are "
        "computed from the issues finished, as the monthly report computes each project's. "
        "Commitment completion = completed committed points / committed points of the sprints "
        "that ended in the period."
    )
    k = ui.query(reader, queries.delivery_kpis, department, period)
    a, b, c, d, e = st.columns(5)
    a.metric("Throughput", fmt.count(k.throughput), fmt.change(k.throughput, k.previous_throughput),
             help=f"Issues done. Previous period: {fmt.count(k.previous_throughput)}",
             border=True)  # fmt: skip
    b.metric("Cycle time p50", fmt.hours(k.p50), fmt.hours_change(k.p50, k.previous_p50),
             delta_color="inverse", help=f"Previous period: {fmt.hours(k.previous_p50)}",
             border=True)  # fmt: skip
    c.metric("Cycle time p85", fmt.hours(k.p85), fmt.hours_change(k.p85, k.previous_p85),
             delta_color="inverse", help=f"Previous period: {fmt.hours(k.previous_p85)}",
             border=True)  # fmt: skip
    d.metric("Commitment", fmt.percent(k.completion),
             fmt.points_change(k.completion, k.previous_completion),
             help=f"Sprint commitment completed: {fmt.count(k.completed)} of "
                  f"{fmt.count(k.committed)} committed points. "
                  f"Previous period: {fmt.percent(k.previous_completion)}",
             border=True)  # fmt: skip
    e.metric("Open issues", fmt.count(k.open_issues),
             fmt.change(k.open_issues, k.previous_open_issues), delta_color="inverse",
             help="Created and not done at the period's end. At the previous period's end: "
                  f"{fmt.count(k.previous_open_issues)}", border=True)  # fmt: skip

    monthly = ui.query(reader, queries.delivery_monthly, department, period)
    labels = [fmt.month(m) for m in monthly.column("month")]
    left, right = st.columns(2)
    with left:
        ui.chart(charts.bars(labels, monthly.column("throughput"), "Throughput per month",
                             value_title="issues done"), key="throughput")  # fmt: skip
    with right:
        cycle = {
            "p50 (h)": [None if v is None else v / 60 for v in monthly.column("p50")],
            "p85 (h)": [None if v is None else v / 60 for v in monthly.column("p85")],
        }
        ui.chart(charts.lines(labels, cycle, "Cycle time per month"), key="cycle")
    left, right = st.columns(2)
    with left:
        points = {"committed": monthly.column("committed"),
                  "completed": monthly.column("completed")}  # fmt: skip
        ui.chart(charts.grouped_bars(labels, points, "Sprint points: committed and completed"),
                 key="sprints")  # fmt: skip
    with right:
        ui.chart(charts.line(labels, monthly.column("open_issues"), "Open issues at month end",
                             "issues"), key="open")  # fmt: skip
    ui.figures(
        "Monthly delivery figures",
        [
            {"Month": label, "Throughput": fmt.count(r["throughput"]),
             "Cycle time p50": fmt.hours(r["p50"]), "Cycle time p85": fmt.hours(r["p85"]),
             "Committed points": fmt.count(r["committed"]),
             "Completed points": fmt.count(r["completed"]),
             "Open issues": fmt.count(r["open_issues"])}
            for label, r in zip(labels, monthly.records(), strict=True)
        ],
    )  # fmt: skip
    projects = ui.query(reader, queries.delivery_projects, department, period)
    ui.figures(
        "Project figures",
        [
            {"Project": r["project_key"], "Name": r["project_name"],
             "Throughput": fmt.count(r["throughput"]),
             "Commitment completion": fmt.percent(
                 r["completed"] / r["committed"] if r["committed"] else None),
             "Open issues at the end": fmt.count(r["open_issues"]),
             "Their median age (days)": fmt.number(r["open_age_days"])}
            for r in projects.records()
        ],
    )  # fmt: skip
