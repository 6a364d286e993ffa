"""Support: first reply and full resolution in business minutes (median, p90), SLA attainment per
priority, CSAT, the backlog per day and the reopen rate."""

from __future__ import annotations

import _queries as queries
import streamlit as st
from _filters import period_and_department

from armazem.dashboard import charts, fmt, ui

TITLE = "Support"
ICON = ":material/support_agent:"
ORDER = 3


def render() -> None:
    reader = ui.context().readers.marts
    st.title("Support")
    if not ui.require(reader, reader.marts, queries.SUPPORT_MARTS,
                      "build and publish the marts with `armazem run`"):  # fmt: skip
        return
    months = ui.query(reader, queries.report_months, "rpt_support_monthly")
    if not months:
        st.info("There are no tickets in the warehouse yet.", icon=":material/info:")
        return
    period, _ = period_and_department(reader, months, "support")
    ui.not_filtered(
        "Every figure on this page", "department",
        "tickets carry no department: the Customer Support department answers them all",
    )  # fmt: skip
    st.caption(
        "Times are business minutes of the support schedule, shown in hours. Medians and 90th "
        "percentiles over the period are computed from the tickets created in it (as the "
        "monthly report computes its months'); attainment, CSAT and reopen rate from the "
        "period's summed counts."
    )
    k = ui.query(reader, queries.support_kpis, period)
    row = st.columns(5)
    row[0].metric("Tickets", fmt.count(k.tickets), fmt.change(k.tickets, k.previous_tickets),
                  help=f"Created in the period. Previous period: {fmt.count(k.previous_tickets)}",
                  border=True)  # fmt: skip
    row[1].metric("First reply, median", fmt.hours(k.first_reply_median),
                  fmt.hours_change(k.first_reply_median, k.previous_first_reply_median),
                  delta_color="inverse", help="Previous period: "
                  f"{fmt.hours(k.previous_first_reply_median)}", border=True)  # fmt: skip
    row[2].metric("First reply, p90", fmt.hours(k.first_reply_p90), border=True)
    row[3].metric("Resolution, median", fmt.hours(k.resolution_median),
                  fmt.hours_change(k.resolution_median, k.previous_resolution_median),
                  delta_color="inverse", help="Full resolution. Previous period: "
                  f"{fmt.hours(k.previous_resolution_median)}", border=True)  # fmt: skip
    row[4].metric("Resolution, p90", fmt.hours(k.resolution_p90), border=True)
    row = st.columns(5)
    attained = k.replied_in_time / k.replied if k.replied else None
    previous_attained = (
        k.previous_replied_in_time / k.previous_replied if k.previous_replied else None
    )
    row[0].metric("First reply SLA", fmt.percent(attained),
                  fmt.points_change(attained, previous_attained),
                  help=f"{fmt.count(k.replied_in_time)} of {fmt.count(k.replied)} replies in "
                       f"time. Previous period: {fmt.percent(previous_attained)}",
                  border=True)  # fmt: skip
    row[1].metric("Resolution SLA", fmt.percent(k.solved_in_time / k.solved if k.solved else None),
                  help=f"{fmt.count(k.solved_in_time)} of {fmt.count(k.solved)} solved in time",
                  border=True)  # fmt: skip
    rated = k.good + k.bad
    row[2].metric("CSAT", fmt.percent(k.good / rated if rated else None),
                  help=f"{fmt.count(k.good)} good of {fmt.count(rated)} ratings",
                  border=True)  # fmt: skip
    row[3].metric("Reopen rate", fmt.percent(k.reopened / k.solved if k.solved else None),
                  help=f"{fmt.count(k.reopened)} reopened of {fmt.count(k.solved)} solved",
                  border=True)  # fmt: skip
    row[4].metric("Backlog", fmt.count(k.backlog), fmt.change(k.backlog, k.previous_backlog),
                  delta_color="inverse", help=f"Open tickets at the end of {period.last_day}. "
                  f"At the previous period's end: {fmt.count(k.previous_backlog)}",
                  border=True)  # fmt: skip

    backlog = ui.query(reader, queries.support_backlog, period)
    monthly = ui.query(reader, queries.support_monthly, period)
    labels = [fmt.month(m) for m in monthly.column("month")]
    left, right = st.columns(2)
    with left:
        ui.chart(charts.line(backlog.column("date"), backlog.column("open_tickets"),
                             "Backlog per day", "open tickets"), key="backlog")  # fmt: skip
    with right:
        times = {
            name: [None if v is None else v / 60 for v in monthly.column(column)]
            for name, column in (("first reply, median (h)", "first_reply_median"),
                                 ("first reply, p90 (h)", "first_reply_p90"),
                                 ("resolution, median (h)", "resolution_median"),
                                 ("resolution, p90 (h)", "resolution_p90"))
        }  # fmt: skip
        ui.chart(charts.lines(labels, times, "Business hours to reply and resolve"), key="times")
    priorities = ui.query(reader, queries.support_priorities, period)
    left, right = st.columns(2)
    with left:
        records = priorities.records()
        attainment = {
            "first reply": [_share(r["replied_in_time"], r["replied"]) for r in records],
            "resolution": [_share(r["solved_in_time"], r["solved"]) for r in records],
        }
        ui.chart(charts.grouped_bars(priorities.column("priority"), attainment,
                                     "SLA attainment per priority (%)"), key="sla")  # fmt: skip
    with right:
        rates = {
            "CSAT (%)": [None if v is None else v * 100 for v in monthly.column("csat")],
            "reopen rate (%)": [
                None if v is None else v * 100 for v in monthly.column("reopen_rate")
            ],
        }
        ui.chart(charts.lines(labels, rates, "Satisfaction and reopens"), key="rates")
    ui.figures(
        "SLA figures",
        [
            {"Priority": r["priority"], "Tickets": fmt.count(r["tickets"]),
             "First reply SLA": fmt.percent(_ratio(r["replied_in_time"], r["replied"])),
             "Resolution SLA": fmt.percent(_ratio(r["solved_in_time"], r["solved"]))}
            for r in records
        ],
    )  # fmt: skip
    ui.figures(
        "Monthly support figures",
        [
            {"Month": label, "Tickets": fmt.count(r["tickets"]),
             "First reply median": fmt.hours(r["first_reply_median"]),
             "First reply p90": fmt.hours(r["first_reply_p90"]),
             "Resolution median": fmt.hours(r["resolution_median"]),
             "Resolution p90": fmt.hours(r["resolution_p90"]),
             "CSAT": fmt.percent(r["csat"]), "Reopen rate": fmt.percent(r["reopen_rate"])}
            for label, r in zip(labels, monthly.records(), strict=True)
        ],
    )  # fmt: skip


def _ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if whole else None


def _share(part: float | None, whole: float | None) -> float | None:
    ratio = _ratio(part, whole)
    return None if ratio is None else ratio * 100
