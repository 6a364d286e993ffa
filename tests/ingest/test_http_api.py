"""JSON APIs read from a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyarrow as pa
import pytest

from armazem.errors import ArmazemError
from armazem.ingest import http_api
from armazem.ingest.files import read_documents
from armazem.ingest.http_api import read_api

RECORDS = [
    {"id": i, "name": f"item {i}", "price": i * 1.5, "tags": ["a", "é"], "meta": {"z": 1, "a": i}}
    for i in range(1, 13)
]
PAGE = 5  # records per page: pages of 5, 5 and 2
FIELDS = {"id": "id", "name": "name"}
Answer = tuple[int, dict[str, str], bytes]  # status, headers, body


def _json(value: object, status: int = 200, **headers: str) -> Answer:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(value).encode()


def _page(query: dict[str, str]) -> Answer:
    number = int(query.get("page", "1"))
    return _json({"data": RECORDS[(number - 1) * PAGE : number * PAGE], "page": number})


def _cursor(query: dict[str, str]) -> Answer:
    start = int(query.get("cursor", "c0")[1:])
    end = start + PAGE
    following = f"c{end}" if end < len(RECORDS) else None
    return _json({"items": RECORDS[start:end], "next_cursor": following})


def _link(query: dict[str, str], base: str) -> Answer:
    """A bare list per page (GitHub style); the first next link relative, the others absolute."""
    offset = int(query.get("offset", "0"))
    headers = {}
    if offset + PAGE < len(RECORDS):
        target = f"/link?offset={offset + PAGE}&per_page={PAGE}"
        target = target if offset == 0 else base + target
        headers["Link"] = f'<{target}>; rel="next", <{base}/link?offset=0>; rel="first"'
    return _json(RECORDS[offset : offset + PAGE], **headers)


class Api:
    """What the server answers, per path; counts requests so an answer can fail only once."""

    def __init__(self) -> None:
        self.base = ""
        self.hits: Counter[str] = Counter()
        self.log: list[str] = []

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        self.hits[path] += 1
        first = self.hits[path] == 1
        routes: dict[str, Callable[[], Answer]] = {
            "/pages": lambda: _page(query),
            "/cursor": lambda: _cursor(query),
            "/link": lambda: _link(query, self.base),
            "/rate-limited": lambda: _json({"error": "slow down"}, 429, **{"Retry-After": "1"})
            if first else _page(query),
            "/flaky": lambda: _json({"error": "oops"}, 500) if first else _page(query),
            "/down": lambda: _json({"error": "down"}, 503),
            "/mixed": lambda: _json({"data": [{"id": 1}, 42, "text", None, [1], {"id": 2}]})
            if query.get("page") == "1" else _json({"data": []}),
            "/truncated": lambda: _page(query)
            if query.get("page") == "1" else (200, {}, b'{"data": [{"id": 6}, {"id"'),
            "/wrong-key": lambda: _json({"results": RECORDS}),
            "/loop": lambda: _json({"data": RECORDS[:1], "next_cursor": "same"}),
            "/unauthorized": lambda: _json({"message": "bad token"}, 401),
            "/slow": lambda: (time.sleep(1.0), _page(query))[1],
        }  # fmt: skip
        route = routes.get(path)
        return route() if route else _json({"message": "no such endpoint"}, 404)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Api]]:
    api = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            api.log.append(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            status, headers, body = api.answer(parts.path, query)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # a client that timed out has gone

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    api.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield api.base, api
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_api, "BACKOFF_SECONDS", 0.01)


def collect(reader) -> tuple[list, pa.Table, list[dict]]:
    batches = list(reader)
    rows = pa.concat_tables([b.rows for b in batches])
    return batches, rows, [r for b in batches for r in b.unreadable.to_pylist()]


def test_page_numbers_are_followed_until_an_empty_page(server: tuple[str, Api]) -> None:
    base, api = server
    api.log.clear()
    _, rows, bad = collect(read_api(f"{base}/pages", FIELDS, "rest", 100, params={"q": "x y"}))
    assert rows.column("id").to_pylist() == [str(r["id"]) for r in RECORDS]
    assert bad == []
    assert [urlsplit(p).query for p in api.log] == [f"q=x+y&page={n}" for n in (1, 2, 3, 4)]


def test_records_are_flattened_like_json_lines_documents(
    server: tuple[str, Api], tmp_path: Path
) -> None:
    base, _ = server
    lines = tmp_path / "records.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    _, rows, _ = collect(read_api(f"{base}/pages", FIELDS, "rest", 100))
    _, expected, _ = collect(read_documents([lines], FIELDS, "rest", 100))
    assert rows.equals(expected)
    assert rows.column("rest")[0].as_py() == (
        '{"meta": {"a": 1, "z": 1}, "price": 1.5, "tags": ["a", "\\u00e9"]}'
    )
    _, without_rest, _ = collect(read_api(f"{base}/pages", FIELDS, None, 100))
    assert without_rest.column_names == ["id", "name"]


def test_a_next_cursor_is_followed_until_it_is_null(server: tuple[str, Api]) -> None:
    base, _ = server
    reader = read_api(f"{base}/cursor", FIELDS, "rest", 100, "cursor", records_key="items")
    _, rows, _ = collect(reader)
    assert rows.column("id").to_pylist() == [str(r["id"]) for r in RECORDS]


def test_link_headers_are_followed_relative_or_absolute(server: tuple[str, Api]) -> None:
    base, api = server
    api.log.clear()
    _, rows, _ = collect(read_api(f"{base}/link", FIELDS, "rest", 100, "link"))
    assert rows.column("id").to_pylist() == [str(r["id"]) for r in RECORDS]
    assert api.log == ["/link", "/link?offset=5&per_page=5", "/link?offset=10&per_page=5"]


@pytest.mark.parametrize("batch_size", [1, 3, 7, 100])
def test_batches_are_bounded_whatever_the_page_size(
    server: tuple[str, Api], batch_size: int
) -> None:
    base, _ = server
    batches, rows, _ = collect(read_api(f"{base}/pages", FIELDS, "rest", batch_size))
    sizes = [b.read for b in batches]
    assert all(size <= batch_size for size in sizes)
    assert sizes[:-1] == [batch_size] * (len(sizes) - 1)  # full batches, also across pages
    assert rows.num_rows == len(RECORDS)


def test_429_waits_as_long_as_retry_after_asks(server: tuple[str, Api]) -> None:
    base, api = server
    started = time.monotonic()
    _, rows, _ = collect(read_api(f"{base}/rate-limited", FIELDS, "rest", 100))
    assert time.monotonic() - started >= 1.0
    assert rows.num_rows == len(RECORDS)
    assert api.hits["/rate-limited"] == 5  # the 429, then pages 1-4


def test_a_server_error_is_tried_again(server: tuple[str, Api]) -> None:
    base, api = server
    _, rows, _ = collect(read_api(f"{base}/flaky", FIELDS, "rest", 100))
    assert rows.num_rows == len(RECORDS)
    assert api.hits["/flaky"] == 5


def test_a_server_error_that_lasts_is_an_error_with_a_fix(
    server: tuple[str, Api], fast_backoff: None
) -> None:
    base, api = server
    with pytest.raises(ArmazemError, match="answered 503") as caught:
        list(read_api(f"{base}/down", FIELDS, "rest", 100))
    assert api.hits["/down"] == http_api.MAX_ATTEMPTS
    assert f"{base}/down?page=1" in caught.value.problem
    assert "retry later" in caught.value.fix


def test_404_and_401_fail_at_once_with_the_url_and_a_fix(server: tuple[str, Api]) -> None:
    base, api = server
    with pytest.raises(ArmazemError, match="answered 404 Not Found") as caught:
        list(read_api(f"{base}/nowhere", FIELDS, "rest", 100))
    assert f"{base}/nowhere" in caught.value.problem
    assert "check the URL" in caught.value.fix
    assert api.hits["/nowhere"] == 1  # not tried again
    with pytest.raises(ArmazemError, match="401") as caught:
        list(read_api(f"{base}/unauthorized", FIELDS, "rest", 100))
    assert "bad token" in caught.value.problem and "credentials" in caught.value.fix


def test_a_record_that_is_not_an_object_is_quarantined_with_the_reason(
    server: tuple[str, Api],
) -> None:
    base, _ = server
    batches, rows, bad = collect(read_api(f"{base}/mixed", FIELDS, "rest", 100))
    assert rows.column("id").to_pylist() == ["1", "2"]
    assert sum(b.read for b in batches) == 6
    assert [b["record"] for b in bad] == ["42", '"text"', "null", "[1]"]
    assert bad[0]["reason"] == f"{base}/mixed?page=1 record 2: not a JSON object but a number"
    assert bad[3]["reason"].endswith("record 5: not a JSON object but an array")


def test_a_malformed_page_stops_the_read_and_yields_none_of_its_records(
    server: tuple[str, Api],
) -> None:
    base, _ = server
    seen: list[str] = []
    with pytest.raises(ArmazemError, match="is not valid JSON") as caught:
        for batch in read_api(f"{base}/truncated", FIELDS, "rest", 2):
            seen.extend(batch.rows.column("id").to_pylist())
    assert f"{base}/truncated?page=2" in caught.value.problem
    assert set(seen) <= {"1", "2", "3", "4", "5"}  # never a record of the broken page 2


def test_records_under_another_key_or_a_looping_cursor_are_errors(
    server: tuple[str, Api],
) -> None:
    base, _ = server
    with pytest.raises(ArmazemError, match="no list of records under 'data'") as caught:
        list(read_api(f"{base}/wrong-key", FIELDS, "rest", 100))
    assert "(found: results)" in caught.value.problem and "records_key" in caught.value.fix
    with pytest.raises(ArmazemError, match="leads back to a page already read"):
        list(read_api(f"{base}/loop", FIELDS, "rest", 100, "cursor"))


def test_an_unreachable_api_is_an_error_with_a_fix(fast_backoff: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/records"
    with pytest.raises(ArmazemError, match="is unreachable") as caught:
        list(read_api(closed, FIELDS, "rest", 100))
    assert closed in caught.value.problem
    assert "host and port" in caught.value.fix


def test_a_slow_api_times_out(server: tuple[str, Api], fast_backoff: None) -> None:
    base, api = server
    client = httpx.Client(timeout=0.2)
    started = time.monotonic()
    with pytest.raises(ArmazemError, match="did not answer in time") as caught:
        list(read_api(f"{base}/slow", FIELDS, "rest", 100, client=client))
    assert time.monotonic() - started < 3
    assert api.hits["/slow"] == http_api.MAX_ATTEMPTS
    assert "longer timeout" in caught.value.fix
    assert not client.is_closed  # a client passed in is the caller's to close
    client.close()


def test_bad_arguments_fail_when_called() -> None:
    with pytest.raises(ValueError, match="pagination"):
        read_api("http://127.0.0.1:1/", FIELDS, None, 10, "offset")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        read_api("http://127.0.0.1:1/", FIELDS, None, 0)
