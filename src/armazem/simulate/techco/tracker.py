"""Projects: TechCo's issue tracker, as the JSON files its export writes (shaped like Jira's REST
answers): projects, users, issues (their `fields` nested), the status changelog (one record per
change, with a reopen now and then), sprints (two weeks each) and worklogs (time per person per
issue). The export is a full one: every file is rewritten as of the day it is taken.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

from armazem.simulate.techco.people import Workforce, employed_on
from armazem.simulate.techco.portfolio import Portfolio
from armazem.simulate.techco.reference import HORIZON_END, stream, weekday
from armazem.simulate.techco.tables import before, group_last, texts

FOLDER = "tracker"
ISSUES_PER_PROJECT_DAY = 0.9
REOPEN_SHARE = 0.08
SPRINT_DAYS = 14
FLOW = ("To Do", "In Progress", "In Review", "Done")


def account_id(worker: np.ndarray) -> np.ndarray:
    return texts("557058:", np.char.zfill((worker * 7919 % 1_000_003).astype(str), 7))


def tracker(seed: int, force: Workforce, book: Portfolio) -> dict[str, dict[str, np.ndarray]]:
    rng = stream(seed, "tracker")
    emp, pos = force.employments, force.positions
    horizon = np.datetime64(HORIZON_END, "D")
    ends = np.where(np.isnat(book.project_end), horizon, book.project_end)
    # Sprints: back to back from each project's start.
    s_proj, s_start = [], []
    for p, (start, end) in enumerate(zip(book.project_start, ends, strict=True)):
        starts = np.arange(start, end, SPRINT_DAYS)
        s_proj.append(np.full(len(starts), p))
        s_start.append(starts)
    sprint_project, sprint_start = np.concatenate(s_proj), np.concatenate(s_start)
    sprint_ids = np.arange(1, len(sprint_project) + 1)
    # Issues: created on the project's workdays.
    i_proj, i_day = [], []
    for p, (start, end) in enumerate(zip(book.project_start, ends, strict=True)):
        days = np.arange(start, end)
        days = days[weekday(days) < 5]
        counts = rng.poisson(ISSUES_PER_PROJECT_DAY, len(days))
        i_day.append(np.repeat(days, counts))
        i_proj.append(np.full(int(counts.sum()), p))
    project, day = np.concatenate(i_proj), np.concatenate(i_day)
    n = len(project)
    created = day.astype("datetime64[s]") + rng.integers(9 * 3600, 18 * 3600, n)
    # Assignee: someone of the project's department employed that day; reporter: a manager.
    dept = book.project_department[project]
    assignee = np.zeros(n, np.int64)
    for d in np.unique(dept):
        for month in np.unique(day.astype("datetime64[M]")):
            mid = month.astype("datetime64[D]") + 14
            staff = np.unique(pos["worker_id"][pos["department_id"] == d])
            staff = staff[np.isin(staff, emp["worker_id"][employed_on(emp, mid)])]
            at = (dept == d) & (day.astype("datetime64[M]") == month)
            if at.any() and len(staff):
                assignee[at] = staff[rng.integers(0, len(staff), int(at.sum()))]
    # Status changes: To Do -> In Progress -> In Review -> Done, some reopened and done again.
    wait = rng.gamma(1.5, 2 * 86400, n).astype(np.int64)
    work = rng.gamma(2, 1.5 * 86400, n).astype(np.int64) + 3600
    review = rng.gamma(1.5, 0.5 * 86400, n).astype(np.int64) + 600
    reopened = rng.random(n) < REOPEN_SHARE
    t_progress = created + wait
    t_review = t_progress + work
    t_done = t_review + review
    t_reopen = t_done + rng.integers(3600, 5 * 86400, n)
    t_again = t_reopen + rng.gamma(2, 0.7 * 86400, n).astype(np.int64) + 3600
    t_done2 = t_again + rng.gamma(1.5, 0.3 * 86400, n).astype(np.int64) + 600
    steps = [
        (t_progress, "To Do", "In Progress", np.ones(n, bool)),
        (t_review, "In Progress", "In Review", np.ones(n, bool)),
        (t_done, "In Review", "Done", np.ones(n, bool)),
        (t_reopen, "Done", "Reopened", reopened),
        (t_again, "Reopened", "In Progress", reopened),
        (t_done2, "In Progress", "Done", reopened),
    ]
    c_issue = np.concatenate([np.flatnonzero(s[3]) for s in steps])
    c_time = np.concatenate([s[0][s[3]] for s in steps])
    c_from = np.concatenate([np.full(int(s[3].sum()), s[1]) for s in steps])
    c_to = np.concatenate([np.full(int(s[3].sum()), s[2]) for s in steps])
    order = np.lexsort((c_time, c_issue))
    c_issue, c_time, c_from, c_to = c_issue[order], c_time[order], c_from[order], c_to[order]
    issue_ids = np.arange(1, n + 1) + 10_000
    number = np.zeros(n, np.int64)
    for p in np.unique(project):
        at = project == p
        number[at] = np.arange(1, int(at.sum()) + 1)
    # The sprint an issue is worked in: the one its In Progress falls in.
    proj_first = np.searchsorted(sprint_project, project)
    offset = (t_progress.astype("datetime64[D]") - book.project_start[project]).astype(
        int
    ) // SPRINT_DAYS
    last_sprint = np.searchsorted(sprint_project, project, side="right") - 1
    sprint = np.minimum(proj_first + offset, last_sprint)
    # Worklogs: 1-4 entries by the assignee while the issue is in progress.
    k = rng.integers(1, 5, n)
    w_issue = np.repeat(np.arange(n), k)
    m = len(w_issue)
    span = (t_review - t_progress)[w_issue]
    started = t_progress[w_issue] + (span * rng.uniform(0, 0.95, m)).astype(np.int64)
    types = np.array(["Story", "Bug", "Task"])[rng.choice(3, n, p=[0.5, 0.25, 0.25])]
    return {
        "projects": {
            "project_id": book.project_id,
            "key": book.project_key,
            "name": book.project_name,
            "department_id": book.project_department,
            "created": book.project_start.astype("datetime64[s]") + 9 * 3600,
        },
        "sprints": {
            "sprint_id": sprint_ids,
            "project_id": book.project_id[sprint_project],
            "name": texts(
                book.project_key[sprint_project],
                " Sprint ",
                sprint_ids - np.searchsorted(sprint_project, sprint_project),
            ),
            "start": sprint_start.astype("datetime64[s]") + 9 * 3600,
            "end": (sprint_start + SPRINT_DAYS).astype("datetime64[s]") + 9 * 3600,
        },
        "issues": {
            "issue_id": issue_ids,
            "project": project,
            "number": number,
            "issuetype": types,
            "priority": np.array(["Low", "Medium", "High"])[rng.choice(3, n, p=[0.3, 0.5, 0.2])],
            "assignee": assignee,
            "reporter": 5 + 0 * assignee,
            "created": created,
            "story_points": rng.choice([1, 2, 3, 5, 8], n),
            "sprint": sprint_ids[sprint],
        },
        "changelog": {
            "history_id": np.arange(1, len(c_issue) + 1) + 500_000,
            "issue_id": issue_ids[c_issue],
            "created": c_time,
            "author": assignee[c_issue],
            "from": c_from,
            "to": c_to,
        },
        "worklogs": {
            "worklog_id": np.arange(1, m + 1) + 700_000,
            "issue_id": issue_ids[w_issue],
            "author": assignee[w_issue],
            "started": started,
            "seconds": rng.integers(2, 25, m) * 900,
        },
    }


def _time(values: np.ndarray) -> list[str | None]:
    """Jira's timestamp form, e.g. 2024-03-01T09:15:00.000+0000."""
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    out = np.char.add(text, ".000+0000")
    return [None if np.isnat(v) else s for v, s in zip(values, out.tolist(), strict=True)]


