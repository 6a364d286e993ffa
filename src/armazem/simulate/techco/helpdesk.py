"""Support: TechCo's helpdesk, as the CSV files its exports write (shaped like Zendesk's):
tickets, comments (public and private), status history, satisfaction ratings, SLA policies per
priority and the business-hours schedule with its holidays.

Tickets, comments, status changes and ratings are exported per period (a file per month of the
history, then a file per day), each row in the file of the period it happened in. The files
carry a real export's mess: a byte-order mark, comment bodies with newlines inside quotes, and
one month whose tickets file names a column differently (`ticket_priority` for `priority`).
Times are UTC; the schedule is in the support team's time zone, which changes to and from
daylight saving time, and agents sometimes answer outside business hours.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import numpy as np

from armazem.simulate.techco.people import Workforce, employed_on
from armazem.simulate.techco.portfolio import Portfolio
from armazem.simulate.techco.reference import (
    FIXED_HOLIDAYS,
    HISTORY_END,
    HISTORY_START,
    HORIZON_END,
    SUPPORT_TIMEZONE,
    stream,
)
from armazem.simulate.techco.tables import before, texts

FOLDER = "helpdesk"
TICKETS_PER_DAY_AT_SCALE_1 = 60
REOPEN_SHARE = 0.07
RATED_SHARE = 0.4
RENAMED_MONTH = "2024-03"  # this month's tickets file calls `priority` `ticket_priority`
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
# priority, first reply target (business minutes), full resolution target (business minutes)
SLA = [
    ("urgent", 60, 8 * 60),
    ("high", 4 * 60, 3 * 9 * 60),
    ("normal", 8 * 60, 5 * 9 * 60),
    ("low", 16 * 60, 10 * 9 * 60),
]
OPEN_HOUR, CLOSE_HOUR = 9, 18  # local time, Monday to Friday
COLUMNS = {
    "tickets": [
        "id",
        "created_at",
        "subject",
        "description",
        "priority",
        "channel",
        "requester_id",
        "organization_id",
        "assignee_id",
        "group_name",
    ],
    "comments": ["id", "ticket_id", "created_at", "author_id", "public", "body"],
    "status_history": ["ticket_id", "updated_at", "field_name", "value"],
    "satisfaction": ["id", "ticket_id", "created_at", "score", "comment"],
}


def holidays() -> list[date]:
    return [
        date(y, m, d)
        for y in range(HISTORY_START.year, HORIZON_END.year + 1)
        for m, d in FIXED_HOLIDAYS
    ]


def helpdesk(seed: int, scale: float, force: Workforce, book: Portfolio) -> dict[str, dict]:
    rng = stream(seed, "helpdesk")
    emp, pos = force.employments, force.positions
    days = np.arange(np.datetime64(HISTORY_START, "D"), np.datetime64(HORIZON_END, "D") + 1)
    wd = (days.astype(np.int64) + 3) % 7
    rate = TICKETS_PER_DAY_AT_SCALE_1 * scale * np.where(wd < 5, 1.0, 0.35)
    counts = rng.poisson(rate)
    day = np.repeat(days, counts)
    n = len(day)
    hours = np.array([1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 2, 1, 1.0])
    created = (day.astype("datetime64[s]") + rng.choice(24, n, p=hours / hours.sum()) * 3600
               + rng.integers(0, 3600, n) + 4 * 3600)  # fmt: skip  # local office hours in UTC
    created = np.sort(created)
    priority = PRIORITIES[rng.choice(4, n, p=[0.3, 0.45, 0.18, 0.07])]
    customers = book.customer_id
    organization = customers[rng.integers(0, len(customers), n)]
    requester = organization * 100 + rng.integers(1, 20, n)
    agent = np.zeros(n, np.int64)
    staff_all = np.unique(pos["worker_id"][pos["department_id"] == 6])
    for month in np.unique(created.astype("datetime64[M]")):
        mid = month.astype("datetime64[D]") + 14
        staff = staff_all[np.isin(staff_all, emp["worker_id"][employed_on(emp, mid)])]
        at = created.astype("datetime64[M]") == month
        agent[at] = staff[rng.integers(0, len(staff), int(at.sum()))]
    urgency = np.select([priority == "urgent", priority == "high"], [0.3, 0.6], 1.0)
    first_reply = created + (rng.gamma(1.2, 3 * 3600, n) * urgency).astype(np.int64) + 120
    solved = first_reply + rng.gamma(1.5, 12 * 3600, n).astype(np.int64) + 600
    reopened = rng.random(n) < REOPEN_SHARE
    reopen_at = solved + rng.integers(3600, 3 * 86400, n)
    solved_again = reopen_at + rng.gamma(1.5, 6 * 3600, n).astype(np.int64) + 600
    final = np.where(reopened, solved_again, solved)
    closed = final + 4 * 86400
    ids = np.arange(1, n + 1) + 40_000
    tickets = {
        "id": ids,
        "created_at": created,
        "subject": texts(
            "Problem with ",
            np.array(["login", "billing", "export", "the API", "reports"])[rng.integers(0, 5, n)],
        ),
        "description": np.full(n, "It stopped working.\nPlease help."),
        "priority": priority,
        "channel": np.array(["email", "web", "chat", "api"])[rng.integers(0, 4, n)],
        "requester_id": requester,
        "organization_id": organization,
        "assignee_id": agent,
        "group_name": np.full(n, "Support"),
    }
    steps = [
        (created, "new", np.ones(n, bool)),
        (first_reply, "open", np.ones(n, bool)),
        (solved, "solved", np.ones(n, bool)),
        (reopen_at, "open", reopened),
        (solved_again, "solved", reopened),
        (closed, "closed", np.ones(n, bool)),
    ]
    h_ticket = np.concatenate([ids[s[2]] for s in steps])
    h_time = np.concatenate([s[0][s[2]] for s in steps])
    h_value = np.concatenate([np.full(int(s[2].sum()), s[1]) for s in steps])
    order = np.lexsort((h_time, h_ticket))
    history = {
        "ticket_id": h_ticket[order],
        "updated_at": h_time[order],
        "field_name": np.full(len(order), "status"),
        "value": h_value[order],
    }
    # Comments: the request (public, requester), the first reply (public, agent), private notes,
    # the requester's follow-ups, the reply to a reopen.
    notes = rng.random(n) < 0.5
    follow = rng.random(n) < 0.6
    c_parts = [
        (ids, created, requester, True, "It stopped working.\nPlease help.", np.ones(n, bool)),
        (ids, first_reply, agent, True, "Thanks for writing, we are on it.", np.ones(n, bool)),
        (
            ids,
            first_reply + 900,
            agent,
            False,
            "Internal: checked the logs,\nsee the trace.",
            notes,
        ),
        (ids, first_reply + (solved - first_reply) // 2, requester, True, "Any news?", follow),
        (ids, solved, agent, True, 'Fixed, "please" confirm.', np.ones(n, bool)),
        (ids, reopen_at, requester, True, "It broke again.", reopened),
    ]
    cid = np.concatenate([p[0][p[5]] for p in c_parts])
    comments = {
        "ticket_id": cid,
        "created_at": np.concatenate([p[1][p[5]] for p in c_parts]),
        "author_id": np.concatenate([p[2][p[5]] for p in c_parts]),
        "public": np.concatenate([np.full(int(p[5].sum()), p[3]) for p in c_parts]),
        "body": np.concatenate([np.full(int(p[5].sum()), p[4]) for p in c_parts]),
    }
    order = np.lexsort((comments["created_at"], comments["ticket_id"]))
    comments = {
        "id": np.arange(1, len(cid) + 1) + 600_000,
        **{k: v[order] for k, v in comments.items()},
    }
    rated = rng.random(n) < RATED_SHARE
    good = rng.random(n) < np.where(reopened, 0.5, 0.85)
    satisfaction = {
        "id": np.arange(1, int(rated.sum()) + 1) + 800_000,
        "ticket_id": ids[rated],
        "created_at": (final + rng.integers(600, 86400, n))[rated],
        "score": np.where(good, "good", "bad")[rated],
        "comment": np.where(good, "", "Took too long")[rated],
    }
    return {
        "tickets": tickets,
        "comments": comments,
        "status_history": history,
        "satisfaction": satisfaction,
    }


TIME_OF = {
    "tickets": "created_at",
    "comments": "created_at",
    "status_history": "updated_at",
    "satisfaction": "created_at",
}


def write_exports(root: Path, data: dict[str, dict], as_of: date) -> dict[str, int]:
    """Every export file up to the end of `as_of` (a month's file while the history lasts, then a
    day's); returns rows per kind."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    day = np.datetime64(as_of, "D")
    history_end = np.datetime64(HISTORY_END, "D")
    written = {}
    for kind, columns in data.items():
        when = columns[TIME_OF[kind]]
        keep = before(when, day)
        period = np.where(
            when.astype("datetime64[D]") <= history_end,
            np.datetime_as_string(when.astype("datetime64[M]")),
            np.datetime_as_string(when.astype("datetime64[D]")),
        )
        rows = {k: v[keep] for k, v in columns.items()}
        period = period[keep]
        for name in np.unique(period):
            at = period == name
            header = list(COLUMNS[kind])
            if kind == "tickets" and name == RENAMED_MONTH:
                header[header.index("priority")] = "ticket_priority"
            _write_csv(
                folder / f"{kind}_{name}.csv", header, [_text(rows[c][at]) for c in COLUMNS[kind]]
            )
        written[f"helpdesk.{kind}"] = int(keep.sum())
    _write_csv(
        folder / "sla_policies.csv",
        ["priority", "metric", "target_minutes", "business_hours"],
        [
            np.array([s[0] for s in SLA] * 2),
            np.array(["first_reply_time"] * 4 + ["full_resolution_time"] * 4),
            np.array([str(s[1]) for s in SLA] + [str(s[2]) for s in SLA]),
            np.array(["true"] * 8),
        ],
    )
    _write_csv(
        folder / "schedules.csv",
        ["schedule_id", "name", "time_zone", "weekday", "start_minute", "end_minute"],
        [
            np.full(5, "1"),
            np.full(5, "Support hours"),
            np.full(5, SUPPORT_TIMEZONE),
            np.arange(1, 6).astype(str),
            np.full(5, str(OPEN_HOUR * 60)),
            np.full(5, str(CLOSE_HOUR * 60)),
        ],
    )
    days = holidays()
    _write_csv(
        folder / "schedule_holidays.csv",
        ["schedule_id", "name", "start_date", "end_date"],
        [
            np.full(len(days), "1"),
            np.full(len(days), "Public holiday"),
            np.array([d.isoformat() for d in days]),
            np.array([d.isoformat() for d in days]),
        ],
    )
    written["helpdesk.schedule_holidays"] = len(days)
    return written


def _text(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "M":
        return np.char.add(np.datetime_as_string(values.astype("datetime64[s]"), unit="s"), "Z")
    if values.dtype == bool:
        return np.where(values, "true", "false")
    return values.astype(str)


def _write_csv(path: Path, header: list[str], columns: list[np.ndarray]) -> None:
    """A CSV file as the helpdesk writes it: UTF-8 with a byte-order mark, CRLF line ends,
    fields quoted where needed (newlines and quotes inside comment bodies)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(zip(*(c.tolist() for c in columns), strict=True))
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")
