"""Capstone module 2: SoftCart's electronics catalog in a MongoDB-protocol server.

Imports `softcart-nosql/catalog.json` (JSON lines) into database `catalog`, collection
`electronics`, indexes `type`, answers the capstone's questions with queries on the server,
exports `_id,type,model` to CSV, and loads the collection through the engine's MongoDB reader and
a contract into the DuckDB file `capstone/catalog.duckdb` (table `raw_catalog.electronics`).

The server is the one `mongodb_url` names, else a private `secantusd-py` started for the command
with its data under `data/mongo` (MongoDB itself cannot be installed on these machines).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pymongo.collection import Collection

from armazem.errors import ArmazemError
from armazem.ingest import mongodb
from armazem.ingest.contracts import Contract, Validator
from armazem.servers.mongo import local_mongo
from armazem.settings import Settings, redact_url
from armazem.warehouse.plan import quote

DATABASE = "catalog"
COLLECTION = "electronics"
CATALOG = "softcart-nosql/catalog.json"
SCREEN = "screen size"  # literally, with a space, as in the capstone's data
EXPORT_FIELDS = ("_id", "type", "model")
INSERT_BATCH = 1_000
MAX_REASONS = 5  # how many rejected lines are described in the result
WAREHOUSE_SCHEMA, WAREHOUSE_TABLE = "raw_catalog", "electronics"
FIELDS = {"_id": "document_id", "type": "type", "model": "model", SCREEN: "screen_size"}
CONTRACT = Contract(
    {"document_id": "VARCHAR", "type": "VARCHAR", "model": "VARCHAR", "screen_size": "DOUBLE",
     "attributes": "VARCHAR"},
    key=("document_id",),
)  # fmt: skip


def run(settings: Settings, *, database: str = DATABASE) -> dict[str, Any]:
    """Import, index, query, export and load the catalog; return the answers.

    `database` exists so tests can work in a database of their own; the capstone uses `catalog`.
    """
    source = settings.capstone_path / CATALOG
    if not source.is_file():
        raise ArmazemError(
            f"capstone file {source} not found",
            "set capstone_dir (ARMAZEM_CAPSTONE_DIR) to the folder that holds softcart-nosql/",
        )
    out = settings.data_path / "capstone"
    export_file, warehouse_file = out / "electronics.csv", out / "catalog.duckdb"
    rejected: list[str] = []
    with mongo_server(settings) as (url, server):
        client = mongodb.connect(url)
        try:
            electronics = client[database][COLLECTION]
            replace_documents(electronics, read_catalog(source, rejected))
            index = electronics.create_index("type")
            answers = ask(electronics)
            export_rows = export_csv(electronics, export_file)
        finally:
            client.close()
        loaded, quarantined = load_warehouse(url, database, warehouse_file, settings.batch_size)
    return {
        **answers,
        "export_rows": export_rows,
        "export_file": str(export_file),
        "warehouse_rows": loaded,
        "quarantined": quarantined,
        "warehouse_file": str(warehouse_file),
        "index": index,
        "rejected": len(rejected),
        "rejected_reasons": rejected[:MAX_REASONS],
        "server": server,
    }


@contextmanager
def mongo_server(settings: Settings) -> Iterator[tuple[str, str]]:
    """(URL, description) of the configured server, else of a local one for this block."""
    # getattr: works whether or not this Settings version has the `mongodb_url` setting yet.
    url = getattr(settings, "mongodb_url", None)
    if url:
        yield url, redact_url(url)
        return
    storage = settings.data_path / "mongo"
    with local_mongo(storage) as local:
        yield local, f"local secantusd-py, data in {storage}"


# --- import -------------------------------------------------------------------------------------


def read_catalog(path: Path, rejected: list[str]) -> Iterator[dict[str, Any]]:
    """The documents of a JSON-lines file; blank lines are skipped, and a line that is not a JSON
    object is described in `rejected` instead of stopping the import."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line:
                continue
            try:
                document = json.loads(line)
            except ValueError as exc:  # bad JSON, or bytes that are not UTF-8
                rejected.append(f"line {number}: not valid JSON ({exc})")
                continue
            if not isinstance(document, dict):
                rejected.append(f"line {number}: not a JSON object")
                continue
            yield document


