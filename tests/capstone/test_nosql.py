"""Capstone module 2 (NoSQL) on the real catalog.json, against a real MongoDB-protocol server.

Every figure is checked against an independent parse of the file with the json module. The
server is the session's (as a configured `mongodb_url`) or one the module starts itself.
"""

from __future__ import annotations

import csv
import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pymongo
import pytest

from armazem.capstone import nosql
from armazem.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
FIGURES = ("documents", "laptops", "smartphones_screen_6", "smartphones_avg_screen",
           "export_rows", "warehouse_rows", "quarantined", "index")  # fmt: skip


class _WithMongoURL(Settings):
    """Settings with `mongodb_url`, for as long as the real Settings lacks the field."""

    mongodb_url: str | None = None


def with_mongodb_url(settings: Settings, url: str | None) -> Settings:
    if "mongodb_url" in Settings.model_fields:
        return settings.model_copy(update={"mongodb_url": url})
    return _WithMongoURL.model_construct(**dict(settings), mongodb_url=url)


def load(data_dir: Path) -> Settings:
    """The repository's settings (no ARMAZEM_* variables), with data in `data_dir`."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ARMAZEM_"):
                patch.delenv(name)
        settings = load_settings(REPO / "examples/softcart/armazem.toml")
    return settings.model_copy(update={"data_dir": data_dir})


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, Any]]:
    """catalog.json parsed on its own, the answer key."""
    path = load(REPO / "data").capstone_path / nosql.CATALOG
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def database(mongo_url: str) -> Iterator[str]:
    """A database of this module's own on the session's server, dropped afterwards."""
    name = f"armazem_test_catalog_{uuid.uuid4().hex[:6]}"
    yield name
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, mongo_url: str) -> Settings:
    return with_mongodb_url(load(tmp_path_factory.mktemp("data")), mongo_url)


@pytest.fixture(scope="module")
def result(settings: Settings, database: str) -> dict[str, Any]:
    return nosql.run(settings, database=database)


def test_answers_match_an_independent_parse(result: dict[str, Any], catalog) -> None:
    phones = [d for d in catalog if d["type"] == "smart phone"]
    assert result["documents"] == len(catalog) == 438
    assert result["laptops"] == sum(d["type"] == "laptop" for d in catalog)
    assert result["smartphones_screen_6"] == sum(d["screen size"] == 6 for d in phones)
    expected_average = sum(d["screen size"] for d in phones) / len(phones)
    assert result["smartphones_avg_screen"] == round(expected_average, 2)
    assert result["rejected"] == 0
    assert result["server"].startswith("mongodb://127.0.0.1:")  # the configured server


def test_collection_and_index_are_on_the_server(
    result: dict[str, Any], mongo_url: str, database: str
) -> None:
    with pymongo.MongoClient(mongo_url) as client:
        electronics = client[database][nosql.COLLECTION]
        assert electronics.count_documents({}) == result["documents"]
        assert result["index"] == "type_1"
        assert electronics.index_information()["type_1"]["key"] == [("type", 1)]


def test_export_has_every_document(result: dict[str, Any], catalog) -> None:
    path = Path(result["export_file"])
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["_id", "type", "model"]
    assert len(rows) - 1 == result["export_rows"] == len(catalog)
    assert all(re.fullmatch(r"[0-9a-f]{24}", r[0]) for r in rows[1:])
    assert len({r[0] for r in rows[1:]}) == len(catalog)
    assert Counter((r[1], r[2]) for r in rows[1:]) == Counter(
        (d["type"], d["model"]) for d in catalog
    )


def test_warehouse_holds_the_collection(result: dict[str, Any], catalog) -> None:
    assert result["warehouse_rows"] + result["quarantined"] == len(catalog)
    assert result["quarantined"] == 0
    with duckdb.connect(result["warehouse_file"], read_only=True) as con:
        count, screens, laptops_with_ram = con.execute(
            "SELECT count(*), sum(screen_size), "
            "count(*) FILTER (WHERE type = 'laptop' AND json_exists(attributes, '$.ram')) "
            "FROM raw_catalog.electronics"
        ).fetchone()
        ids = {
            r[0] for r in con.execute("SELECT document_id FROM raw_catalog.electronics").fetchall()
        }
    assert count == result["warehouse_rows"]
    assert screens == pytest.approx(sum(d["screen size"] for d in catalog))
    assert laptops_with_ram == sum("ram" in d for d in catalog if d["type"] == "laptop")
    with Path(result["export_file"]).open(newline="") as handle:
        assert ids == {row["_id"] for row in csv.DictReader(handle)}


def test_second_run_gives_the_same_figures(
    result: dict[str, Any], settings: Settings, database: str
) -> None:
    again = nosql.run(settings, database=database)
    assert {k: again[k] for k in FIGURES} == {k: result[k] for k in FIGURES}


def test_without_a_url_it_starts_its_own_server(
    tmp_path: Path, result: dict[str, Any], catalog
) -> None:
    settings = with_mongodb_url(load(tmp_path / "data"), None)
    local = nosql.run(settings)
    assert local["server"].startswith("local secantusd-py")
    assert {k: local[k] for k in FIGURES} == {k: result[k] for k in FIGURES}
    assert (tmp_path / "data" / "mongo" / "secantusd.log").is_file()


def test_messy_lines_are_skipped_or_rejected(tmp_path: Path, mongo_url: str) -> None:
    """Blank lines, a BOM, no trailing newline, and lines that are not JSON objects."""
    folder = tmp_path / "capstone" / "softcart-nosql"
    folder.mkdir(parents=True)
    lines = ['{"type": "laptop", "model": "a", "screen size": 15}', "", "   ",
             '{"type": "smart phone", "model": "b", "screen size": 6}', "not json", "[1, 2]",
             '{"type": "smart phone", "model": "c", "screen size": 6.5}']  # fmt: skip
    (folder / "catalog.json").write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    settings = load(tmp_path / "data").model_copy(update={"capstone_dir": tmp_path / "capstone"})
    name = f"armazem_test_messy_{uuid.uuid4().hex[:6]}"
    try:
        messy = nosql.run(with_mongodb_url(settings, mongo_url), database=name)
    finally:
        with pymongo.MongoClient(mongo_url) as client:
            client.drop_database(name)
    assert (messy["documents"], messy["laptops"], messy["smartphones_screen_6"]) == (3, 1, 1)
    assert messy["smartphones_avg_screen"] == 6.25
    assert messy["rejected"] == 2
    assert [r.split(":")[0] for r in messy["rejected_reasons"]] == ["line 5", "line 6"]
    assert messy["warehouse_rows"] == messy["export_rows"] == 3
