"""People: month-end headcount per department, hires, exits by kind, attrition and the payroll
cost per department."""

from __future__ import annotations

from collections import defaultdict

import _queries as queries
import streamlit as st
from _filters import period_and_department

from armazem.dashboard import charts, fmt, ui

TITLE = "People"
ICON = ":material/groups:"
ORDER = 4


def render() -> None:
    reader = ui.context().readers.marts
    st.title("People")
    if not ui.require(reader, reader.marts, queries.PEOPLE_MARTS,
                      "build and publish the marts with `armazem run`"):  # fmt: skip
        return
    months = ui.query(reader, queries.report_months, "rpt_people_monthly")
    if not months:
        st.info("There are no workers in the warehouse yet.", icon=":material/info:")
        return
    period, department = period_and_department(reader, months, "people")
    st.caption(
        "Headcount: workers employed on a month's last day, in the department they were in. "
        "Attrition over the period = its exits / its average headcount (the mean of the months' "
        "average headcounts). Payroll cost: the ledger's Salaries and Wages. Departments of "
        "fewer than five people may be hidden from the BI role."
    )
    k = ui.query(reader, queries.people_kpis, department, period)
    a, b, c, d, e = st.columns([2, 2, 2, 2, 3])  # money is wider
    a.metric("Headcount", fmt.count(k.headcount), fmt.change(k.headcount, k.previous_headcount),
             help=f"At the end of {fmt.month(period.end)}. At the previous period's end: "
                  f"{fmt.count(k.previous_headcount)}", border=True)  # fmt: skip
    b.metric("Hires", fmt.count(k.hires), fmt.change(k.hires, k.previous_hires),
             help=f"Rehires included. Previous period: {fmt.count(k.previous_hires)}",
             border=True)  # fmt: skip
    c.metric("Exits", fmt.count(k.exits), fmt.change(k.exits, k.previous_exits),
             delta_color="inverse",
             help=f"{fmt.count(k.voluntary)} voluntary, {fmt.count(k.involuntary)} involuntary, "
                  f"{fmt.count(k.regrettable)} regrettable. Previous period: "
                  f"{fmt.count(k.previous_exits)}", border=True)  # fmt: skip
    d.metric("Attrition", fmt.percent(k.attrition),
             fmt.points_change(k.attrition, k.previous_attrition), delta_color="inverse",
             help=f"Previous period: {fmt.percent(k.previous_attrition)}", border=True)  # fmt: skip
    e.metric("Payroll cost", fmt.money(k.payroll), fmt.change(k.payroll, k.previous_payroll),
             delta_color="off", help=f"Previous period: {fmt.money(k.previous_payroll)}",
             border=True)  # fmt: skip

    monthly = ui.query(reader, queries.people_monthly, department, period)
    records = monthly.records()
    labels = sorted({fmt.month(r["month"]) for r in records})
    by_department: dict[str, dict[str, int]] = defaultdict(dict)
    hires: dict[str, int] = defaultdict(int)
    exits: dict[str, int] = defaultdict(int)
    for r in records:
        label = fmt.month(r["month"])
        by_department[r["department_name"]][label] = r["headcount"]
        hires[label] += r["hires"]
        exits[label] += r["exits"]
    left, right = st.columns(2)
    with left:
        series = {name: [heads.get(m) for m in labels] for name, heads in by_department.items()}
        ui.chart(charts.grouped_bars(labels, series, "Month-end headcount per department",
                                     stacked=True), key="headcount")  # fmt: skip
    with right:
        flows = {"hires": [hires[m] for m in labels], "exits": [exits[m] for m in labels]}
        ui.chart(charts.grouped_bars(labels, flows, "Hires and exits"), key="flows")
    departments = ui.query(reader, queries.people_departments, department, period)
    left, right = st.columns(2)
    with left:
        ui.chart(charts.donut(["voluntary", "involuntary"], [k.voluntary, k.involuntary],
                              "Exits by kind"), key="exit_kinds")  # fmt: skip
    with right:
        ui.chart(charts.bars(departments.column("department_name"), departments.column("payroll"),
                             "Payroll cost per department", horizontal=True,
                             value_title="payroll"), key="payroll")  # fmt: skip
    ui.figures(
        "Department figures",
        [
            {"Department": r["department_name"], "Headcount at the end": fmt.count(r["headcount"]),
             "Hires": fmt.count(r["hires"]), "Exits": fmt.count(r["exits"]),
             "Voluntary": fmt.count(r["voluntary"]), "Involuntary": fmt.count(r["involuntary"]),
             "Payroll cost": fmt.money(r["payroll"])}
            for r in departments.records()
        ],
    )  # fmt: skip
    ui.figures(
        "Monthly people figures",
        [
            {"Month": fmt.month(r["month"]), "Department": r["department_name"],
             "Headcount": fmt.count(r["headcount"]), "Hires": fmt.count(r["hires"]),
             "Exits": fmt.count(r["exits"]), "Attrition": fmt.percent(r["attrition_rate"]),
             "Payroll cost": fmt.money(r["payroll_cost"])}
            for r in records
        ],
    )  # fmt: skip
