"""Finance: the P&L by month and department, cost per project, revenue per employee and the
ageing of accounts receivable."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import _queries as queries
import streamlit as st
from _filters import period_and_department

from armazem.dashboard import charts, fmt, ui

TITLE = "Finance"
ICON = ":material/account_balance:"
ORDER = 5


def render() -> None:
    reader = ui.context().readers.marts
    st.title("Finance")
    if not ui.require(reader, reader.marts, queries.FINANCE_MARTS,
                      "build and publish the marts with `armazem run`"):  # fmt: skip
        return
    months = ui.query(reader, queries.report_months, "rpt_profit_and_loss_monthly")
    if not months:
        st.info("There are no ledger entries in the warehouse yet.", icon=":material/info:")
        return
    period, department = period_and_department(reader, months, "finance")
    k = ui.query(reader, queries.finance_kpis, department, period)
    a, b, c, d = st.columns(4)
    for box, label, value, previous in (
        (a, "Revenue", k.revenue, k.previous_revenue),
        (b, "Costs", k.costs, k.previous_costs),
        (c, "Net income", k.net_income, k.previous_net_income),
        (d, "Payroll", k.payroll, k.previous_payroll),
    ):
        box.metric(label, fmt.money(value), fmt.change(value, previous),
                   delta_color="inverse" if label in ("Costs", "Payroll") else "normal",
                   help=f"Previous period: {fmt.money(previous)}", border=True)  # fmt: skip
    e, f, g, _ = st.columns(4)
    e.metric("Revenue per employee", fmt.money(k.revenue_per_employee),
             fmt.change(k.revenue_per_employee, k.previous_revenue_per_employee),
             help="A month's revenue per worker at its end, over the period: its revenue / its "
                  "month-end headcounts summed. Previous period: "
                  f"{fmt.money(k.previous_revenue_per_employee)}", border=True)  # fmt: skip
    f.metric("Receivable", fmt.money(k.receivable), help="Open invoices, all ages", border=True)
    g.metric("Open invoices", fmt.count(k.invoices_open), border=True)
    ui.not_filtered("Revenue per employee, receivable and AR ageing", "department",
                    "they are the company's: customers owe the company, and revenue per "
                    "employee is over every worker")  # fmt: skip
    ui.not_filtered("Receivable and AR ageing", "period",
                    "they are as of the ledger's last entry date")  # fmt: skip
    st.caption(
        "The P&L follows the ledger's sign rules: revenue = credits - debits of revenue "
        "accounts, costs = cost of goods sold + expenses, net income = revenue - costs; late "
        "entries count in the month they belong to. A project's cost is its direct costs plus "
        "the payroll allocated to it by worklog hours; projects belong to the department that "
        "runs them."
    )

    pnl = ui.query(reader, queries.finance_monthly, department, period)
    records = pnl.records()
    labels = sorted({fmt.month(r["month"]) for r in records})
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    net_by_department: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in records:
        label = fmt.month(r["month"])
        totals["revenue"][label] += r["revenue"]
        totals["costs"][label] += r["cost_of_goods_sold"] + r["expenses"]
        totals["net income"][label] += r["net_income"]
        net_by_department[r["department_name"]][label] = r["net_income"]
    left, right = st.columns(2)
    with left:
        series = {
            name: [values.get(m, Decimal(0)) for m in labels] for name, values in totals.items()
        }
        ui.chart(charts.lines(labels, series, "Profit and loss per month"), key="pnl")
    with right:
        series = {
            name: [values.get(m) for m in labels] for name, values in net_by_department.items()
        }
        ui.chart(charts.grouped_bars(labels, series, "Net income per department", stacked=True),
                 key="net_by_department")  # fmt: skip
    projects = ui.query(reader, queries.project_costs, department, period)
    ageing = {r["ageing_bucket"]: r for r in ui.query(reader, queries.ar_ageing).records()}
    left, right = st.columns(2)
    with left:
        ui.chart(charts.bars(projects.column("project_key"), projects.column("total_cost"),
                             "Cost per project", horizontal=True, value_title="cost"),
                 key="projects")  # fmt: skip
    with right:
        amounts = [ageing[b]["open_amount"] if b in ageing else 0 for b in queries.AGEING_BUCKETS]
        as_of = next((r["as_of_date"] for r in ageing.values()), None)
        ui.chart(charts.bars(list(queries.AGEING_BUCKETS), amounts,
                             f"Receivable by days past due (as of {as_of})",
                             value_title="open amount"), key="ageing")  # fmt: skip
    ui.figures(
        "P&L figures",
        [
            {"Month": fmt.month(r["month"]), "Department": r["department_name"],
             "Revenue": fmt.money(r["revenue"]),
             "Cost of goods sold": fmt.money(r["cost_of_goods_sold"]),
             "Expenses": fmt.money(r["expenses"]), "Payroll": fmt.money(r["payroll"]),
             "Net income": fmt.money(r["net_income"])}
            for r in records
        ],
    )  # fmt: skip
    ui.figures(
        "Project figures",
        [
            {"Project": r["project_key"], "Name": r["project_name"],
             "Revenue": fmt.money(r["revenue"]), "Direct costs": fmt.money(r["direct_costs"]),
             "Hours": fmt.number(r["hours"]),
             "Allocated payroll": fmt.money(r["allocated_payroll"]),
             "Total cost": fmt.money(r["total_cost"])}
            for r in projects.records()
        ],
    )  # fmt: skip
    ui.figures(
        "AR ageing figures",
        [
            {"Days past due": b, "Invoices": fmt.count(ageing[b]["invoices"]),
             "Open amount": fmt.money(ageing[b]["open_amount"])}
            for b in queries.AGEING_BUCKETS if b in ageing
        ],
    )  # fmt: skip
    per_employee = ui.query(reader, queries.revenue_per_employee, period)
    ui.figures(
        "Revenue per employee figures",
        [
            {"Month": fmt.month(r["month"]), "Revenue": fmt.money(r["revenue"]),
             "Headcount": fmt.count(r["headcount"]),
             "Revenue per employee": fmt.money(r["per_employee"])}
            for r in per_employee.records()
        ],
    )  # fmt: skip
