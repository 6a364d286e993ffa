"""HTTP JSON APIs as a source: every page of records, followed to the end, flattened like JSON-lines
documents (`files.read_documents`) and yielded in bounded batches.

Pagination styles:

- `page`: `?page=1`, `?page=2`, ... until a page without records;
- `cursor`: each answer's `next_cursor` goes back as `?cursor=...` until it is missing or empty;
- `link`: the `Link: <url>; rel="next"` header (RFC 8288) until an answer has none.

A page's body is a JSON object holding the records as a list under `records_key`, or the list
itself. A page is all or nothing: one that is not valid JSON, or holds no list of records, stops
the read with an ArmazemError before any of its records is yielded. A record that is not a JSON
object is unreadable: it goes to quarantine with the reason.

429 and 5xx answers, timeouts and failed connections are tried again a few times with exponential
backoff, waiting as long as a Retry-After header asks; any other 4xx is an ArmazemError at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx
import pyarrow as pa

from armazem.errors import ArmazemError
from armazem.ingest.batches import Batch, Reader, unreadable
from armazem.ingest.files import flatten
from armazem.settings import redact_url

Pagination = Literal["page", "cursor", "link"]
PAGE_PARAM = "page"  # the query parameter of `page` pagination, starting at 1
CURSOR_PARAM = "cursor"  # the query parameter that sends a cursor back
NEXT_CURSOR = "next_cursor"  # the body field that holds the next cursor
TIMEOUT = httpx.Timeout(30.0, connect=5.0)  # seconds; pass a client of your own to change it
MAX_ATTEMPTS = 4  # tries of one request before its failure is final
BACKOFF_SECONDS = 0.5  # the first wait between tries; it doubles with each try
MAX_WAIT = 60.0  # the longest wait the reader accepts, from backoff or Retry-After
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}  # fmt: skip


def read_api(
    url: str,
    fields: dict[str, str],
    rest: str | None,
    batch_size: int,
    pagination: Pagination = "page",
    records_key: str = "data",
    params: dict[str, Any] | None = None,
    client: httpx.Client | None = None,
) -> Reader:
    """The records of every page of a JSON API. `fields` maps a record field to a column (values
    as text); every other field goes, as sorted-keys JSON text, into the column `rest` (if given).
    `params` are sent with the first request (and with every one, for page and cursor pagination).
    """
    if pagination not in get_args(Pagination):
        raise ValueError(f"pagination must be one of {get_args(Pagination)}, not {pagination!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    return _read(url, fields, rest, batch_size, pagination, records_key, dict(params or {}), client)


def _read(
    url: str,
    fields: dict[str, str],
    rest: str | None,
    batch_size: int,
    pagination: Pagination,
    records_key: str,
    params: dict[str, Any],
    client: httpx.Client | None,
) -> Reader:
    http = client if client is not None else httpx.Client(timeout=TIMEOUT, follow_redirects=True)
    try:
        pending = _Pending(fields, rest)
        for page_url, records in _pages(http, url, pagination, records_key, params):
            for index, record in enumerate(records, start=1):
                pending.add(record, f"{page_url} record {index}")
                if pending.count >= batch_size:
                    yield pending.take()
        if pending.count:
            yield pending.take()
    finally:
        if client is None:
            http.close()


def _pages(
    http: httpx.Client, url: str, pagination: Pagination, records_key: str, params: dict[str, Any]
) -> Iterator[tuple[str, list[Any]]]:
    """(page URL, records) for each page, in order, until the pagination says there is no more."""
    next_url, query, number = url, dict(params), 1
    hidden = frozenset(params)
    seen: set[str] = set()
    while True:
        if pagination == "page":
            query = {**params, PAGE_PARAM: number}
        response = _get(http, next_url, query, hidden)
        page_url = shown(str(response.url), hidden)
        body = _body(response, page_url)
        records = _records(body, records_key, page_url)
        if pagination == "page" and not records:
            return
        yield page_url, records
        number += 1
        if pagination == "cursor":
            cursor = body.get(NEXT_CURSOR) if isinstance(body, dict) else None
            if cursor is None or cursor == "":
                return
            query = {**params, CURSOR_PARAM: cursor}
            step = f"{CURSOR_PARAM}={cursor}"
        elif pagination == "link":
            link = response.links.get("next", {}).get("url")
            if not link:
                return
            next_url, query = urljoin(str(response.url), link), {}
            step = next_url
        else:
            continue
        if step in seen:  # an API that points back at a page already read would never end
            raise ArmazemError(
                f"{page_url} leads back to a page already read ({shown(step, hidden)})",
                "check the pagination style (page, cursor or link) for this API",
            )
        seen.add(step)


def shown(url: str, hidden: frozenset[str] = frozenset()) -> str:
    """A URL fit for a message or a quarantine reason: no password, and the values of the query
    parameters in `hidden` (the declared ones, where API keys go) masked."""
    parts = urlsplit(redact_url(url))
    if not hidden or not parts.query:
        return parts.geturl()
    pairs = [(k, "***" if k in hidden else v) for k, v in parse_qsl(parts.query, True)]
    return parts._replace(query=urlencode(pairs, safe="*")).geturl()


def _get(
    http: httpx.Client, url: str, params: dict[str, Any], hidden: frozenset[str]
) -> httpx.Response:
    """One GET, tried again on 429, 5xx, timeouts and failed connections; other 4xx fail."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        last = attempt == MAX_ATTEMPTS
        try:
            response = http.get(url, params=params or None)
        except httpx.TransportError as exc:
            if last:
                raise _unreachable(shown(url, hidden), exc) from None
            time.sleep(_backoff(attempt))
            continue
        if response.status_code == 429 or response.status_code >= 500:
            wait = _retry_after(response)
            if wait is not None and wait > MAX_WAIT:
                raise _status_error(response, hidden, f"it asks to wait {wait:.0f} s") from None
            if last:
                raise _status_error(response, hidden, f"after {MAX_ATTEMPTS} tries")
            time.sleep(wait if wait is not None else _backoff(attempt))
            continue
        if not response.is_success:
            raise _status_error(response, hidden)
        return response
    raise AssertionError("unreachable: the last attempt returns or raises")


