"""Engineering: what TechCo's Git hosting service knows, as flat columns per resource (the
server in `githost` nests them as the REST API does): users, repositories, commits on each
default branch, pull requests and their reviews, deployments and their statuses, and issues
(incidents labelled `incident`, with `root cause: <sha>` in their body, and ordinary bugs).

History is linear and rebase-merged: a commit's author date is when it was written, its
committer date when it landed on the default branch. A successful deployment ships every commit
that landed since the repository's previous successful one (often several).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from armazem.simulate.techco.people import Workforce, employed_on
from armazem.simulate.techco.reference import (
    ENGINEERING_DEPARTMENTS,
    HISTORY_START,
    HORIZON_END,
    stream,
    weekday,
)
from armazem.simulate.techco.tables import before, texts

PRS_PER_ENGINEER_DAY = 0.25
DEPLOYS_PER_REPO_DAY = 0.7
FAILED_DEPLOY_SHARE = 0.08
INCIDENT_SHARE = 0.12  # of successful deployments, one of whose commits causes an incident
NO_REVIEW_SHARE = 0.08
HEX = np.array([f"{i:02x}" for i in range(256)])
REPO_WORDS = "api web billing auth search mobile infra data ledger notify gateway admin".split()


def shas(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 40-hex commit ids."""
    digits = HEX[rng.integers(0, 256, (n, 20))]
    out = digits[:, 0]
    for i in range(1, 20):
        out = np.char.add(out, digits[:, i])
    return out


def _engineers(force: Workforce) -> np.ndarray:
    pos = force.positions
    first = np.unique(pos["worker_id"][np.isin(pos["department_id"], ENGINEERING_DEPARTMENTS)])
    return first


def githost(seed: int, scale: float, force: Workforce) -> dict[str, dict[str, np.ndarray]]:
    """The whole horizon of the Git hosting service, as columns per resource."""
    rng = stream(seed, "engineering")
    engineers = _engineers(force)
    emp = force.employments
    users = {
        "user_id": engineers + 1000,
        "login": texts(
            np.char.lower(force.first_name[engineers - 1]),
            "-",
            np.char.lower(force.last_name[engineers - 1]),
            engineers,
        ),
        "name": texts(force.first_name[engineers - 1], " ", force.last_name[engineers - 1]),
        "email": force.email[engineers - 1],
        "created_at": _first_hire(emp, engineers).astype("datetime64[s]") + 9 * 3600,
    }
    n_repos = max(3, round(24 * scale**0.5))
    names = [
        f"{REPO_WORDS[i % len(REPO_WORDS)]}{'' if i < 12 else i // 12 + 1}" for i in range(n_repos)
    ]
    repos = {
        "repository_id": np.arange(1, n_repos + 1) + 5000,
        "name": np.array(names),
        "full_name": texts("techco/", np.array(names)),
        "team": np.where(np.arange(n_repos) % 3 == 0, "platform", "product"),
        "language": np.array(["Python", "TypeScript", "Go", "Kotlin"])[np.arange(n_repos) % 4],
        "created_at": np.datetime64("2020-02-03T10:00:00") + np.arange(n_repos) * 86400 * 17,
    }
    pulls, commits = _pulls_and_commits(rng, force, engineers, repos, scale)
    reviews = _reviews(rng, pulls, engineers)
    deployments, statuses = _deployments(rng, repos, commits)
    issues = _issues(rng, repos, commits, deployments, statuses, users)
    return {
        "users": users,
        "repositories": repos,
        "commits": commits,
        "pulls": pulls,
        "reviews": reviews,
        "deployments": deployments,
        "deployment_statuses": statuses,
        "issues": issues,
    }


def _first_hire(emp: dict[str, np.ndarray], workers: np.ndarray) -> np.ndarray:
    first = np.full(int(emp["worker_id"].max()) + 1, np.datetime64("2100-01-01"), "datetime64[D]")
    np.minimum.at(first, emp["worker_id"], emp["hire_date"])
    return first[workers]


