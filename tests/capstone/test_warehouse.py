"""Capstone module 3 (warehouse) against the real PostgreSQL server and DuckDB.

These tests fail, never skip, when PostgreSQL is down: a skipped capstone check reads as a pass.
They build their own databases (never the real `softcart`) and drop them afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
import pytest
from psycopg.conninfo import make_conninfo

from armazem.capstone import warehouse
from armazem.errors import START_POSTGRES, ArmazemError
from armazem.settings import Settings, load_settings, redact_url
from armazem.simulate.softcart import company

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parents[2]
TEST_DATABASE = "armazem_test_softcart"
VARIANT_DATABASE = "armazem_test_softcart_b"  # the swapped-dates run keeps to a database of its own
DIMENSIONS = ("DimDate.csv", "DimCategory.csv", "DimCountry.csv")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The repository's settings, small, with data written to a temporary folder."""
    base = load_settings(config=REPO / "examples/softcart/armazem.toml")
    return base.model_copy(update={"data_dir": tmp_path_factory.mktemp("data"), "scale": 0.01})


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    """The PostgreSQL URL, or a failure that says how to start it; drops the test databases."""
    url = settings.postgres_url
    problem = None
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        problem = exc
    if problem is not None:  # fail outside the except block: one clean message, no chained trace
        pytest.fail(
            f"PostgreSQL at {redact_url(url)} is unreachable ({problem}); start it with "
            f"`{START_POSTGRES}` or set ARMAZEM_POSTGRES_URL",
            pytrace=False,
        )
    yield url
    with psycopg.connect(url, autocommit=True) as conn:
        for database in (TEST_DATABASE, VARIANT_DATABASE):
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture(scope="module")
def result(settings: Settings, server: str) -> dict[str, Any]:
    return warehouse.run(settings, database=TEST_DATABASE)


@pytest.fixture(scope="module")
def pg(server: str, result: dict[str, Any]) -> Iterator[psycopg.Connection]:
    with psycopg.connect(make_conninfo(server, dbname=TEST_DATABASE), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def shop(settings: Settings) -> dict[str, pa.Table]:
    """The simulator's tables, as the warehouse reads them."""
    return company.history(settings.seed, min(settings.scale, warehouse.MAX_SCALE))


def scalar(conn: Any, sql: str) -> Any:
    return conn.execute(sql).fetchone()[0]


def capstone_copy(root: Path, date_file: str) -> Path:
    """A capstone folder whose DimDate.csv is `date_file` from the real one."""
    source = REPO / "../shared/capstone/softcart-dw"
    target = root / "capstone" / "softcart-dw"
    target.mkdir(parents=True)
    for name in DIMENSIONS[1:]:
        shutil.copyfile(source / name, target / name)
    shutil.copyfile(source / date_file, target / "DimDate.csv")
    return target.parent


def test_table_counts(result: dict[str, Any], shop: dict[str, pa.Table]) -> None:
    completed = int(np.sum(shop["orders"]["status"].to_numpy(zero_copy_only=False) == "completed"))
    assert result["tables"] == {
        "DimDate": 1096,
        "DimCategory": 5,
        "DimCountry": 56,
        "DimItem": shop["products"].num_rows,
        "FactSales": completed,
    }


def test_report_rows_follow_sql_semantics(result: dict[str, Any], pg: psycopg.Connection) -> None:
    def groups(columns: str) -> int:
        return scalar(
            pg,
            f"SELECT count(*) FROM (SELECT {columns} FROM staging.softcartFactSales AS f "
            f"JOIN staging.softcartDimDate AS d ON d.dateid = f.dateid GROUP BY {columns}) AS g",
        )

    countries, categories = groups("f.countryid"), groups("f.categoryid")
    years, pairs = groups("d.year"), groups("d.year, f.countryid")
    assert result["grouping_sets_rows"] == countries + categories
    assert result["rollup_rows"] == pairs + years + 1
    assert result["cube_rows"] == pairs + years + countries + 1
    assert result["total_sales_per_country_rows"] == countries


def test_grand_total_matches_the_simulator(
    result: dict[str, Any], shop: dict[str, pa.Table]
) -> None:
    """Summed in whole cents from the simulator's own tables, independently of any SQL."""
    orders, lines = shop["orders"], shop["order_lines"]
    status = orders["status"].to_numpy(zero_copy_only=False)
    completed = orders["order_id"].to_numpy()[status == "completed"]
    kept = np.isin(lines["order_id"].to_numpy(), completed)
    cents = np.round(lines["unit_price"].to_numpy() * 100).astype(np.int64)
    total_cents = int(np.sum(cents[kept] * lines["quantity"].to_numpy()[kept]))
    assert result["grand_total"] == round(total_cents / 100, 2)


def test_engines_agree(result: dict[str, Any]) -> None:
    postgresql, duckdb_figures = result["engines"]["postgresql"], result["engines"]["duckdb"]
    assert postgresql == duckdb_figures
    assert {key: result[key] for key in postgresql} == postgresql


def test_keys_are_real_constraints(settings: Settings, pg: psycopg.Connection) -> None:
    sql = (
        "SELECT count(*) FROM information_schema.table_constraints WHERE table_schema = 'staging' "
        "AND table_name = 'softcartfactsales' AND constraint_type = '{}'"
    )
    assert scalar(pg, sql.format("PRIMARY KEY")) == 1
    assert scalar(pg, sql.format("FOREIGN KEY")) == 4
    path = settings.data_path / "capstone" / "softcart.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        kinds = con.execute(
            "SELECT constraint_type, count(*) FROM duckdb_constraints() WHERE schema_name = "
            "'staging' AND table_name = 'softcartFactSales' GROUP BY ALL"
        ).fetchall()
    assert dict(kinds)["FOREIGN KEY"] == 4
    assert dict(kinds)["PRIMARY KEY"] == 1


