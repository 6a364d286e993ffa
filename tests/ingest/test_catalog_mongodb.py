"""The services profile's catalog: written to and read from a MongoDB-protocol server, it loads
exactly the rows the JSON-lines export gives."""

from __future__ import annotations

import uuid

import duckdb

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart


def catalog_rows(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.local_file(settings.warehouse_url)), read_only=True) as con:
        return con.execute("SELECT * FROM raw_catalog.products ORDER BY ALL").fetchall()


def test_catalog_from_mongodb_equals_the_file_export(settings: Settings, mongo_url: str) -> None:
    from_files = settings.model_copy(update={"scale": 0.002})
    softcart.create(from_files)
    ingest(from_files, ["catalog"])
    # The same company (same seed and scale), with its catalog on the server: the project's
    # `documents` profile reads it from there (sources/catalog.yml).
    server = from_files.model_copy(
        update={"profile": "documents", "mongodb_url": mongo_url,
                "data_dir": from_files.data_path / uuid.uuid4().hex}
    )  # fmt: skip
    softcart.create(server)
    (server.sources_path / "catalog" / "electronics.jsonl").unlink(missing_ok=True)
    results = ingest(server, ["catalog"])
    expected = catalog_rows(from_files)
    assert results[0].loaded == len(expected) > 0
    assert catalog_rows(server) == expected