def _workdays() -> np.ndarray:
    days = np.arange(np.datetime64(HISTORY_START, "D"), np.datetime64(HORIZON_END, "D") + 1)
    return days[weekday(days) < 5]


def _pulls_and_commits(rng, force, engineers, repos, scale):
    """Pull requests merged on workdays by engineers employed that day; each lands 1-6 commits
    (a few are direct pushes without a pull request, a few are closed unmerged)."""
    emp = force.employments
    in_eng = np.isin(emp["worker_id"], engineers)
    days = _workdays()
    d_all, a_all = [], []
    for month in np.unique(days.astype("datetime64[M]")):
        mid = month.astype("datetime64[D]") + 14
        staff = emp["worker_id"][in_eng & employed_on(emp, mid)]
        month_days = days[days.astype("datetime64[M]") == month]
        counts = rng.poisson(len(staff) * PRS_PER_ENGINEER_DAY, len(month_days))
        d_all.append(np.repeat(month_days, counts))
        a_all.append(staff[rng.integers(0, len(staff), counts.sum())])
    day, author = np.concatenate(d_all), np.concatenate(a_all)
    n = len(day)
    n_repos = len(repos["repository_id"])
    weight = 1 / np.arange(1, n_repos + 1) ** 0.8
    repo = rng.choice(n_repos, n, p=weight / weight.sum())
    merged_at = day.astype("datetime64[s]") + rng.integers(9 * 3600, 19 * 3600, n)
    opened = merged_at - rng.gamma(2, 8 * 3600, n).astype(np.int64) - 600
    state = np.where(rng.random(n) < 0.06, "closed", "merged")
    direct = (rng.random(n) < 0.04) & (state == "merged")
    order = np.lexsort((merged_at, repo))
    repo, merged_at, opened, author, state, direct = (
        x[order] for x in (repo, merged_at, opened, author, state, direct)
    )
    # merge times are unique per repository: a landing is one instant on its branch
    same = np.r_[False, (repo[1:] == repo[:-1]) & (merged_at[1:] <= merged_at[:-1])]
    while same.any():
        merged_at[same] = merged_at[np.flatnonzero(same) - 1] + 1
        same = np.r_[False, (repo[1:] == repo[:-1]) & (merged_at[1:] <= merged_at[:-1])]
    number = np.ones(n, np.int64)
    for r in range(n_repos):
        at = repo == r
        number[at] = np.arange(1, int(at.sum()) + 1)
    k = np.where(state == "merged", np.where(direct, 1, 1 + rng.geometric(0.45, n) - 1), 0)
    k = np.minimum(k, 6)
    c_pr = np.repeat(np.arange(n), k)
    m = len(c_pr)
    written = opened[c_pr] + (
        (merged_at[c_pr] - opened[c_pr]).astype(np.int64) * rng.uniform(0, 0.9, m)
    ).astype(np.int64)
    written = np.where(direct[c_pr], merged_at[c_pr], written)
    commit_sha = shas(rng, m)
    last_of_pr = np.r_[c_pr[1:] != c_pr[:-1], True]
    merge_sha = np.full(n, None, object)
    merge_sha[c_pr[last_of_pr]] = commit_sha[last_of_pr]
    words = np.array(["fix", "add", "refactor", "update", "remove", "test"])
    commits = {
        "sha": commit_sha,
        "repository_id": repos["repository_id"][repo[c_pr]],
        "author_user_id": author[c_pr] + 1000,
        "author_email": force.email[author[c_pr] - 1],
        "authored_at": written,
        "committed_at": merged_at[c_pr],
        "message": texts(words[rng.integers(0, len(words), m)], " ", commit_sha.astype("U7")),
    }
    real = ~direct
    closed = state == "closed"
    pulls = {
        "pull_id": np.arange(1, int(real.sum()) + 1) + 900_000,
        "repository_id": repos["repository_id"][repo[real]],
        "number": number[real],
        "user_id": author[real] + 1000,
        "title": texts("Change ", number[real])[...],
        "state": np.where(closed[real], "closed", "closed"),
        "created_at": opened[real],
        "closed_at": merged_at[real],
        "merged_at": np.where(closed[real], np.datetime64("NaT"), merged_at[real]),
        "merge_commit_sha": merge_sha[real],
    }
    return pulls, commits


