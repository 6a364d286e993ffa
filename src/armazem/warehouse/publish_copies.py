"""After the warehouse publish: the copies a project declares in `[published]` (Parquet files,
MongoDB documents), each recorded in `_armazem.published_copies`, and where every publication
went, for `armazem status`.

The copies are written from production once it is published; a failure here leaves production
published and every copy at its previous publication, and the step says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from armazem.project.published import Documents, Published, load_published
from armazem.servers.mongo import local_mongo
from armazem.settings import Settings, redact_url
from armazem.warehouse import open_warehouse
from armazem.warehouse.plan import META_SCHEMA
from armazem.warehouse.publish import last_publication
from armazem.warehouse.publish_documents import publish_documents
from armazem.warehouse.publish_files import publication_id, publish_files

RECORDS = f"{META_SCHEMA}.published_copies"
_DDL = (
    f"CREATE TABLE IF NOT EXISTS {RECORDS} (published_at TIMESTAMP, run_id VARCHAR, "
    "store VARCHAR, target VARCHAR, publication VARCHAR, detail VARCHAR)"
)
LOCAL_MONGO_DIR = "mongo"  # under data_dir, shared with `armazem capstone nosql`


def declared(settings: Settings) -> Published:
    return load_published(settings.base_dir)


def publish_copies(settings: Settings, run_id: str = "") -> dict[str, dict[str, int]]:
    """Write every declared copy of production; returns rows per mart or collection, by store."""
    published = declared(settings)
    now = datetime.now(UTC)
    publication = publication_id(now)
    done: dict[str, dict[str, int]] = {}
    if published.files is not None:
        pointer = publish_files(settings, published.files, run_id, now)
        rows = {mart: entry["rows"] for mart, entry in pointer["marts"].items()}
        _record(settings, now, run_id, "files", pointer["target"], pointer["publication"], rows)
        done["files"] = rows
    if published.documents is not None:
        with documents_server(settings, published.documents) as (url, shown):
            result = publish_documents(settings, published.documents, url, publication)
        target = f"{shown} database {published.documents.database}"
        _record(settings, now, run_id, "documents", target, publication, result["collections"])
        done["documents"] = result["collections"]
    return done


@contextmanager
def documents_server(settings: Settings, documents: Documents) -> Iterator[tuple[str, str]]:
    """(URL, how to show it) of the server the documents go to: the declared connection, else
    (no connection, or a URL setting left unset, as on the embedded profile) a local server
    with its data in `<data_dir>/mongo`, started for the block."""
    url = settings.connection(documents.connection) if documents.connection else None
    if url:
        yield url, redact_url(url)
        return
    storage = settings.data_path / LOCAL_MONGO_DIR
    with local_mongo(storage) as local:
        yield local, f"local server (data in {storage})"


def publications(settings: Settings) -> list[dict[str, Any]]:
    """The latest publication of each store: the warehouse's production, then each copy."""
    warehouse = open_warehouse(settings)
    found: list[dict[str, Any]] = []
    latest = last_publication(warehouse)
    if latest is not None:
        found.append({
            "store": "warehouse", "target": f"{_shown(settings)} schema production",
            "publication": latest["run_id"], "published_at": latest["published_at"],
            "rows": latest["tables"],
        })  # fmt: skip
    exists = warehouse.query(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = $1 AND table_name = $2",
        [META_SCHEMA, "published_copies"],
    )[0][0]
    if not exists:
        return found
    seen: set[str] = set()
    for published_at, _run_id, store, target, publication, detail in warehouse.query(
        f"SELECT * FROM {RECORDS} ORDER BY published_at DESC"
    ):
        if store not in seen:
            seen.add(store)
            found.append({"store": store, "target": target, "publication": publication,
                          "published_at": str(published_at),
                          "rows": json.loads(detail)})  # fmt: skip
    return found


def _shown(settings: Settings) -> str:
    return str(settings.local_file(settings.warehouse_url) or redact_url(settings.warehouse_url))


def _record(
    settings: Settings,
    now: datetime,
    run_id: str,
    store: str,
    target: str,
    publication: str,
    rows: dict[str, int],
) -> None:
    with open_warehouse(settings).transaction() as execute:
        execute(_DDL)
        execute(
            f"INSERT INTO {RECORDS} VALUES ($1, $2, $3, $4, $5, $6)",
            [now.replace(tzinfo=None), run_id, store, target, publication, json.dumps(rows)],
        )
