"""MongoDB as a source, against a real MongoDB-protocol server (see tests/servers.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pymongo
import pytest
from bson import ObjectId

from armazem.errors import ArmazemError
from armazem.ingest import files, mongodb
from armazem.ingest.contracts import Contract, Validator

FIELDS = {"_id": "document_id", "type": "type", "model": "model", "screen size": "screen_size"}
PART = ObjectId()
BUILT = datetime(2021, 3, 4, 5, 6, 7)
DOCUMENTS: list[dict[str, Any]] = [
    {"type": "laptop", "model": "x1", "screen size": 14, "ram": "16GB",
     "specs": {"cpu": {"cores": 8}, "ports": ["usb-c", "hdmi"]}},
    {"type": "smart phone", "model": "p9", "screen size": 6.5, "dual_sim": True},
    {"type": "television", "model": 4200, "screen size": "55", "part": PART, "built": BUILT},
    {"type": "laptop", "screen size": None, "tags": []},  # no model; an explicit null
    {"model": "mystery"},  # no type, no screen size, nothing else
]  # fmt: skip


@pytest.fixture
def collection(mongo_url: str) -> Iterator[pymongo.collection.Collection]:
    """A collection holding DOCUMENTS in a database of the test's own, dropped afterwards."""
    name = f"armazem_test_{uuid.uuid4().hex[:8]}"
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_url)
    try:
        items = client[name]["items"]
        items.insert_many([dict(d) for d in DOCUMENTS])
        yield items
    finally:
        client.drop_database(name)
        client.close()


def read(url: str, collection: pymongo.collection.Collection, **options: Any) -> list[pa.Table]:
    reader = mongodb.read_collection(
        url, collection.database.name, collection.name, FIELDS, "attributes", 2, **options
    )
    batches = list(reader)
    assert all(b.unreadable.num_rows == 0 for b in batches)
    return [b.rows for b in batches]


def test_streams_batches_of_text_columns_in_id_order(mongo_url: str, collection) -> None:
    tables = read(mongo_url, collection)
    assert [t.num_rows for t in tables] == [2, 2, 1]
    rows = pa.concat_tables(tables)
    assert rows.schema == pa.schema(
        [(c, pa.string()) for c in ["document_id", "type", "model", "screen_size", "attributes"]]
    )
    ids = [str(d["_id"]) for d in collection.find().sort("_id")]
    assert rows.column("document_id").to_pylist() == ids
    assert all(len(i) == 24 for i in ids)  # an ObjectId's hex, not "ObjectId('...')"
    assert rows.column("type").to_pylist() == ["laptop", "smart phone", "television", "laptop",
                                               None]  # fmt: skip
    assert rows.column("model").to_pylist() == ["x1", "p9", "4200", None, "mystery"]
    assert rows.column("screen_size").to_pylist() == ["14", "6.5", "55", None, None]


def test_other_fields_are_sorted_key_json_with_nesting_kept(mongo_url: str, collection) -> None:
    attributes = pa.concat_tables(read(mongo_url, collection)).column("attributes").to_pylist()
    assert attributes[0] == (
        '{"ram": "16GB", "specs": {"cpu": {"cores": 8}, "ports": ["usb-c", "hdmi"]}}'
    )
    assert json.loads(attributes[1]) == {"dual_sim": True}
    assert json.loads(attributes[2]) == {"built": BUILT.isoformat(), "part": str(PART)}
    assert json.loads(attributes[3]) == {"tags": []}
    assert attributes[4] is None  # nothing left over


def test_query_and_sort(mongo_url: str, collection) -> None:
    rows = pa.concat_tables(read(mongo_url, collection, query={"type": "laptop"}, sort="model"))
    assert rows.column("model").to_pylist() == [None, "x1"]  # null sorts first, as in MongoDB


def test_rows_match_the_json_lines_reader(mongo_url: str, collection, tmp_path: Path) -> None:
    """The same documents give the same table from a collection as from a JSON-lines file, so
    one contract serves both."""
    plain = [{"_id": "a1", "type": "laptop", "screen size": 15.6, "ram": "8GB",
              "specs": {"ports": ["usb", {"kind": "hdmi"}]}},
             {"_id": "a2", "model": "m", "flag": False, "count": 3}]  # fmt: skip
    collection.delete_many({})
    collection.insert_many([dict(d) for d in plain])
    path = tmp_path / "docs.json"
    path.write_text("\n".join(json.dumps(d) for d in plain))
    from_file = pa.concat_tables(
        b.rows for b in files.read_documents([path], FIELDS, "attributes", 2)
    )
    assert pa.concat_tables(read(mongo_url, collection)).equals(from_file)


def test_contract_types_the_text(mongo_url: str, collection) -> None:
    contract = Contract(
        {"document_id": "VARCHAR", "type": "VARCHAR", "screen_size": "DOUBLE"},
        key=("document_id",),
        required=("type",),
    )
    validator = Validator(contract)
    good, bad = zip(*(validator.split(t) for t in read(mongo_url, collection)), strict=True)
    validator.close()
    assert pa.concat_tables(good).column("screen_size").to_pylist() == [14.0, 6.5, 55.0, None]
    assert pa.concat_tables(bad).column("reason").to_pylist() == ["type is missing"]


def test_unreachable_server_names_it_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mongodb, "SERVER_TIMEOUT_MS", 300)
    reader = mongodb.read_collection(
        "mongodb://reader:s3cret@127.0.0.1:1", "catalog", "electronics", FIELDS, None, 1000
    )
    with pytest.raises(ArmazemError) as caught:
        next(reader)
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "unreachable" in message
    assert "s3cret" not in message
    assert "start MongoDB" in caught.value.fix