def _reviews(rng, pulls, engineers):
    """1-3 reviews per pull request by other engineers; a few pull requests have none."""
    n = len(pulls["pull_id"])
    count = np.where(rng.random(n) < NO_REVIEW_SHARE, 0, rng.integers(1, 4, n))
    pr = np.repeat(np.arange(n), count)
    m = len(pr)
    reviewer = engineers[rng.integers(0, len(engineers), m)] + 1000
    clash = reviewer == pulls["user_id"][pr]
    reviewer[clash] = (
        engineers[(np.searchsorted(engineers, reviewer[clash] - 1000) + 1) % len(engineers)] + 1000
    )
    span = (pulls["closed_at"][pr] - pulls["created_at"][pr]).astype(np.int64)
    submitted = pulls["created_at"][pr] + (span * rng.uniform(0.1, 0.95, m)).astype(np.int64)
    last = np.r_[pr[1:] != pr[:-1], True]
    state = np.where(
        last, "APPROVED", np.where(rng.random(m) < 0.5, "CHANGES_REQUESTED", "COMMENTED")
    )
    return {
        "review_id": np.arange(1, m + 1) + 3_000_000,
        "pull_id": pulls["pull_id"][pr],
        "user_id": reviewer,
        "state": state,
        "submitted_at": submitted,
    }


def _deployments(rng, repos, commits):
    """Deployments to production on workdays; each names the head commit of its branch at that
    moment. Statuses: queued, in_progress, then success or failure."""
    days = _workdays()
    n_repos = len(repos["repository_id"])
    counts = rng.poisson(DEPLOYS_PER_REPO_DAY, (len(days), n_repos))
    day_i, repo_i = np.nonzero(counts)
    reps = counts[day_i, repo_i]
    day = np.repeat(days[day_i], reps)
    repo_id = repos["repository_id"][np.repeat(repo_i, reps)]
    created = day.astype("datetime64[s]") + rng.integers(10 * 3600, 18 * 3600, len(day))
    order = np.lexsort((created, repo_id))
    created, repo_id = created[order], repo_id[order]
    # head = the last commit landed before the deployment, in the same repository
    c_order = np.lexsort((commits["committed_at"], commits["repository_id"]))
    c_repo, c_time = commits["repository_id"][c_order], commits["committed_at"][c_order]
    c_sha = commits["sha"][c_order]
    key_c = c_repo.astype(np.int64) * 10**10 + c_time.astype(np.int64)
    key_d = repo_id.astype(np.int64) * 10**10 + created.astype(np.int64)
    at = np.searchsorted(key_c, key_d, side="right") - 1
    ok = (at >= 0) & (c_repo[np.maximum(at, 0)] == repo_id)
    created, repo_id, at = created[ok], repo_id[ok], at[ok]
    n = len(created)
    failed = rng.random(n) < FAILED_DEPLOY_SHARE
    deployments = {
        "deployment_id": np.arange(1, n + 1) + 7_000_000,
        "repository_id": repo_id,
        "sha": c_sha[at],
        "environment": np.full(n, "production"),
        "created_at": created,
        "creator_login": np.full(n, "deploy-bot"),
    }
    queued = created + 5
    started = created + rng.integers(30, 300, n)
    finished = started + rng.integers(120, 1500, n)
    dep = np.tile(deployments["deployment_id"], 3)
    statuses = {
        "status_id": np.arange(1, 3 * n + 1) + 8_000_000,
        "deployment_id": dep,
        "state": np.r_[
            np.full(n, "queued"), np.full(n, "in_progress"), np.where(failed, "failure", "success")
        ],
        "created_at": np.r_[queued, started, finished],
    }
    order = np.lexsort((statuses["created_at"], statuses["deployment_id"]))
    return deployments, {k: v[order] for k, v in statuses.items()}


