"""Production also as Parquet files (on a real S3-protocol server, moto, and on disk) and as
MongoDB documents (a real MongoDB-protocol server): equal to the marts, swapped in whole, and left
whole by a publish killed half-way (a real process, SIGKILLed at a failpoint)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pymongo
import pytest
from pymongo.errors import CursorNotFound
from tests.softcart import CONFIG, PUBLISHED_PREFIXES, load_everything

from armazem import transform
from armazem.errors import START_POSTGRES, ArmazemError
from armazem.ingest.lake import MANIFEST
from armazem.project import load_project
from armazem.project.check import problems
from armazem.project.declarations import DeclarationError
from armazem.project.published import Files, MartFiles, load_published
from armazem.settings import Settings, load_settings
from armazem.warehouse import open_warehouse
from armazem.warehouse.postgres import PostgresWarehouse, pg_type
from armazem.warehouse.publish import publish
from armazem.warehouse.publish_copies import publications, publish_copies
from armazem.warehouse.publish_files import (
    current_files,
    destination,
    publish_files,
    read_pointer,
)

REPO = Path(__file__).resolve().parents[2]
KEYS = {"fct_sales": "order_line_id", "dim_product": "product_id"}


# --- a published warehouse, and copies of it to change ------------------------------------------


@pytest.fixture(scope="session")
def production(small_company: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's small company ingested, built and published to production (not the
    forecast: no mart published as a copy depends on it)."""
    data = tmp_path_factory.mktemp("published") / "data"
    shutil.copytree(small_company.sources_path, data / "sources")
    settings = small_company.model_copy(update={"data_dir": data})
    load_everything(settings)
    assert transform.build(settings).success
    publish(open_warehouse(settings), PUBLISHED_PREFIXES, "fixture")
    return settings


pytestmark = pytest.mark.usefixtures("aws_env")  # S3 credentials in the environment only


def _bucket(s3_endpoint: str) -> str:
    name = f"published-{uuid.uuid4().hex[:10]}"
    admin = pafs.S3FileSystem(
        access_key="testing", secret_key="testing", region="us-east-1",
        endpoint_override=s3_endpoint.removeprefix("http://"), scheme="http",
        allow_bucket_creation=True,
    )  # fmt: skip
    admin.create_dir(name)
    return name


def _copy(production: Settings, tmp_path: Path, **update: Any) -> Settings:
    """A warehouse of our own, and the SoftCart project with a MongoDB database of our own (the
    server is shared by the session)."""
    data = tmp_path / "data"
    data.mkdir(parents=True)
    shutil.copy(production.local_file(production.warehouse_url), data / "warehouse.duckdb")
    project = tmp_path / "project"
    project.mkdir()
    database = f"softcart_{uuid.uuid4().hex[:8]}"
    text = CONFIG.read_text().replace('database = "softcart"', f'database = "{database}"', 1)
    (project / "armazem.toml").write_text(text)
    return production.model_copy(update={"data_dir": data, "base_dir": project, **update})


def _database(settings: Settings) -> str:
    declared = load_published(settings.base_dir).documents
    assert declared is not None
    return declared.database


def _production(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.local_file(settings.warehouse_url)), read_only=True) as con:
        return con.execute(sql).fetchall()


def _production_table(settings: Settings, mart: str) -> pa.Table:
    with duckdb.connect(str(settings.local_file(settings.warehouse_url)), read_only=True) as con:
        return con.execute(f"SELECT * FROM production.{mart}").to_arrow_table()


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in table.column_names])


def _current_table(settings: Settings, mart: str) -> pa.Table:
    filesystem, paths = current_files(settings, mart)
    return ds.dataset(paths, filesystem=filesystem, format="parquet").to_table()


def _change_a_price(settings: Settings, product_id: int, price: Decimal) -> None:
    path = str(settings.local_file(settings.warehouse_url))
    with duckdb.connect(path) as con:
        con.execute(
            "UPDATE production.dim_product SET current_price = ? WHERE product_id = ?",
            [price, product_id],
        )


