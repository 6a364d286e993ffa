"""The Git hosting service's REST API, served over HTTP on 127.0.0.1 from the simulated data.

Organisation-wide listings (GitHub-shaped records, nested objects included):

    GET /users  /repos  /pulls  /reviews  /deployments  /issues?labels=incident
        a JSON array per page; `?page=N&per_page=M` and a `Link: <...>; rel="next"` header
    GET /commits?since=T  /deployment_statuses
        `{"data": [...], "next_cursor": "..."}`; `?cursor=` asks for the next page

Every answer carries rate-limit headers (X-RateLimit-Limit, -Remaining, -Reset). Like a real
service under load it fails now and then: a request answers 500 or 429 (with Retry-After) on a
fixed rhythm of the server's request count, and succeeds when tried again.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

PER_PAGE, MAX_PER_PAGE = 100, 1000
RATE_LIMIT = 5000
LINK_PAGED = ("users", "repos", "pulls", "reviews", "deployments", "issues")
CURSOR_PAGED = ("commits", "deployment_statuses")


def _time(value: str | None) -> str | None:
    return None if value is None else value.replace(" ", "T") + "Z"


def _records(con: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    con.row_factory = sqlite3.Row
    rows = con.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    return [_shape(table, dict(r)) for r in rows]


def _shape(table: str, r: dict[str, Any]) -> dict[str, Any]:
    """A flat row as the API nests it."""
    if table == "users":
        return {
            "id": r["user_id"],
            "login": r["login"],
            "name": r["name"],
            "email": r["email"],
            "type": "User",
            "created_at": _time(r["created_at"]),
        }
    if table == "repositories":
        return {
            "id": r["repository_id"],
            "name": r["name"],
            "full_name": r["full_name"],
            "language": r["language"],
            "default_branch": "main",
            "private": True,
            "custom_properties": {"team": r["team"]},
            "created_at": _time(r["created_at"]),
        }
    if table == "commits":
        return {
            "sha": r["sha"],
            "repository": {"id": r["repository_id"]},
            "author": {"id": r["author_user_id"]},
            "commit": {
                "message": r["message"],
                "author": {"email": r["author_email"], "date": _time(r["authored_at"])},
                "committer": {"date": _time(r["committed_at"])},
            },
        }
    if table == "pulls":
        return {
            "id": r["pull_id"],
            "number": r["number"],
            "title": r["title"],
            "state": r["state"],
            "repository": {"id": r["repository_id"]},
            "user": {"id": r["user_id"]},
            "created_at": _time(r["created_at"]),
            "closed_at": _time(r["closed_at"]),
            "merged_at": _time(r["merged_at"]),
            "merge_commit_sha": r["merge_commit_sha"],
        }
    if table == "reviews":
        return {
            "id": r["review_id"],
            "pull_request_id": r["pull_id"],
            "user": {"id": r["user_id"]},
            "state": r["state"],
            "submitted_at": _time(r["submitted_at"]),
        }
    if table == "deployments":
        return {
            "id": r["deployment_id"],
            "sha": r["sha"],
            "ref": "main",
            "environment": r["environment"],
            "repository": {"id": r["repository_id"]},
            "creator": {"login": r["creator_login"]},
            "created_at": _time(r["created_at"]),
        }
    if table == "deployment_statuses":
        return {
            "id": r["status_id"],
            "deployment_id": r["deployment_id"],
            "state": r["state"],
            "created_at": _time(r["created_at"]),
        }
    return {
        "id": r["issue_id"],
        "number": r["number"],
        "title": r["title"],
        "body": r["body"],
        "state": r["state"],
        "repository": {"id": r["repository_id"]},
        "labels": [{"name": r["labels"]}],
        "user": {"id": r["user_id"]},
        "created_at": _time(r["created_at"]),
        "closed_at": _time(r["closed_at"]),
    }


class GitHostAPI:
    """The resources of one database file, served until `close()`."""

    def __init__(self, database: Path, fault_every: int = 13) -> None:
        con = sqlite3.connect(database)
        try:
            self.resources = {
                "users": _records(con, "users"),
                "repos": _records(con, "repositories"),
                "commits": _records(con, "commits"),
                "pulls": _records(con, "pulls"),
                "reviews": _records(con, "reviews"),
                "deployments": _records(con, "deployments"),
                "deployment_statuses": _records(con, "deployment_statuses"),
                "issues": _records(con, "issues"),
            }
        finally:
            con.close()
        self.fault_every = fault_every  # 0: never fail
        self.requests = 0
        self.faults = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests += 1
            count = self.requests
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - count)),
            "X-RateLimit-Reset": "4102444800",
        }
        if self.fault_every and count % self.fault_every == 0:
            self.faults += 1
            if (count // self.fault_every) % 2:
                return 500, headers, {"message": "Server Error"}
            return (
                429,
                {**headers, "Retry-After": "0", "X-RateLimit-Remaining": "0"},
                {"message": "API rate limit exceeded"},
            )
        name = path.strip("/")
        if name not in self.resources:
            return 404, headers, {"message": "Not Found"}
        records = self.resources[name]
        if name == "issues" and "labels" in query:
            wanted = set(query["labels"].split(","))
            records = [r for r in records if wanted & {x["name"] for x in r["labels"]}]
        if name == "commits" and query.get("since"):
            since = query["since"].replace(" ", "T").rstrip("Z")
            records = [r for r in records if r["commit"]["committer"]["date"][:-1] > since]
        try:
            size = min(MAX_PER_PAGE, max(1, int(query.get("per_page", PER_PAGE))))
        except ValueError:
            return 422, headers, {"message": "per_page is not a number"}
        if name in CURSOR_PAGED:
            start = (
                int(base64.urlsafe_b64decode(query["cursor"]).decode())
                if query.get("cursor")
                else 0
            )
            page = records[start : start + size]
            more = start + size < len(records)
            cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
            return 200, headers, {"data": page, "next_cursor": cursor}
        number = max(1, int(query.get("page", 1)))
        page = records[(number - 1) * size : number * size]
        if number * size < len(records):
            rest = {k: v for k, v in query.items() if k != "page"}
            link = f"/{name}?{urlencode({**rest, 'page': number + 1, 'per_page': size})}"
            headers["Link"] = f'<{self.url}{link}>; rel="next"'
        return 200, headers, page

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status, headers, body = api.answer(parts.path, query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        return Handler


@contextmanager
def serving(database: Path, fault_every: int = 13) -> Iterator[GitHostAPI]:
    api = GitHostAPI(database, fault_every)
    try:
        yield api
    finally:
        api.close()