def test_materialized_view_exists(pg: psycopg.Connection) -> None:
    assert scalar(
        pg,
        "SELECT count(*) FROM pg_matviews "
        "WHERE schemaname = 'staging' AND matviewname = 'total_sales_per_country'",
    )


def test_quarters_are_corrected(result: dict[str, Any], pg: psycopg.Connection) -> None:
    assert result["corrections"] == {"quarter": 12, "date": 0}
    wrong = "SELECT count(*) FROM staging.softcartDimDate WHERE quarter <> (month + 2) / 3"
    assert scalar(pg, wrong) == 0
    misnamed = "SELECT count(*) FROM staging.softcartDimDate WHERE quartername <> 'Q' || quarter"
    assert scalar(pg, misnamed) == 0


def test_swapped_dates_are_rebuilt(settings: Settings, server: str, tmp_path: Path) -> None:
    variant = settings.model_copy(
        update={
            "capstone_dir": capstone_copy(tmp_path, "DimDate.variant-B.csv"),
            "data_dir": tmp_path / "data",
        }
    )
    outcome = warehouse.run(variant, database=VARIANT_DATABASE)
    assert outcome["corrections"] == {"quarter": 12, "date": 264}
    assert outcome["tables"]["DimDate"] == 1096
    disagreeing = (
        "SELECT count(*) FROM staging.softcartDimDate WHERE extract(year FROM date) <> year "
        "OR extract(month FROM date) <> month OR extract(day FROM date) <> day"
    )
    with psycopg.connect(make_conninfo(server, dbname=VARIANT_DATABASE)) as conn:
        assert scalar(conn, "SELECT count(DISTINCT date) FROM staging.softcartDimDate") == 1096
        assert scalar(conn, disagreeing) == 0
    with duckdb.connect(str(tmp_path / "data/capstone/softcart.duckdb"), read_only=True) as con:
        assert scalar(con, "SELECT count(DISTINCT date) FROM staging.softcartDimDate") == 1096
        assert scalar(con, disagreeing) == 0


def test_second_run_is_identical(
    settings: Settings, result: dict[str, Any], pg: psycopg.Connection
) -> None:
    checksum = "SELECT sum(orderid * amount), count(*) FROM staging.softcartFactSales"
    before = pg.execute(checksum).fetchone()
    assert warehouse.run(settings, database=TEST_DATABASE) == result
    assert pg.execute(checksum).fetchone() == before


def test_unreachable_postgres_names_the_fix(settings: Settings) -> None:
    down = settings.model_copy(
        update={"postgres_url": "postgresql://postgres:secret@127.0.0.1:1/postgres"}
    )
    with pytest.raises(ArmazemError) as caught:
        warehouse.run(down, database=TEST_DATABASE)
    message = str(caught.value)
    assert "127.0.0.1:1" in message
    assert "pg_ctlcluster" in caught.value.fix
    assert "ARMAZEM_POSTGRES_URL" in caught.value.fix
    assert "secret" not in message


def test_missing_capstone_file_names_the_fix(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ArmazemError) as caught:
        warehouse.run(settings.model_copy(update={"capstone_dir": tmp_path}))
    assert str(tmp_path / "softcart-dw" / "DimDate.csv") in caught.value.problem
    assert "ARMAZEM_CAPSTONE_DIR" in caught.value.fix


def test_country_names_must_match_the_simulator(
    settings: Settings, server: str, tmp_path: Path
) -> None:
    capstone = capstone_copy(tmp_path, "DimDate.csv")
    countries = capstone / "softcart-dw" / "DimCountry.csv"
    countries.write_bytes(countries.read_bytes().replace(b"Vietnam", b"Viet Nam"))
    with pytest.raises(ArmazemError, match=r"DimCountry\.csv and the SoftCart simulator"):
        warehouse.run(
            settings.model_copy(update={"capstone_dir": capstone}), database=TEST_DATABASE
        )
