"""Finance: TechCo's double-entry ledger (chart of accounts, journal entries and lines tagged
with department and project, customers and invoices, vendors and bills, payments, and a payroll
journal each month that agrees with HR's salaries), cut at the day the company has reached.

Payroll rule: on each month's last day, every worker employed that day is paid a twelfth of the
annual salary in effect that day, booked to the department they are in that day (rounded to the
cent per worker). Entries are booked on `entry_date` but some reach the ledger late: `posted_at`
is when they were entered; the ledger as of a day holds only the entries posted by then.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from armazem.simulate.techco.people import Workforce, employed_on
from armazem.simulate.techco.portfolio import Portfolio, active_in
from armazem.simulate.techco.reference import DEPARTMENTS, HISTORY_START, HORIZON_END, stream
from armazem.simulate.techco.tables import before, group_last, table, texts

# account_id, number, name, classification, account type (as QuickBooks names them)
ACCOUNTS = [
    (1, "1000", "Operating Bank Account", "Asset", "Bank"),
    (2, "1100", "Accounts Receivable", "Asset", "Accounts Receivable"),
    (3, "2000", "Accounts Payable", "Liability", "Accounts Payable"),
    (4, "3000", "Retained Earnings", "Equity", "Equity"),
    (5, "4000", "Services Revenue", "Revenue", "Income"),
    (6, "5000", "Cloud Hosting", "Expense", "Cost of Goods Sold"),
    (7, "6000", "Salaries and Wages", "Expense", "Expense"),
    (8, "6100", "Software Subscriptions", "Expense", "Expense"),
    (9, "6200", "Office Rent", "Expense", "Expense"),
    (10, "6300", "Travel", "Expense", "Expense"),
    (11, "6400", "Contractors", "Expense", "Expense"),
]
BANK, AR, AP, REVENUE, CLOUD, SALARIES, SOFTWARE, RENT, TRAVEL, CONTRACTORS = (
    1,
    2,
    3,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
# vendor_id, name, the expense account its bills go to
VENDORS = [
    (1, "Nimbus Cloud", CLOUD),
    (2, "Atlas Software", SOFTWARE),
    (3, "Paulista Offices", RENT),
    (4, "Voar Travel", TRAVEL),
    (5, "Bytecraft Contractors", CONTRACTORS),
    (6, "Deskly", SOFTWARE),
]
LATE_SHARE = 0.03  # entries posted 5-40 days after their entry date; the rest that day


def month_ends(last: date = HORIZON_END) -> np.ndarray:
    months = np.arange(np.datetime64(HISTORY_START, "M"), np.datetime64(last, "M") + 1)
    return (months + 1).astype("datetime64[D]") - 1


def monthly_payroll(force: Workforce) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(month end, department_id, amount) for every month and department with a payroll."""
    emp, pos, sal = force.employments, force.positions, force.salaries
    n = len(force.worker_id)
    out_m, out_d, out_a = [], [], []
    for end in month_ends():
        active = emp["worker_id"][employed_on(emp, end)]
        s = sal["effective_date"] <= end
        s_last = group_last(sal["worker_id"][s] - 1, sal["effective_date"][s], n)
        p = pos["valid_from"] <= end
        p_last = group_last(pos["worker_id"][p] - 1, pos["valid_from"][p], n)
        # a twelfth of the salary to the cent, halves rounded up (as SQL rounds a decimal)
        annual_cents = np.round(sal["annual_salary"][s][s_last[active - 1]] * 100).astype(np.int64)
        pay = ((annual_cents + 6) // 12) / 100
        dept = pos["department_id"][p][p_last[active - 1]]
        totals = np.bincount(dept, weights=pay, minlength=len(DEPARTMENTS) + 1)
        for d in np.flatnonzero(totals):
            out_m.append(end)
            out_d.append(d)
            out_a.append(round(float(totals[d]), 2))
    return np.array(out_m, "datetime64[D]"), np.array(out_d), np.array(out_a)


class _Journal:
    """Entries and their lines, gathered kind by kind, numbered at the end in entry order."""

    def __init__(self) -> None:
        self.entries: list[dict[str, np.ndarray]] = []
        self.lines: list[dict[str, np.ndarray]] = []

    def add(self, when, kind, source_id, memo, lines: list[tuple]) -> None:
        """`lines`: (account, debit, credit, department, project), each an array over entries or
        a scalar; one line per tuple per entry."""
        n = len(when)
        local = np.arange(n) + sum(len(e["entry_date"]) for e in self.entries)
        self.entries.append(
            {
                "local": local,
                "entry_date": when,
                "kind": np.full(n, kind),
                "source_id": source_id,
                "memo": memo,
            }
        )
        for number, (account, debit, credit, department, project) in enumerate(lines, start=1):
            self.lines.append(
                {
                    "local": local,
                    "line_number": np.full(n, number),
                    "account_id": np.broadcast_to(account, n),
                    "debit": np.broadcast_to(np.asarray(debit, float), n),
                    "credit": np.broadcast_to(np.asarray(credit, float), n),
                    "department_id": np.broadcast_to(np.asarray(department, float), n),
                    "project_id": np.broadcast_to(np.asarray(project, float), n),
                }
            )

    def finish(self, rng: np.random.Generator) -> tuple[dict, dict]:
        entries = {k: np.concatenate([e[k] for e in self.entries]) for k in self.entries[0]}
        lines = {k: np.concatenate([e[k] for e in self.lines]) for k in self.lines[0]}
        order = np.lexsort((entries["local"], entries["entry_date"]))
        number = np.empty(len(order), np.int64)
        number[order] = np.arange(1, len(order) + 1)
        n = len(order)
        delay = np.where(rng.random(n) < LATE_SHARE, rng.integers(5, 41, n), 0)  # else the same day
        posted = (
            (entries["entry_date"] + delay).astype("datetime64[s]")
            + np.timedelta64(17 * 3600, "s")
            + rng.integers(0, 3600, n).astype("timedelta64[s]")
        )
        entries = {
            "journal_entry_id": number,
            **{k: v for k, v in entries.items() if k != "local"},
            "posted_at": posted,
        }
        line_entry = number[lines.pop("local")]
        order = np.lexsort((lines["line_number"], line_entry))
        lines = {"journal_entry_id": line_entry[order], **{k: v[order] for k, v in lines.items()}}
        entries = {k: v[np.argsort(entries["journal_entry_id"])] for k, v in entries.items()}
        lines = {"journal_line_id": np.arange(1, len(order) + 1), **lines}
        return entries, lines


def ledger(seed: int, scale: float, force: Workforce, book: Portfolio) -> dict[str, dict]:
    """The whole horizon's ledger, as columns per table (cut later by `ledger_tables`)."""
    rng = stream(seed, "ledger")
    ends = month_ends()
    journal = _Journal()
    # Invoices: each client project bills its monthly fee at the end of every month it runs.
    inv_p, inv_m = [], []
    for end in ends:
        first = end.astype("datetime64[M]").astype("datetime64[D]")
        running = np.flatnonzero(active_in(book, first, end) & (book.project_customer > 0))
        inv_p.append(running)
        inv_m.append(np.full(len(running), end))
    at = np.concatenate(inv_p)  # positions in the portfolio
    project = book.project_id[at]
    inv_date = np.concatenate(inv_m).astype("datetime64[D]")
    n_inv = len(project)
    amount = np.round(book.monthly_fee[at] * rng.uniform(0.85, 1.15, n_inv), 2)
    dept = book.project_department[at]
    invoices = {
        "invoice_id": np.arange(1, n_inv + 1),
        "customer_id": book.project_customer[at],
        "project_id": project,
        "invoice_date": inv_date,
        "due_date": inv_date + 30,
        "total_amount": amount,
    }
    journal.add(
        inv_date,
        "invoice",
        invoices["invoice_id"],
        texts("Invoice ", invoices["invoice_id"]),
        [(AR, amount, 0, np.nan, np.nan), (REVENUE, 0, amount, dept, project)],
    )
    # Bills: rent and cloud every month, software for each department, travel and contractors.
    b_vendor, b_date, b_amount, b_dept, b_project = [], [], [], [], []
    size = max(scale, 0.02)
    for end in ends:
        first = end.astype("datetime64[M]").astype("datetime64[D]")
        running = np.flatnonzero(active_in(book, first, end))
        b_vendor += [3, 1]
        b_date += [first, first + 4]
        b_amount += [round(60_000 * size, 2), round(float(rng.uniform(30_000, 50_000)) * size, 2)]
        b_dept += [1, 3]
        b_project += [np.nan, np.nan]
        for d in (3, 4, 6, 9):
            b_vendor.append(2 if d != 6 else 6)
            b_date.append(first + 9)
            b_amount.append(round(float(rng.uniform(2_000, 6_000)) * size, 2))
            b_dept.append(d)
            b_project.append(np.nan)
        for p in running[rng.random(len(running)) < 0.5]:  # contractors on half the projects
            b_vendor.append(5)
            b_date.append(first + int(rng.integers(5, 25)))
            b_amount.append(round(float(rng.uniform(3_000, 20_000)), 2))
            b_dept.append(int(book.project_department[p]))
            b_project.append(float(book.project_id[p]))
        trips = int(rng.poisson(4 * size + 1))
        for _ in range(trips):
            b_vendor.append(4)
            b_date.append(first + int(rng.integers(0, 27)))
            b_amount.append(round(float(rng.uniform(400, 4_000)), 2))
            b_dept.append(9)
            b_project.append(np.nan)
    vendor = np.array(b_vendor)
    bill_date = np.array(b_date, "datetime64[D]")
    bill_amount = np.array(b_amount)
    bill_dept, bill_project = np.array(b_dept), np.array(b_project)
    n_bills = len(vendor)
    expense = np.array([v[2] for v in VENDORS])[vendor - 1]
    bills = {
        "bill_id": np.arange(1, n_bills + 1),
        "vendor_id": vendor,
        "bill_date": bill_date,
        "due_date": bill_date + 30,
        "total_amount": bill_amount,
        "expense_account_id": expense,
        "department_id": bill_dept,
        "project_id": bill_project,
    }
    journal.add(
        bill_date,
        "bill",
        bills["bill_id"],
        texts("Bill ", bills["bill_id"]),
        [(expense, bill_amount, 0, bill_dept, bill_project), (AP, 0, bill_amount, np.nan, np.nan)],
    )
    # Payments: customers pay after about five weeks (some never); TechCo pays bills in ~3.
    late = rng.gamma(6, 6, n_inv).astype(np.int64)
    unpaid = rng.random(n_inv) < 0.05
    received = inv_date + late
    paid_bill = bill_date + rng.integers(10, 35, n_bills)
    horizon = np.datetime64(HORIZON_END, "D")
    keep_in = ~unpaid & (received <= horizon)
    keep_out = paid_bill <= horizon
    n_in, n_out = int(keep_in.sum()), int(keep_out.sum())
    payments = {
        "payment_id": np.arange(1, n_in + n_out + 1),
        "direction": np.r_[np.full(n_in, "received"), np.full(n_out, "made")],
        "invoice_id": np.r_[invoices["invoice_id"][keep_in], np.full(n_out, np.nan)],
        "bill_id": np.r_[np.full(n_in, np.nan), bills["bill_id"][keep_out]],
        "payment_date": np.r_[received[keep_in], paid_bill[keep_out]],
        "amount": np.r_[amount[keep_in], bill_amount[keep_out]],
    }
    pay_in = payments["direction"] == "received"
    journal.add(
        payments["payment_date"][pay_in],
        "payment",
        payments["payment_id"][pay_in],
        texts("Payment received ", payments["payment_id"][pay_in]),
        [
            (BANK, payments["amount"][pay_in], 0, np.nan, np.nan),
            (AR, 0, payments["amount"][pay_in], np.nan, np.nan),
        ],
    )
    journal.add(
        payments["payment_date"][~pay_in],
        "payment",
        payments["payment_id"][~pay_in],
        texts("Payment made ", payments["payment_id"][~pay_in]),
        [
            (AP, payments["amount"][~pay_in], 0, np.nan, np.nan),
            (BANK, 0, payments["amount"][~pay_in], np.nan, np.nan),
        ],
    )
    # Payroll: per month, a salaries line per department and one bank line for the total.
    month, department, pay = monthly_payroll(force)
    journal.add(
        month,
        "payroll",
        np.zeros(len(month), np.int64),
        texts("Payroll ", month.astype("datetime64[M]"), " department ", department),
        [(SALARIES, pay, 0, department, np.nan), (BANK, 0, pay, np.nan, np.nan)],
    )
    entries, lines = journal.finish(rng)
    entries["source_id"] = np.where(entries["kind"] == "payroll", np.nan, entries["source_id"])
    return {
        "invoices": invoices,
        "bills": bills,
        "payments": payments,
        "journal_entries": entries,
        "journal_lines": lines,
    }


_INTS = {
    c: pa.int32()
    for c in (
        "account_id",
        "customer_id",
        "project_id",
        "vendor_id",
        "department_id",
        "expense_account_id",
        "line_number",
        "invoice_id",
        "bill_id",
        "payment_id",
    )
}
_INTS |= {"journal_entry_id": pa.int64(), "journal_line_id": pa.int64(), "source_id": pa.int64()}


def ledger_tables(books: dict[str, dict], book: Portfolio, as_of: date) -> dict[str, pa.Table]:
    """The ledger database at the end of `as_of`: only what was entered by then."""
    cut = np.datetime64(as_of, "D")
    entries = books["journal_entries"]
    posted = before(entries["posted_at"], cut)
    entry_ids = entries["journal_entry_id"][posted]
    lines = books["journal_lines"]
    has_entry = np.isin(lines["journal_entry_id"], entry_ids)
    known = book.customer_since <= cut
    cut_rows = {
        "invoices": books["invoices"]["invoice_date"] <= cut,
        "bills": books["bills"]["bill_date"] <= cut,
        "payments": books["payments"]["payment_date"] <= cut,
    }
    tables = {
        "accounts": table(
            {
                "account_id": np.array([a[0] for a in ACCOUNTS]),
                "account_number": np.array([a[1] for a in ACCOUNTS]),
                "name": np.array([a[2] for a in ACCOUNTS]),
                "classification": np.array([a[3] for a in ACCOUNTS]),
                "account_type": np.array([a[4] for a in ACCOUNTS]),
            },
            _INTS,
        ),
        "customers": table(
            {
                "customer_id": book.customer_id[known],
                "name": book.customer_name[known],
                "created_at": book.customer_since[known],
            },
            _INTS,
        ),
        "vendors": table(
            {
                "vendor_id": np.array([v[0] for v in VENDORS]),
                "name": np.array([v[1] for v in VENDORS]),
            },
            _INTS,
        ),
        "journal_entries": table({k: v[posted] for k, v in entries.items()}, _INTS),
        "journal_lines": table({k: v[has_entry] for k, v in lines.items()}, _INTS),
    }
    for name, keep in cut_rows.items():
        tables[name] = table({k: v[keep] for k, v in books[name].items()}, _INTS)
    return tables
