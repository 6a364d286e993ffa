"""Capstone module 5a (sync) against the real MariaDB/MySQL server and a DuckDB warehouse.

These tests fail, never skip, when the server is down: a skipped capstone check reads as a pass.
They stage into a database of their own (never `sales_sync` or `sales`) and drop it afterwards.
The expected figures come from the capstone files, read here independently of the module.
"""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from tests.capstone.conftest import reachable_mysql

from armazem.capstone import oltp, sync
from armazem.errors import START_POSTGRES, ArmazemError
from armazem.settings import Settings, load_settings
from armazem.warehouse.store import utcnow

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parents[2]
TUPLE = re.compile(r"\(\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)\s*\)")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The repository's settings, with data (warehouse, lake) in a temporary folder."""
    base = load_settings(REPO / "examples/softcart/armazem.toml")
    return base.model_copy(update={"data_dir": tmp_path_factory.mktemp("data")})


@pytest.fixture(scope="module")
def database(settings: Settings) -> Iterator[str]:
    """A staging database of the tests' own, or a failure that says how to start the server."""
    server = reachable_mysql(settings)
    name = f"armazem_test_sync_{secrets.token_hex(4)}"
    yield name
    with oltp.connect(server) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(scope="module")
def runs(settings: Settings, database: str) -> dict[str, Any]:
    """Two runs in a row, and when the first one ran (UTC, as the platform's timestamps)."""
    before = utcnow().replace(microsecond=0)
    first = sync.run(settings, database=database)
    after = utcnow()
    second = sync.run(settings, database=database)
    return {"first": first, "second": second, "before": before, "after": after}


@pytest.fixture(scope="module")
def csv_rows(settings: Settings) -> dict[int, tuple[Any, ...]]:
    """sales.csv by rowid, typed here with the csv module."""
    path = settings.capstone_path / sync.CSV_NAME
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            int(r["rowid"]): (
                int(r["product_id"]),
                int(r["customer_id"]),
                Decimal(r["price"]),
                int(r["quantity"]),
                datetime.strptime(r["timestamp"].strip(), TIMESTAMP_FORMAT),
            )
            for r in csv.DictReader(handle)
        }


@pytest.fixture(scope="module")
def dump_rows(settings: Settings) -> dict[int, tuple[int, int, int]]:
    """The INSERT tuples of sales.sql by rowid: (product_id, customer_id, quantity)."""
    text = (settings.capstone_path / sync.DUMP_NAME).read_text(encoding="utf-8")
    inserts = text[text.index("INSERT INTO") :]
    return {int(r): (int(p), int(c), int(q)) for r, p, c, q in TUPLE.findall(inserts)}


