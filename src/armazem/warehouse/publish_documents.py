"""Document views of the published marts, written to a MongoDB database after every publish.

Each view of `[published.documents]` (see `armazem.project.published`) becomes one collection: a
document per row of its query, `_id` its key; `a.b` in a column name nests the value; each
`embed` query's rows become an array, grouped by the key. Money stays exact (Decimal128), a DATE
becomes a BSON date at midnight UTC.

Swap: every view is written into a new collection `<view>__new_<id>` and indexed; only when all
are complete is each renamed over its view (`renameCollection` with `dropTarget`, atomic on
MongoDB and on secantusdb, and the indexes go with it). A publish that fails or is killed before
the renames leaves every old collection serving; its unfinished copies are dropped by the next
publish. A reader's query sees the old collection whole or the new one whole: a cursor still
open at the rename is ended by the server (CursorNotFound), never continued on the new data.
(An alias - a view switched with collMod - would let open cursors finish on the old data, but
secantusdb accepts collMod and keeps the view on its old collection.)

Documents are assembled in memory, a batch at a time for the base query and whole for the
embedded arrays: meant for entity documents (products, tickets, teams), not for fact rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pymongo
from bson.decimal128 import Decimal128
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

from armazem import failpoints
from armazem.errors import ArmazemError
from armazem.ingest.mongodb import connect
from armazem.names import quote
from armazem.project.published import Documents, DocumentView
from armazem.settings import Settings, redact_url
from armazem.warehouse.arrow import query_batches

INSERT_BATCH = 1_000
NEW = "__new_"  # the infix of a copy being written
DUPLICATE_KEY = 11000


def publish_documents(
    settings: Settings, declared: Documents, url: str, publication: str
) -> dict[str, Any]:
    """Write every view into a new collection, index it, then swap them all in; returns the
    documents per collection."""
    client = connect(url)
    try:
        database = client[declared.database]
        written: dict[str, int] = {}
        try:
            _drop_unfinished(database, declared)
            for name, view in declared.views.items():
                copy = f"{name}{NEW}{publication}"
                written[name] = _write(settings, database, copy, name, view)
                failpoints.reach("publish-documents-view")
            failpoints.reach("publish-documents-before-swap")
            for name in declared.views:
                client.admin.command(
                    "renameCollection",
                    f"{declared.database}.{name}{NEW}{publication}",
                    to=f"{declared.database}.{name}",
                    dropTarget=True,
                )
        except PyMongoError as exc:
            raise ArmazemError(
                f"MongoDB at {redact_url(url)} failed while publishing documents: "
                f"{str(exc).splitlines()[0]}",
                "the old collections still serve; fix the server and run `armazem publish`",
            ) from None
    finally:
        client.close()
    return {"database": declared.database, "collections": written}


def documents(settings: Settings, name: str, view: DocumentView) -> Iterator[dict[str, Any]]:
    """The documents of one view, in the base query's order."""
    embedded = {
        field: _grouped(settings, name, field, view.key, embed.query, embed.order_by)
        for field, embed in view.embed.items()
    }
    json_columns = set(view.json_columns)
    with query_batches(settings, view.query) as batches:
        _require(batches.schema.names, view.key, name, "query")
        for batch in batches:
            for row in batch.to_pylist():
                document: dict[str, Any] = {"_id": bson(row[view.key])}
                for column, value in row.items():
                    if column in json_columns:
                        value = _parsed(value, name, column)
                    _put(document, column, bson(value))
                for field, groups in embedded.items():
                    document[field] = groups.get(row[view.key], [])
                yield document


def bson(value: Any) -> Any:
    """A value as BSON keeps it: exact decimals, dates as midnight UTC."""
    if isinstance(value, Decimal):
        return Decimal128(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: bson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [bson(v) for v in value]
    return value


def _write(settings: Settings, database: Database, copy: str, name: str, view: DocumentView) -> int:
    database.create_collection(copy)  # exists even with no documents, so it can be renamed
    collection = database[copy]
    count, chunk = 0, []
    try:
        for document in documents(settings, name, view):
            chunk.append(document)
            if len(chunk) >= INSERT_BATCH:
                collection.insert_many(chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            collection.insert_many(chunk)
            count += len(chunk)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if errors and errors[0].get("code") == DUPLICATE_KEY:
            raise ArmazemError(
                f"[published.documents.views.{name}]: key {view.key!r} is not unique "
                f"({errors[0].get('keyValue') or errors[0].get('errmsg')})",
                "make the query return one row per document",
            ) from None
        raise
    for index in view.indexes:
        fields = [index] if isinstance(index, str) else index
        collection.create_index([(f, pymongo.ASCENDING) for f in fields])
    return count


def _grouped(
    settings: Settings, name: str, field: str, key: str, query: str, order_by: list[str]
) -> dict[Any, list[dict[str, Any]]]:
    """An embedded array's rows by the document key, in `order_by` order, without the key."""
    order = ", ".join(quote(c) for c in [key, *order_by])
    sql = f"SELECT * FROM ({query}) AS embedded ORDER BY {order}"
    groups: dict[Any, list[dict[str, Any]]] = {}
    with query_batches(settings, sql) as batches:
        _require(batches.schema.names, key, name, f"embed.{field}.query")
        for batch in batches:
            for row in batch.to_pylist():
                owner = row.pop(key)
                item: dict[str, Any] = {}
                for column, value in row.items():
                    _put(item, column, bson(value))
                groups.setdefault(owner, []).append(item)
    return groups


def _put(document: dict[str, Any], column: str, value: Any) -> None:
    """`a.b.c` sets document["a"]["b"]["c"]."""
    *parents, leaf = column.split(".")
    for part in parents:
        document = document.setdefault(part, {})
    document[leaf] = value


def _parsed(value: Any, name: str, column: str) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        raise ArmazemError(
            f"[published.documents.views.{name}]: column {column!r} holds {str(value)[:40]!r}, "
            "not JSON",
            "list under json only columns that hold JSON text",
        ) from None


def _require(columns: list[str], key: str, name: str, where: str) -> None:
    if key not in columns:
        raise ArmazemError(
            f"[published.documents.views.{name}] {where} returns no key column {key!r} "
            f"(it returns {', '.join(columns)})",
            f"select the key as {key}",
        )


def _drop_unfinished(database: Database, declared: Documents) -> None:
    """Copies a failed or killed publish left behind: never served, safe to drop."""
    for existing in database.list_collection_names():
        if any(existing.startswith(f"{name}{NEW}") for name in declared.views):
            database.drop_collection(existing)