def _issues(rng, repos, commits, deployments, statuses, users):
    """Incidents: after a share of successful deployments, an issue labelled incident names one
    of the commits that deployment shipped as its root cause; some causes cause a second
    incident. Bugs: ordinary issues that are not incidents."""
    ok = statuses["state"] == "success"
    done = np.full(len(deployments["deployment_id"]), np.datetime64("NaT"), "datetime64[s]")
    done[np.searchsorted(deployments["deployment_id"], statuses["deployment_id"][ok])] = statuses[
        "created_at"
    ][ok]
    good = np.flatnonzero(~np.isnat(done))
    hit = good[rng.random(len(good)) < INCIDENT_SHARE]
    n = len(hit)
    cause = deployments["sha"][hit]  # the head commit: always among the commits it shipped
    opened = done[hit] + rng.integers(600, 3 * 86400, n)
    resolved = opened + rng.gamma(1.5, 4 * 3600, n).astype(np.int64) + 300
    repeat = rng.random(n) < 0.15  # the same cause strikes again a few days later
    r_open = opened[repeat] + rng.integers(2 * 86400, 9 * 86400, int(repeat.sum()))
    r_resolved = r_open + rng.gamma(1.5, 3 * 3600, int(repeat.sum())).astype(np.int64) + 300
    n_bugs = max(5, n)
    b_open = np.datetime64(HISTORY_START, "s") + rng.integers(
        0, (np.datetime64(HORIZON_END, "s") - np.datetime64(HISTORY_START, "s")).astype(int), n_bugs
    )
    b_closed = b_open + rng.gamma(2, 5 * 86400, n_bugs).astype(np.int64)
    m = n + int(repeat.sum())
    repo = np.r_[
        deployments["repository_id"][hit],
        deployments["repository_id"][hit][repeat],
        repos["repository_id"][rng.integers(0, len(repos["repository_id"]), n_bugs)],
    ]
    causes = np.r_[cause, cause[repeat]]
    body = np.r_[
        texts("Customers see errors after the deploy.\nroot cause: ", causes),
        np.full(n_bugs, "Steps to reproduce: open the page."),
    ]
    labels = np.r_[np.full(m, "incident"), np.full(n_bugs, "bug")]
    created = np.r_[opened, r_open, b_open]
    closed = np.r_[resolved, r_resolved, b_closed]
    order = np.argsort(created, kind="stable")
    total = m + n_bugs
    reporter = users["user_id"][rng.integers(0, len(users["user_id"]), total)]
    return {
        "issue_id": np.arange(1, total + 1) + 9_000_000,
        "repository_id": repo[order],
        "number": np.arange(1, total + 1),
        "title": np.where(labels[order] == "incident", "Production incident", "Bug report"),
        "body": body[order],
        "labels": labels[order],
        "user_id": reporter,
        "created_at": created[order],
        "closed_at": closed[order],
    }


def cut(resources: dict[str, dict[str, np.ndarray]], as_of: date) -> dict[str, dict]:
    """What the service shows at the end of `as_of`: everything created by then; issues and pull
    requests closed later are still open."""
    day = np.datetime64(as_of, "D")
    times = {
        "users": "created_at",
        "repositories": "created_at",
        "commits": "committed_at",
        "pulls": "created_at",
        "reviews": "submitted_at",
        "deployments": "created_at",
        "deployment_statuses": "created_at",
        "issues": "created_at",
    }
    out = {}
    for name, columns in resources.items():
        keep = before(columns[times[name]], day)
        out[name] = {k: v[keep] for k, v in columns.items()}
    for name, fields in (("pulls", ("closed_at", "merged_at")), ("issues", ("closed_at",))):
        columns = out[name]
        for f in fields:
            late = ~before(columns[f], day)
            columns[f] = np.where(late, np.datetime64("NaT"), columns[f])
        columns["state"] = np.where(np.isnat(columns["closed_at"]), "open", "closed")
    return out
