"""MongoDB as a source: a collection streamed in bounded batches, flattened like JSON documents.

Rows come out exactly as `files.read_documents` makes them, so one contract fits a catalog
whether it arrives as a JSON-lines file or as a collection: mapped fields become text columns,
`_id` becomes its string form (an ObjectId's hex), and every other field goes, as sorted-keys JSON,
into the `rest` column. BSON values JSON lacks (ObjectId, dates, Decimal128, binary) are written as
plain JSON strings, never as MongoDB extended JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pymongo
from pymongo.errors import ConfigurationError, ConnectionFailure, OperationFailure

from armazem.errors import ArmazemError
from armazem.ingest.batches import Batch, Reader
from armazem.settings import redact_url

SERVER_TIMEOUT_MS = 5_000  # how long an unreachable server is retried before giving up
FIX = "start MongoDB (or `armazem.servers.mongo.local_mongo`) or correct the MongoDB URL"


def read_collection(
    url: str,
    database: str,
    collection: str,
    fields: dict[str, str],
    rest: str | None,
    batch_size: int,
    query: dict[str, Any] | None = None,
    sort: str = "_id",
) -> Reader:
    """The documents matching `query`, in `sort` order, `batch_size` at a time: `fields` maps a
    document field to a column; every other field goes, as JSON text, into the column `rest`."""
    client = connect(url)
    try:
        cursor = (
            client[database][collection]
            .find(query or {})
            .sort(sort, pymongo.ASCENDING)
            .batch_size(batch_size)
        )
        for documents in _chunks(cursor, batch_size, url):
            yield Batch(to_table(documents, fields, rest))
    finally:
        client.close()


def to_table(documents: list[dict[str, Any]], fields: dict[str, str], rest: str | None) -> pa.Table:
    """Documents as a table of strings (the contract casts them)."""
    rows: dict[str, list[str | None]] = {
        c: [] for c in [*fields.values(), *([rest] if rest else [])]
    }
    for document in documents:
        others = dict(document)
        for field_name, column in fields.items():
            rows[column].append(_text(others.pop(field_name, None)))
        if rest:
            rows[rest].append(_json(others) if others else None)
    return pa.table({c: pa.array(v, pa.string()) for c, v in rows.items()})


def database_of(url: str) -> str:
    """The database a `mongodb://host/<database>` URL names."""
    from urllib.parse import urlsplit

    name = urlsplit(url).path.strip("/")
    if not name:
        raise ArmazemError(f"MongoDB URL {redact_url(url)} names no database",
                           "add it to the URL or give the table a database:")  # fmt: skip
    return name


def connect(url: str) -> pymongo.MongoClient:
    """A client whose server has answered `ping`, or an error that names the server."""
    safe = redact_url(url)
    try:
        client: pymongo.MongoClient = pymongo.MongoClient(
            url, serverSelectionTimeoutMS=SERVER_TIMEOUT_MS, connectTimeoutMS=SERVER_TIMEOUT_MS
        )
    except (ConfigurationError, ValueError) as exc:
        raise ArmazemError(f"malformed MongoDB URL {safe}: {exc}", FIX) from None
    try:
        client.admin.command("ping")
    except ConnectionFailure:
        client.close()
        raise ArmazemError(
            f"MongoDB at {safe} is unreachable (no answer within {SERVER_TIMEOUT_MS / 1000:g} s)",
            FIX,
        ) from None
    except OperationFailure as exc:
        client.close()
        raise ArmazemError(
            f"MongoDB at {safe} refused the connection: {exc.details or exc}",
            "correct the user and password in the MongoDB URL",
        ) from None
    return client


def _chunks(cursor: Any, size: int, url: str) -> Iterator[list[dict[str, Any]]]:
    """Lists of at most `size` documents: only one batch is ever held in memory."""
    chunk: list[dict[str, Any]] = []
    try:
        for document in cursor:
            chunk.append(document)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except ConnectionFailure as exc:
        raise ArmazemError(
            f"lost MongoDB at {redact_url(url)} while reading ({exc})", "retry when it is back"
        ) from None
    if chunk:
        yield chunk


def _text(value: object) -> str | None:
    """A mapped field's value as text: `str` for scalars (an ObjectId's hex, a number's digits),
    JSON for a nested document or array and base64 for binary (Python's repr of those would be
    unreadable downstream)."""
    if value is None:
        return None
    if isinstance(value, Mapping | list):
        return _json(value)
    if isinstance(value, bytes):
        return str(_plain(value))
    return str(value)


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=_plain)


def _plain(value: object) -> object:
    """BSON types JSON has no word for, as the string a reader would expect."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)  # ObjectId, Decimal128, Timestamp, Regex, UUID, ...