# --- files --------------------------------------------------------------------------------------


def test_files_on_s3_equal_the_marts_and_are_partitioned_by_month(
    production: Settings, tmp_path: Path, s3_endpoint: str, mongo_url: str
) -> None:
    bucket = _bucket(s3_endpoint)
    settings = _copy(production, tmp_path, lake_url=f"s3://{bucket}/lake",
                     s3_endpoint_url=s3_endpoint, mongodb_url=mongo_url)  # fmt: skip
    done = publish_copies(settings, "run-1")

    declared = load_published(settings.base_dir).files
    assert declared is not None
    assert set(done["files"]) == set(declared.marts)
    for mart in declared.marts:
        expected = _production_table(settings, mart)
        published = _current_table(settings, mart)
        assert done["files"][mart] == published.num_rows == expected.num_rows > 0
        assert published.schema == expected.schema
        assert _sorted(published).equals(_sorted(expected)), mart

    sales = _current_table(settings, "fct_sales")
    (revenue,) = _production(settings, "SELECT sum(amount) FROM production.fct_sales")[0]
    assert pc.sum(sales["amount"]).as_py() == revenue
    key = KEYS["fct_sales"]
    middle = sorted(sales[key].to_pylist())[sales.num_rows // 2]
    (row,) = sales.filter(pc.equal(sales[key], middle)).to_pylist()
    (expected_row,) = _production(settings, f"SELECT * FROM production.fct_sales WHERE {key} = "
                                            f"{middle}")  # fmt: skip
    assert tuple(row.values()) == expected_row

    # Every file of fct_sales lies in a month folder and holds only that month's orders.
    filesystem, paths = current_files(settings, "fct_sales")
    assert all(p.startswith(f"{bucket}/lake/published/fct_sales/publication=") for p in paths)
    months = set()
    for path in paths:
        folder = path.split("/")[-2]
        assert folder.startswith("ordered_at_month=")
        month = folder.removeprefix("ordered_at_month=")
        rows = ds.dataset(path, filesystem=filesystem, format="parquet").to_table()
        assert {t.strftime("%Y-%m") for t in rows["ordered_at"].to_pylist()} == {month}
        months.add(month)
    distinct = _production(settings, "SELECT count(DISTINCT strftime(ordered_at, '%Y-%m')) "
                                     "FROM production.fct_sales")[0][0]  # fmt: skip
    assert len(months) == distinct > 12

    # The manifest of each mart names exactly its files and rows.
    pointer = read_pointer(destination(settings))
    assert pointer is not None and pointer["run_id"] == "run-1"
    entry = pointer["marts"]["fct_sales"]
    with filesystem.open_input_stream(f"{bucket}/lake/published/{entry['path']}/{MANIFEST}") as f:
        manifest = json.loads(f.read())
    assert [f["name"] for f in manifest["files"]] == entry["files"]
    assert manifest["rows"] == sum(f["rows"] for f in manifest["files"]) == sales.num_rows


def test_old_publications_are_kept_for_the_declared_days(
    production: Settings, tmp_path: Path
) -> None:
    settings = _copy(production, tmp_path)
    declared = load_published(settings.base_dir).files
    assert declared is not None and declared.retention_days == 7
    only = declared.model_copy(update={"marts": {"dim_category": declared.marts["dim_category"]}})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [publish_files(settings, only, "r", start + timedelta(days=d))["publication"]
           for d in (0, 1, 2, 12)]  # fmt: skip
    folder = settings.lake_path / "published" / "dim_category"

    def kept() -> list[str]:
        return sorted(p.name.removeprefix("publication=") for p in folder.iterdir())

    # Day 12: days 0 and 2... are older than 7 days; day 2 is kept as the one day 12 replaced.
    assert kept() == [ids[2], ids[3]]
    later = publish_files(settings, only, "r", start + timedelta(days=12, hours=1))["publication"]
    assert kept() == [ids[3], later]  # day 2 is neither current nor the one replaced: gone
    assert read_pointer(destination(settings))["publication"] == later
    assert not list((settings.lake_path / "published").glob(".*partial"))


def test_a_partition_by_a_column_that_is_no_date_is_an_error_with_a_fix(
    production: Settings, tmp_path: Path
) -> None:
    settings = _copy(production, tmp_path)
    declared = Files(marts={"dim_product": MartFiles(partition_by="category")})
    with pytest.raises(ArmazemError, match="month of 'category', a string column") as caught:
        publish_files(settings, declared)
    assert "date or timestamp column" in caught.value.fix
    assert read_pointer(destination(settings)) is None  # nothing was published


# --- documents ----------------------------------------------------------------------------------


def test_documents_equal_the_marts(production: Settings, tmp_path: Path, mongo_url: str) -> None:
    settings = _copy(production, tmp_path, mongodb_url=mongo_url)
    done = publish_copies(settings, "run-1")
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_url)
    products = client[_database(settings)]["products"]

    (count, prices) = _production(
        settings, "SELECT count(*), sum(current_price) FROM production.dim_product"
    )[0]
    assert done["documents"] == {"products": count} and products.count_documents({}) == count
    assert sum(d["current_price"].to_decimal() for d in products.find()) == prices
    assert {"category_1", "catalog.type_1", "category_1_current_price_1"} <= set(
        products.index_information()
    )

    # The last twelve months of sales, from the fact table, in Python.
    sales = _production(settings, "SELECT product_id, ordered_at, order_id, quantity, amount "
                                  "FROM production.fct_sales WHERE NOT is_cancelled")  # fmt: skip
    last = max(s[1] for s in sales)
    first_month = date(last.year - (last.month <= 11), (last.month - 12) % 12 + 1, 1)
    window = [s for s in sales if s[1].date() >= first_month]
    total = sum(d["revenue"].to_decimal() for p in products.find() for d in p["monthly_sales"])
    assert total == sum(s[4] for s in window) > 0

    # One product, field by field: the one with most sales in the window.
    best = max({s[0] for s in window}, key=lambda p: sum(1 for s in window if s[0] == p))
    document = products.find_one({"_id": best})
    (row,) = _production(
        settings,
        f"""
        SELECT p.sku, p.item, p.category, p.current_price, a.product_type, a.model, a.attributes
        FROM production.dim_product p
        LEFT JOIN production.dim_product_attributes a USING (product_id)
        WHERE p.product_id = {best}""",
    )
    assert document["product_id"] == best
    assert (document["sku"], document["item"], document["category"]) == row[:3]
    assert document["current_price"].to_decimal() == row[3]
    assert (document["catalog"]["type"], document["catalog"]["model"]) == row[4:6]
    assert document["catalog"]["attributes"] == json.loads(row[6])
    (stock,) = _production(
        settings,
        f"""
        SELECT quantity_on_hand, inventory_date FROM production.fct_inventory_daily
        WHERE product_id = {best} ORDER BY inventory_date DESC LIMIT 1""",
    )
    assert document["stock"]["quantity"] == stock[0]
    assert document["stock"]["counted_on"].date() == stock[1]
    history = _production(
        settings,
        f"""
        SELECT price, valid_from FROM production.dim_product_price
        WHERE product_id = {best} ORDER BY valid_from""",
    )
    assert [(h["price"].to_decimal(), h["valid_from"]) for h in document["price_history"]] == [
        (price, valid_from) for price, valid_from in history
    ]
    months: dict[date, list[Any]] = {}
    for s in window:
        if s[0] == best:
            months.setdefault(s[1].date().replace(day=1), []).append(s)
    assert [(m["month"].date(), m["orders"], m["units"], m["revenue"].to_decimal())
            for m in document["monthly_sales"]] == [
        (month, len({s[2] for s in rows}), sum(s[3] for s in rows), sum(s[4] for s in rows))
        for month, rows in sorted(months.items())
    ]  # fmt: skip
    assert len(document["monthly_sales"]) <= 12