def _backoff(attempt: int) -> float:
    return min(MAX_WAIT, BACKOFF_SECONDS * 2 ** (attempt - 1))


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date; None if absent or garbled."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _status_error(
    response: httpx.Response, hidden: frozenset[str], detail: str = ""
) -> ArmazemError:
    code = response.status_code
    problem = f"{shown(str(response.url), hidden)} answered {code} {response.reason_phrase}"
    problem += f" ({detail})" if detail else ""
    excerpt = response.text[:200].strip() if response.content else ""
    if excerpt:
        problem += f": {excerpt}"
    if code in (401, 403):
        fix = "check the API's credentials (token or key) and that they may read this endpoint"
    elif code == 404:
        fix = "check the URL against the API's documentation"
    elif code == 429:
        fix = "the API is limiting the request rate: retry later, or ask for a higher limit"
    elif code >= 500:
        fix = "the API server is failing: retry later, or tell the API's owners"
    else:
        fix = "check the URL, its query parameters and the pagination style against the API's docs"
    return ArmazemError(problem, fix)


def _unreachable(where: str, exc: httpx.TransportError) -> ArmazemError:
    if isinstance(exc, httpx.TimeoutException):
        return ArmazemError(
            f"{where} did not answer in time ({type(exc).__name__}, {MAX_ATTEMPTS} tries)",
            "retry later; if the API is just slow, pass a client with a longer timeout",
        )
    return ArmazemError(
        f"{where} is unreachable ({type(exc).__name__}: {exc or 'no detail'})",
        "check the URL's host and port, that the API is up, and any proxy between",
    )


def _body(response: httpx.Response, page_url: str) -> Any:
    try:
        return json.loads(response.content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ArmazemError(
            f"{page_url} is not valid JSON ({exc}); none of its records was read",
            "check that the URL is the API's JSON endpoint; retry if the answer was cut short",
        ) from None


def _records(body: Any, records_key: str, page_url: str) -> list[Any]:
    if isinstance(body, list):
        return body
    records = body.get(records_key) if isinstance(body, dict) else None
    if isinstance(records, list):
        return records
    keys = ", ".join(sorted(body)) if isinstance(body, dict) else _kind(body)
    raise ArmazemError(
        f"{page_url} holds no list of records under {records_key!r} (found: {keys or 'nothing'})",
        "pass the records_key this API uses",
    )


def _kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


class _Pending:
    """Flattened records waiting to fill a batch."""

    def __init__(self, fields: dict[str, str], rest: str | None) -> None:
        self.fields, self.rest = fields, rest
        self.columns = [*fields.values(), *([rest] if rest else [])]
        self._clear()

    def _clear(self) -> None:
        self.rows: dict[str, list[str | None]] = {c: [] for c in self.columns}
        self.rejected: list[tuple[str, str]] = []
        self.count = 0

    def add(self, record: Any, where: str) -> None:
        """A record as a row, as `files.read_documents` flattens a document; else quarantined."""
        self.count += 1
        if not isinstance(record, dict):
            text = json.dumps(record, ensure_ascii=False)
            self.rejected.append((f"{where}: not a JSON object but {_kind(record)}", text))
            return
        flatten(json.loads(json.dumps(record)), self.fields, self.rest, self.rows)

    def take(self) -> Batch:
        table = pa.table({c: pa.array(v, pa.string()) for c, v in self.rows.items()})
        batch = Batch(table, unreadable(self.rejected))
        self._clear()
        return batch