def write_export(
    root: Path, data: dict[str, dict[str, np.ndarray]], force: Workforce, as_of: date
) -> dict[str, int]:
    """The export files as of the end of `as_of`; returns records per file."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    day = np.datetime64(as_of, "D")
    p, s, i = data["projects"], data["sprints"], data["issues"]
    c, w = data["changelog"], data["worklogs"]
    pk = before(p["created"], day)
    projects = [
        {
            "id": str(a),
            "key": b,
            "name": n,
            "projectCategory": {"name": f"department-{d}"},
            "projectTypeKey": "software",
        }
        for a, b, n, d in zip(
            p["project_id"][pk].tolist(),
            p["key"][pk].tolist(),
            p["name"][pk].tolist(),
            p["department_id"][pk].tolist(),
            strict=True,
        )
    ]
    sk = before(s["start"], day)
    state = np.where(before(s["end"], day), "closed", "active")[sk]
    sprints = [
        {
            "id": a,
            "name": n,
            "state": st,
            "originBoardId": b,
            "startDate": t0,
            "endDate": t1,
            "completeDate": t1 if st == "closed" else None,
        }
        for a, n, st, b, t0, t1 in zip(
            s["sprint_id"][sk].tolist(),
            s["name"][sk].tolist(),
            state.tolist(),
            s["project_id"][sk].tolist(),
            _time(s["start"][sk]),
            _time(s["end"][sk]),
            strict=True,
        )
    ]
    ck = before(c["created"], day)
    ik = before(i["created"], day)
    n = len(i["issue_id"])
    last = group_last(np.searchsorted(i["issue_id"], c["issue_id"][ck]), c["created"][ck], n)
    status = np.where(last >= 0, c["to"][ck][np.maximum(last, 0)], "To Do")
    changed = np.where(last >= 0, c["created"][ck][np.maximum(last, 0)], i["created"])
    resolved = np.where(status == "Done", changed, np.datetime64("NaT"))
    project_ids = p["project_id"][i["project"]]
    keys = texts(p["key"][i["project"]], "-", i["number"])
    accounts = account_id(i["assignee"])
    reporters = account_id(i["reporter"])
    issues = [
        {
            "id": str(a),
            "key": k,
            "fields": {
                "project": {"id": str(pid)},
                "issuetype": {"name": t},
                "status": {"name": st},
                "priority": {"name": pr},
                "assignee": {"accountId": acc},
                "reporter": {"accountId": rep},
                "created": cr,
                "updated": up,
                "resolutiondate": rs,
                "customfield_10016": sp,
                "sprint": {"id": spr},
                "summary": f"{t} {k}",
            },
        }
        for a, k, pid, t, st, pr, acc, rep, cr, up, rs, sp, spr in zip(
            i["issue_id"][ik].tolist(),
            keys[ik].tolist(),
            project_ids[ik].tolist(),
            i["issuetype"][ik].tolist(),
            status[ik].tolist(),
            i["priority"][ik].tolist(),
            accounts[ik].tolist(),
            reporters[ik].tolist(),
            _time(i["created"][ik]),
            _time(changed[ik]),
            _time(resolved[ik]),
            i["story_points"][ik].tolist(),
            i["sprint"][ik].tolist(),
            strict=True,
        )
    ]
    changelog = [
        {
            "id": str(h),
            "issueId": str(iid),
            "created": t,
            "author": {"accountId": a},
            "field": "status",
            "fromString": f,
            "toString": to,
        }
        for h, iid, t, a, f, to in zip(
            c["history_id"][ck].tolist(),
            c["issue_id"][ck].tolist(),
            _time(c["created"][ck]),
            account_id(c["author"][ck]).tolist(),
            c["from"][ck].tolist(),
            c["to"][ck].tolist(),
            strict=True,
        )
    ]
    wk = before(w["started"], day)
    worklogs = [
        {
            "id": str(x),
            "issueId": str(iid),
            "author": {"accountId": a},
            "started": t,
            "timeSpentSeconds": sec,
        }
        for x, iid, a, t, sec in zip(
            w["worklog_id"][wk].tolist(),
            w["issue_id"][wk].tolist(),
            account_id(w["author"][wk]).tolist(),
            _time(w["started"][wk]),
            w["seconds"][wk].tolist(),
            strict=True,
        )
    ]
    hired = np.unique(force.employments["worker_id"][force.employments["hire_date"] <= day])
    users = [
        {"accountId": a, "displayName": f"{fn} {ln}", "emailAddress": e, "active": True}
        for a, fn, ln, e in zip(
            account_id(hired).tolist(),
            force.first_name[hired - 1].tolist(),
            force.last_name[hired - 1].tolist(),
            force.email[hired - 1].tolist(),
            strict=True,
        )
    ]
    files = {
        "projects": ("values", projects),
        "users": ("values", users),
        "sprints": ("values", sprints),
        "issues": ("issues", issues),
        "changelog": ("values", changelog),
        "worklogs": ("worklogs", worklogs),
    }
    for name, (key, records) in files.items():
        body = {"startAt": 0, "maxResults": len(records), "total": len(records), key: records}
        (folder / f"{name}.json").write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return {f"tracker.{name}": len(records) for name, (_, records) in files.items()}