# --- killed half-way, replaced, read while replaced ---------------------------------------------


def _publish_in_a_process(settings: Settings, failpoint: str) -> subprocess.CompletedProcess:
    """`publish_copies` in a process of its own, killed (SIGKILL) at `failpoint`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({
        "ARMAZEM_PROJECT": str(settings.base_dir), "ARMAZEM_DATA_DIR": str(settings.data_path),
        "ARMAZEM_FAILPOINT": failpoint, "ARMAZEM_MONGODB_URL": str(settings.mongodb_url),
    })  # fmt: skip
    if settings.lake_url:
        env.update({"ARMAZEM_LAKE_URL": settings.lake_url,
                    "ARMAZEM_S3_ENDPOINT_URL": str(settings.s3_endpoint_url)})  # fmt: skip
    code = ("from armazem.settings import load_settings\n"
            "from armazem.warehouse.publish_copies import publish_copies\n"
            "publish_copies(load_settings(), 'killed')\n")  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=REPO)  # fmt: skip


def test_a_publish_killed_half_way_leaves_the_previous_one_whole_and_the_next_replaces_it(
    production: Settings, tmp_path: Path, s3_endpoint: str, mongo_url: str
) -> None:
    settings = _copy(production, tmp_path, lake_url=f"s3://{_bucket(s3_endpoint)}/lake",
                     s3_endpoint_url=s3_endpoint, mongodb_url=mongo_url)  # fmt: skip
    publish_copies(settings, "first")
    products = pymongo.MongoClient(mongo_url)[_database(settings)]["products"]
    before_files = {m: _sorted(_current_table(settings, m)) for m in ("dim_product", "fct_sales")}
    before_docs = sorted(products.find(), key=lambda d: d["_id"])
    first = read_pointer(destination(settings))
    assert first is not None
    product = before_docs[0]["_id"]
    _change_a_price(settings, product, Decimal("12345.67"))

    def unchanged() -> None:
        assert read_pointer(destination(settings)) == first
        for mart, table in before_files.items():
            assert _sorted(_current_table(settings, mart)).equals(table), mart
        assert sorted(products.find(), key=lambda d: d["_id"]) == before_docs
        assert products.database.client.admin.command("ping")["ok"] == 1

    # Killed while writing the files (the third mart's files written, its manifest not), then
    # after the files switched, while the new collection is written (before the swap).
    store = destination(settings)

    def folders(mart: str) -> dict[str, bool]:
        """Each publication folder of a mart: whether it has its manifest."""
        infos = store.filesystem.get_file_info(pafs.FileSelector(store.path(mart)))
        return {
            i.base_name: store.filesystem.get_file_info(f"{i.path}/{MANIFEST}").is_file
            for i in infos
        }

    killed = _publish_in_a_process(settings, "publish-files-before-manifest:3")
    assert killed.returncode == -9, killed.stderr
    unchanged()
    third = list(load_published(settings.base_dir).files.marts)[2]
    assert sorted(folders(third).values()) == [False, True]  # the dead one's files are there

    killed = _publish_in_a_process(settings, "publish-documents-view")
    assert killed.returncode == -9, killed.stderr
    assert read_pointer(destination(settings)) != first  # the files did switch
    assert sorted(products.find(), key=lambda d: d["_id"]) == before_docs
    assert [c for c in products.database.list_collection_names() if "__new_" in c]
    assert all(folders(third).values())  # and it removed the unfinished folder

    # A whole publish replaces both, and removes what the dead ones left.
    done = publish_copies(settings, "second")
    assert products.find_one({"_id": product})["current_price"].to_decimal() == Decimal("12345.67")
    assert products.count_documents({}) == len(before_docs) == done["documents"]["products"]
    assert products.database.list_collection_names() == ["products"]
    dim_product = _current_table(settings, "dim_product")
    (price,) = dim_product.filter(pc.equal(dim_product["product_id"], product))[
        "current_price"
    ].to_pylist()
    assert price == Decimal("12345.67")
    second = read_pointer(destination(settings))
    assert second is not None and second["run_id"] == "second"
    assert len(folders(third)) == 3 and all(folders(third).values())


def test_a_reader_opened_before_a_publish_reads_one_whole_version(
    production: Settings, tmp_path: Path, mongo_url: str
) -> None:
    settings = _copy(production, tmp_path, mongodb_url=mongo_url)
    publish_copies(settings, "first")
    old_sales = _sorted(_current_table(settings, "fct_sales"))
    products = pymongo.MongoClient(mongo_url)[_database(settings)]["products"]
    old = {d["_id"]: d for d in products.find()}

    # Files: a reader resolves the pointer, reads one file, and the rest after a publish.
    filesystem, paths = current_files(settings, "fct_sales")
    head = ds.dataset(paths[:1], filesystem=filesystem, format="parquet").to_table()
    cursor = products.find({}, batch_size=10)
    seen = [next(cursor) for _ in range(10)]

    _change_a_price(settings, seen[0]["_id"], Decimal("0.01"))
    with duckdb.connect(str(settings.local_file(settings.warehouse_url))) as con:
        con.execute("DELETE FROM production.fct_sales WHERE order_line_id % 2 = 0")
    publish_copies(settings, "second")

    rest = ds.dataset(paths[1:], filesystem=filesystem, format="parquet").to_table()
    assert _sorted(pa.concat_tables([head, rest])).equals(old_sales)  # the old version, whole
    new_sales = _current_table(settings, "fct_sales")
    assert 0 < new_sales.num_rows < old_sales.num_rows

    # Documents: a cursor open across the swap never continues on the new collection: it reads
    # old documents only, until the server ends it (CursorNotFound, as MongoDB does at a rename).
    with contextlib.suppress(CursorNotFound):
        seen.extend(cursor)
    assert seen and all(d == old[d["_id"]] for d in seen)
    changed = products.find_one({"_id": seen[0]["_id"]})
    assert changed["current_price"].to_decimal() == Decimal("0.01")
    assert products.count_documents({}) == len(old)


# --- where each publication went ----------------------------------------------------------------


def test_status_shows_where_each_publication_went_and_when(
    production: Settings, tmp_path: Path, mongo_url: str
) -> None:
    settings = _copy(production, tmp_path, mongodb_url=mongo_url)
    publish(open_warehouse(settings), PUBLISHED_PREFIXES, "run-7")
    publish_copies(settings, "run-7")
    found = {p["store"]: p for p in publications(settings)}
    assert set(found) == {"warehouse", "files", "documents"}
    assert found["warehouse"]["publication"] == "run-7"
    assert found["files"]["target"] == str(settings.lake_path / "published")
    assert found["documents"]["target"] == f"{mongo_url} database {_database(settings)}"
    assert found["documents"]["rows"] == {
        "products": _production(settings, "SELECT count(*) FROM production.dim_product")[0][0]
    }
    assert found["files"]["publication"] == found["documents"]["publication"]
    when = datetime.fromisoformat(found["files"]["published_at"])
    assert abs(when - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=5)

    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"ARMAZEM_DATA_DIR": str(settings.data_path), "COLUMNS": "200"})
    shown = subprocess.run(
        [sys.executable, "-m", "armazem", "--project", str(settings.base_dir), "status"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "publications" in shown.stdout
    assert str(settings.lake_path / "published") in shown.stdout
    assert f"database {_database(settings)}" in shown.stdout


def test_a_bad_declaration_is_one_line_with_its_place(tmp_path: Path) -> None:
    text = CONFIG.read_text().replace(
        'fct_sales = {partition_by = "ordered_at", granularity = "month"}',
        'fct_sales = {partition_by = "ordered_at", granularity = "week"}',
    )
    (tmp_path / "armazem.toml").write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"week"' in t)
    with pytest.raises(DeclarationError) as caught:
        load_published(tmp_path)
    assert str(caught.value).startswith(f"armazem.toml:{line}: unknown granularity 'week'")
    assert "fix: use year, month or day" in str(caught.value)
    settings = load_settings(tmp_path / "armazem.toml")
    assert str(caught.value) in list(problems(load_project(settings), settings, connect=False))
    misspelt = CONFIG.read_text().replace('order_by = "month"', "ordr_by = 1")
    (tmp_path / "armazem.toml").write_text(misspelt)
    line = next(i for i, t in enumerate(misspelt.splitlines(), 1) if "ordr_by" in t)
    with pytest.raises(DeclarationError, match=rf"^armazem.toml:{line}: unknown key 'ordr_by'"):
        load_published(tmp_path)


# --- the same copies from a PostgreSQL warehouse --------------------------------------------------

SERVER = "postgresql://postgres@127.0.0.1:5432"
COPIED_MARTS = ("dim_product", "dim_product_attributes", "dim_product_price",
                "fct_inventory_daily", "fct_sales", "dim_category", "dim_date",
                "rpt_monthly_sales")  # fmt: skip


@pytest.fixture
def postgres_production(production: Settings) -> Iterator[str]:
    """A fresh PostgreSQL warehouse whose production holds the marts the copies read, row for
    row those of the DuckDB warehouse; dropped at the end."""
    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: "
                    f"{START_POSTGRES}", pytrace=False)  # fmt: skip
    name = f"armazem_test_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    with PostgresWarehouse(url).connect():  # creates the database and _armazem
        pass
    try:
        with psycopg.connect(url) as con:
            con.execute("CREATE SCHEMA production")
            for mart in COPIED_MARTS:
                columns = _production(production, "SELECT column_name, data_type FROM "
                                      "information_schema.columns WHERE table_schema = "
                                      f"'production' AND table_name = '{mart}' "
                                      "ORDER BY ordinal_position")  # fmt: skip
                definition = ", ".join(f'"{c}" {pg_type(t)}' for c, t in columns)
                con.execute(f"CREATE TABLE production.{mart} ({definition})")
                with con.cursor().copy(f"COPY production.{mart} FROM STDIN") as copy:
                    for row in _production(production, f"SELECT * FROM production.{mart}"):
                        copy.write_row(row)
        yield url
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_and_duckdb_give_the_same_files_and_documents(
    production: Settings, postgres_production: str, tmp_path: Path, mongo_url: str
) -> None:
    duck = _copy(production, tmp_path / "duckdb", mongodb_url=mongo_url)
    pg = _copy(production, tmp_path / "postgresql", mongodb_url=mongo_url,
               warehouse_url=postgres_production)  # fmt: skip
    assert publish_copies(pg, "pg") == publish_copies(duck, "duck")
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_url)
    from_pg = list(client[_database(pg)]["products"].find().sort("_id"))
    from_duck = list(client[_database(duck)]["products"].find().sort("_id"))
    assert len(from_pg) > 0 and from_pg == from_duck
    assert any(d["monthly_sales"] and d["price_history"] and d["stock"] for d in from_pg)
    declared = load_published(duck.base_dir).files
    assert declared is not None
    for mart in declared.marts:
        pg_table, duck_table = _current_table(pg, mart), _current_table(duck, mart)
        assert pg_table.schema.names == duck_table.schema.names
        assert _sorted(pg_table).to_pylist() == _sorted(duck_table).to_pylist(), mart