def replace_documents(collection: Collection, documents: Iterator[dict[str, Any]]) -> None:
    """Drop and re-import, so a second run leaves the same collection as the first."""
    collection.drop()
    chunk: list[dict[str, Any]] = []
    for document in documents:
        chunk.append(document)
        if len(chunk) >= INSERT_BATCH:
            collection.insert_many(chunk)
            chunk = []
    if chunk:
        collection.insert_many(chunk)


# --- questions ----------------------------------------------------------------------------------


def ask(electronics: Collection) -> dict[str, Any]:
    """The capstone's questions, each answered by the server."""
    phones = {"type": "smart phone"}
    averages = list(
        electronics.aggregate([
            {"$match": phones},
            {"$group": {"_id": None, "average": {"$avg": f"${SCREEN}"}}},
        ])
    )  # fmt: skip
    average = averages[0]["average"] if averages else None
    return {
        "documents": electronics.count_documents({}),
        "laptops": electronics.count_documents({"type": "laptop"}),
        "smartphones_screen_6": electronics.count_documents({**phones, SCREEN: 6}),
        "smartphones_avg_screen": None if average is None else round(average, 2),
    }


def export_csv(electronics: Collection, path: Path) -> int:
    """`_id,type,model` of every document, in `_id` order, as mongoexport's CSV has them (but
    `_id` as its plain hex); written beside the target and renamed, so a failure leaves no half
    file. Returns the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    rows = 0
    projection = dict.fromkeys(EXPORT_FIELDS, 1)
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_FIELDS)
        for document in electronics.find({}, projection).sort("_id"):
            writer.writerow([_cell(document.get(f)) for f in EXPORT_FIELDS])
            rows += 1
    os.replace(partial, path)
    return rows


def _cell(value: object) -> str:
    return "" if value is None else str(value)


# --- warehouse ----------------------------------------------------------------------------------


def load_warehouse(url: str, database: str, path: Path, batch_size: int) -> tuple[int, int]:
    """The collection through the engine's reader and the contract into DuckDB, replacing the
    table and its quarantine in one transaction. Returns (rows loaded, rows quarantined)."""
    validator = Validator(CONTRACT)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_duckdb(path)
    loaded = quarantined = read = 0
    try:
        con.execute("BEGIN TRANSACTION")
        _create_tables(con)
        reader = mongodb.read_collection(
            url, database, COLLECTION, FIELDS, "attributes", batch_size
        )
        for batch in reader:
            good, bad = validator.split(batch.rows)
            bad = pa.concat_tables([batch.unreadable, bad])
            _append(con, _table(), good)
            _append(con, _table("_quarantine"), bad)
            read += batch.read
            loaded += good.num_rows
            quarantined += bad.num_rows
        if read != loaded + quarantined:  # never expected; refuse to commit if it happens
            raise RuntimeError(f"read {read} != loaded {loaded} + quarantined {quarantined}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
        validator.close()
    return loaded, quarantined


def _open_duckdb(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise ArmazemError(
            f"cannot open {path}: {str(exc).splitlines()[0]}",
            "stop the other process that holds the file, then retry",
        ) from None


def _table(suffix: str = "") -> str:
    return f"{quote(WAREHOUSE_SCHEMA)}.{quote(WAREHOUSE_TABLE + suffix)}"


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{quote(c)} {t}" for c, t in CONTRACT.columns.items())
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(WAREHOUSE_SCHEMA)}")
    con.execute(f"CREATE OR REPLACE TABLE {_table()} ({columns}, PRIMARY KEY (document_id))")
    con.execute(f"CREATE OR REPLACE TABLE {_table('_quarantine')} (reason VARCHAR, record VARCHAR)")


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    if rows.num_rows == 0:
        return
    con.register("incoming", rows)
    try:
        columns = ", ".join(quote(c) for c in rows.column_names)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming")
    finally:
        con.unregister("incoming")
