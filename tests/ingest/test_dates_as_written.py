"""No reader normalises a date or a time: a value is loaded exactly as written, or quarantined with
its reason. The same values go through every source kind that hands the contract text: an access
log, CSV, JSON-lines, a JSON API on a real HTTP server, MongoDB strings on a real server, and a
text column of a real SQL database (SQLite) cast to DATE and TIMESTAMP."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pymongo
import pytest

from armazem.ingest import files, http_api, mongodb, sql
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract, Validator

# (text, the value it must load as, or None: it must be quarantined)
DAYS = [
    ("2024-02-29", date(2024, 2, 29)),  # a leap day
    ("2024-1-5", date(2024, 1, 5)),  # unpadded, but exactly this day
    ("2023-02-29", None),  # not a leap year: would otherwise be 1 March
    ("2024-04-31", None),  # April has 30 days
    ("2024-01-05 10:00:00", None),  # a DATE would silently drop the time
    ("infinity", None),
    ("epoch", None),
    ("-2024-01-01", None),
]
TIMES = [
    ("2024-02-29 23:59:59", datetime(2024, 2, 29, 23, 59, 59)),
    ("2024-03-01T08:30:00Z", datetime(2024, 3, 1, 8, 30)),  # UTC, as the warehouse keeps time
    ("2024-03-01 08:30:00.123456", datetime(2024, 3, 1, 8, 30, 0, 123456)),
    ("2024-04-31 10:00:00", None),
    ("2023-02-29 00:00:00", None),
    ("2024-01-01 24:00:00", None),  # would otherwise be 2 January
    ("2024-01-01 23:59:60", None),
    ("2024-01-01 10:00:00+02", None),  # the offset would be dropped: another moment
    ("2024-01-01 10:00:00.1234567", None),  # nanoseconds would be cut
]
CONTRACT = Contract({"id": "INTEGER", "day": "DATE", "at": "TIMESTAMP"}, key=("id",))
REASONS = {"day": "day: value is not a valid DATE", "at": "at: value is not a valid TIMESTAMP"}


def rows() -> list[dict[str, str]]:
    """One row per tested value, the other column valid."""
    out = [{"id": str(i), "day": text, "at": "2024-01-01 00:00:00"} for i, (text, _) in
           enumerate(DAYS)]  # fmt: skip
    out += [{"id": str(100 + i), "day": "2024-01-01", "at": text} for i, (text, _) in
            enumerate(TIMES)]  # fmt: skip
    return out


def check(reader: Reader) -> None:
    """Every valid value loaded as written; every other one quarantined with its column's reason;
    read = loaded + quarantined."""
    validator = Validator(CONTRACT)
    loaded: dict[int, tuple[object, object]] = {}
    quarantined: list[dict[str, str]] = []
    read = 0
    for batch in reader:
        good, bad = validator.split(batch.rows)
        read += batch.read
        quarantined += batch.unreadable.to_pylist() + bad.to_pylist()
        loaded.update({r["id"]: (r["day"], r["at"]) for r in good.to_pylist()})
    validator.close()
    assert read == len(loaded) + len(quarantined) == len(DAYS) + len(TIMES)
    for i, (text, value) in enumerate(DAYS):
        assert (loaded[i][0] if i in loaded else None) == value, text
    for i, (text, value) in enumerate(TIMES):
        assert (loaded[100 + i][1] if 100 + i in loaded else None) == value, text
    expected = sorted([REASONS["day"]] * sum(v is None for _, v in DAYS)
                      + [REASONS["at"]] * sum(v is None for _, v in TIMES))  # fmt: skip
    assert sorted(r["reason"] for r in quarantined) == expected
    assert all(r["record"] for r in quarantined)


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("id,day,at\n" + "".join(f"{r['id']},{r['day']},{r['at']}\n" for r in rows()))
    check(files.read_csv([path], ["id", "day", "at"]))


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "dates.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows()))
    check(files.read_documents([path], {"id": "id", "day": "day", "at": "at"}, None, 5))


def test_sql_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "dates.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (id TEXT, day TEXT, at TEXT)")
        con.executemany("INSERT INTO t VALUES (:id, :day, :at)", rows())
    url = sql.connectorx_url("", path)
    check(sql.read_table(url, "t", ["id", "day", "at"], ["id"], 5))


def test_mongodb_strings(mongo_url: str) -> None:
    name = f"armazem_test_{uuid.uuid4().hex[:8]}"
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_url)
    try:
        client[name]["dates"].insert_many([dict(r) for r in rows()])
        check(mongodb.read_collection(mongo_url, name, "dates",
                                      {"id": "id", "day": "day", "at": "at"}, None, 5))  # fmt: skip
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture
def api() -> Iterator[str]:
    """A JSON API on 127.0.0.1 serving rows() as one page (and an empty second page)."""
    body = json.dumps({"data": rows()}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = body if "page=1" in self.path else b'{"data": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dates"
    server.shutdown()
    server.server_close()


def test_http_api_json(api: str) -> None:
    check(http_api.read_api(api, {"id": "id", "day": "day", "at": "at"}, None, 5))


LOG_LINE = '10.0.0.{n} - - [{time}] "GET /p HTTP/1.1" 200 12 "-" "agent"\n'
LOG_TIMES = [
    ("29/Feb/2024:23:59:59 +0000", datetime(2024, 2, 29, 23, 59, 59)),
    ("01/Mar/2024:01:00:00 +0200", datetime(2024, 2, 29, 23, 0)),  # the offset applied: UTC
    ("31/Apr/2024:10:00:00 +0000", None),  # would otherwise be 1 May
    ("29/Feb/2023:10:00:00 +0000", None),  # would otherwise be 1 March
    ("30/Jun/2024:24:00:00 +0000", None),
    ("30/Jun/2024:23:59:60 +0000", None),
    ("30/Foo/2024:10:00:00 +0000", None),
    ("30/Jun/2024:10:00:00 +9900", None),
]


def test_access_log(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text("".join(LOG_LINE.format(n=n, time=t) for n, (t, _) in enumerate(LOG_TIMES)))
    loaded: dict[str, datetime] = {}
    reasons = []
    for batch in files.read_access_logs([path], 3):
        columns = batch.rows.select(["ip", "time"]).to_pydict()
        loaded.update(zip(columns["ip"], columns["time"], strict=True))
        reasons += batch.unreadable.column("reason").to_pylist()
        assert batch.rows.schema.field("time").type == pa.timestamp("s")
    assert loaded == {f"10.0.0.{n}": v for n, (_, v) in enumerate(LOG_TIMES) if v is not None}
    bad = [n for n, (_, v) in enumerate(LOG_TIMES) if v is None]
    assert sorted(reasons) == sorted(
        f"access.log line {n + 1}: time is not a valid timestamp" for n in bad
    )