@pytest.fixture(scope="module")
def warehouse(settings: Settings, runs: dict[str, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse after both runs, read only."""
    path = settings.local_file(settings.warehouse_url)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def warehouse_rows(con: duckdb.DuckDBPyConnection, where: str) -> dict[int, tuple[Any, ...]]:
    rows = con.execute(
        "SELECT rowid, product_id, customer_id, price, quantity, timestamp "
        f"FROM raw_sales.sales_data WHERE {where}"
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_last_rowid_is_the_highest_rowid_of_the_csv(
    runs: dict[str, Any], csv_rows: dict[int, tuple[Any, ...]]
) -> None:
    assert runs["first"]["last_rowid"] == max(csv_rows) == 12289


def test_new_rows_are_the_dump_rows_above_the_last_rowid(
    runs: dict[str, Any], dump_rows: dict[int, tuple[int, int, int]]
) -> None:
    first = runs["first"]
    assert first["staging_rows"] == len(dump_rows) == 13836
    assert first["new_rows"] == sum(1 for r in dump_rows if r > first["last_rowid"]) == 1650


def test_the_sync_inserts_every_new_row_and_nothing_else(
    runs: dict[str, Any], csv_rows: dict[int, tuple[Any, ...]]
) -> None:
    first = runs["first"]
    assert first["inserted"] == first["new_rows"]
    assert first["warehouse_rows"] == len(csv_rows) + first["inserted"]
    assert first["quarantined"] == 0


def test_the_csv_rows_arrive_unchanged_with_their_timestamps_parsed(
    runs: dict[str, Any],
    csv_rows: dict[int, tuple[Any, ...]],
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """The leading space of every CSV timestamp must not cost a row or a value."""
    seeded = warehouse_rows(warehouse, f"rowid <= {runs['first']['last_rowid']}")
    assert seeded == csv_rows


def test_synced_rows_have_price_zero_and_the_run_time(
    runs: dict[str, Any],
    dump_rows: dict[int, tuple[int, int, int]],
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    last = runs["first"]["last_rowid"]
    synced = warehouse_rows(warehouse, f"rowid > {last}")
    assert {r: (p, c, q) for r, (p, c, _, q, _) in synced.items()} == {
        r: values for r, values in dump_rows.items() if r > last
    }
    assert {price for _, _, price, _, _ in synced.values()} == {Decimal(0)}
    for _, _, _, _, stamp in synced.values():
        assert runs["before"] <= stamp <= runs["after"]


def test_a_second_run_inserts_nothing(runs: dict[str, Any]) -> None:
    first, second = runs["first"], runs["second"]
    assert second["inserted"] == 0
    assert second["new_rows"] == 0
    assert second["last_rowid"] == 13939
    assert second["warehouse_rows"] == first["warehouse_rows"]
    assert second["staging_rows"] == first["staging_rows"]


def test_every_warehouse_rowid_is_unique(
    runs: dict[str, Any], warehouse: duckdb.DuckDBPyConnection
) -> None:
    rows, distinct = warehouse.execute(
        "SELECT count(*), count(DISTINCT rowid) FROM raw_sales.sales_data"
    ).fetchone()
    assert rows == distinct == runs["second"]["warehouse_rows"]


def test_the_watermark_is_the_highest_synced_rowid(
    runs: dict[str, Any], warehouse: duckdb.DuckDBPyConnection
) -> None:
    (value,) = warehouse.execute(
        "SELECT value FROM _armazem.watermarks WHERE source = 'sales' AND table_name = 'sales_data'"
    ).fetchone()
    assert int(value) == runs["second"]["last_rowid"]


# --- the same sync into a PostgreSQL warehouse ---------------------------------------------------

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module")
def postgres_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The settings with a fresh PostgreSQL warehouse database (created by the platform on first
    use, dropped at the end); PostgreSQL down is a failure saying how to start it."""
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        problem: str | None = str(exc)
    else:
        problem = None
    if problem is not None:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable ({problem}); start it with "
                    f"`{START_POSTGRES}`", pytrace=False)  # fmt: skip
    name = f"armazem_test_sync_{secrets.token_hex(4)}"
    yield settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("pg-data"),
                                      "warehouse_url": f"{POSTGRES}/{name}"})  # fmt: skip
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_sync_works_on_a_postgresql_warehouse(
    postgres_settings: Settings, database: str, csv_rows: dict[int, tuple[Any, ...]]
) -> None:
    """The figures of the DuckDB runs, and the rows themselves, on PostgreSQL."""
    first = sync.run(postgres_settings, database=database)
    second = sync.run(postgres_settings, database=database)
    assert (first["last_rowid"], first["new_rows"], first["inserted"]) == (12289, 1650, 1650)
    assert first["warehouse_rows"] == len(csv_rows) + 1650
    assert (second["last_rowid"], second["new_rows"], second["inserted"]) == (13939, 0, 0)
    assert second["warehouse_rows"] == first["warehouse_rows"]
    with psycopg.connect(postgres_settings.warehouse_url) as con:
        rows = con.execute(
            "SELECT rowid, product_id, customer_id, price, quantity, timestamp "
            "FROM raw_sales.sales_data"
        ).fetchall()
        (mark,) = con.execute(
            "SELECT value FROM _armazem.watermarks WHERE table_name = 'sales_data'"
        ).fetchone()
    by_rowid = {r[0]: tuple(r[1:]) for r in rows}
    assert len(by_rowid) == len(rows) == second["warehouse_rows"]  # no rowid twice
    assert {r: v for r, v in by_rowid.items() if r <= 12289} == csv_rows
    assert int(mark) == 13939


# --- pure helpers and errors (no server needed) ------------------------------------------------


def test_the_mysql8_collation_is_rewritten_for_mariadb() -> None:
    script = "CREATE TABLE t (a int) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;"
    assert sync.for_mariadb(script) == script.replace(
        "utf8mb4_0900_ai_ci", "utf8mb4_unicode_520_ci"
    )


def test_the_staging_url_names_the_database() -> None:
    url = sync.staging_url("mariadb://root:secret@127.0.0.1:3306/", "sales_sync")
    assert url == "mysql://root:secret@127.0.0.1:3306/sales_sync"


def test_a_missing_capstone_file_says_where_to_point(tmp_path: Path) -> None:
    settings = load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": tmp_path / "data", "capstone_dir": tmp_path / "empty"}
    )
    with pytest.raises(ArmazemError, match=r"sales\.sql not found") as caught:
        sync.run(settings, database="armazem_test_sync_never")
    assert "capstone_dir" in caught.value.fix


def test_an_unreachable_server_says_how_to_start_it(tmp_path: Path) -> None:
    settings = load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": tmp_path / "data", "mysql_url": "mysql://root@127.0.0.1:1"}
    )
    with pytest.raises(ArmazemError, match="cannot reach MySQL/MariaDB") as caught:
        sync.run(settings, database="armazem_test_sync_never")
    assert oltp.START_MARIADB in caught.value.fix
    assert not (tmp_path / "data").exists()  # nothing was loaded
