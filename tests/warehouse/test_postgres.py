"""The PostgreSQL warehouse keeps the DuckDB warehouse's promises, on the real server.

Every database these tests use is fresh (`armazem_test_<random>`) and dropped at the end.
PostgreSQL down is a failure with the command that starts it, never a skip.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from tests.softcart import SOURCES

from armazem.errors import START_POSTGRES, ArmazemError
from armazem.ingest.pipeline import ingest
from armazem.settings import Settings, load_settings
from armazem.simulate import softcart
from armazem.warehouse import open_warehouse
from armazem.warehouse.postgres import PostgresWarehouse, pg_type

REPO = Path(__file__).resolve().parents[2]
SERVER = "postgresql://postgres@127.0.0.1:5432"
SCALE = 0.005

pytestmark = pytest.mark.services
NewDatabase = Callable[[], str]


@pytest.fixture(scope="module")
def new_database() -> Iterator[NewDatabase]:
    """Makes names of fresh databases (the warehouse creates them); drops them all at the end."""
    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: {START_POSTGRES}"
        )
    names: list[str] = []

    def make() -> str:
        names.append(f"armazem_test_{uuid.uuid4().hex[:10]}")
        return f"{SERVER}/{names[-1]}"

    yield make
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as con:
        for name in names:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def company_settings(data_dir: Path, warehouse_url: str) -> Settings:
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("ARMAZEM_")]:
            env.delenv(name)
        settings = load_settings(REPO / "examples/softcart/armazem.toml")
    update = {"data_dir": data_dir, "scale": SCALE, "warehouse_url": warehouse_url}
    return settings.model_copy(update=update)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, new_database: NewDatabase) -> Settings:
    """A company simulated and ingested once into a PostgreSQL warehouse. Tests may ingest its
    sources elsewhere; none may change them."""
    settings = company_settings(tmp_path_factory.mktemp("company"), new_database())
    softcart.create(settings)
    ingest(settings)
    return settings


def database(settings: Settings) -> str:
    return settings.warehouse_url.rsplit("/", 1)[1]


def pg_rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as con:
        return con.execute(sql).fetchall()


def raw_tables(settings: Settings) -> dict[str, list[tuple]]:
    """Every raw table's rows, sorted; numerics and timestamps come back as Decimal and
    datetime from both engines, so rows compare as they are."""
    tables = {}
    for t in SOURCES:
        sql = f"SELECT * FROM raw_{t.source}.{t.table}"
        if settings.warehouse_kind == "postgresql":
            rows = pg_rows(settings.warehouse_url, sql)
        else:
            with duckdb.connect(str(settings.local_file(settings.warehouse_url))) as con:
                rows = con.execute(sql).fetchall()
        tables[t.name] = sorted(rows, key=repr)
    return tables


def ledger(settings: Settings) -> list[tuple[str, str]]:
    """(load id, table) of every committed load."""
    return pg_rows(
        settings.warehouse_url,
        "SELECT load_id, source || '.' || table_name FROM _armazem.loads ORDER BY 1, 2",
    )


def test_contract_types_map_to_postgresql_types() -> None:
    assert pg_type("DECIMAL(10,2)") == "numeric(10,2)"
    assert pg_type("TIMESTAMP") == "timestamp without time zone"
    assert [pg_type(t) for t in ("INTEGER", "BIGINT", "SMALLINT", "DOUBLE", "VARCHAR")] == [
        "integer", "bigint", "smallint", "double precision", "text",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="HUGEINT"):
        pg_type("HUGEINT")


def test_an_unreachable_server_is_one_error_naming_it_and_the_fix() -> None:
    warehouse = PostgresWarehouse("postgresql://postgres:secret@127.0.0.1:1/armazem")
    with pytest.raises(ArmazemError) as caught:
        warehouse.watermark("shop", "orders")
    message = str(caught.value)
    assert "postgresql://postgres:***@127.0.0.1:1/armazem" in message
    assert "secret" not in message
    assert "pg_ctlcluster" in message and "ARMAZEM_WAREHOUSE_URL" in message


def test_raw_tables_equal_those_of_the_duckdb_warehouse(loaded: Settings, tmp_path: Path) -> None:
    embedded = loaded.model_copy(update={"warehouse_url": f"duckdb:///{tmp_path}/w.duckdb"})
    ingest(embedded)
    postgres, duck = raw_tables(loaded), raw_tables(embedded)
    assert all(postgres.values())
    for name in postgres:
        assert postgres[name] == duck[name], name


def test_column_types_are_the_contracts(loaded: Settings) -> None:
    types = dict(
        pg_rows(
            loaded.warehouse_url,
            "SELECT table_schema || '.' || table_name || '.' || column_name, "
            "format_type(atttypid, atttypmod) FROM information_schema.columns c "
            "JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(table_schema) || '.' || "
            "quote_ident(table_name)) AND a.attname = c.column_name "
            "WHERE table_schema LIKE 'raw\\_%'",
        )
    )
    assert types["raw_shop.order_lines.unit_price"] == "numeric(10,2)"
    assert types["raw_shop.order_lines.created_at"] == "timestamp without time zone"
    assert types["raw_shop.order_lines.order_line_id"] == "bigint"
    assert types["raw_shop.order_lines.quantity"] == "integer"
    assert types["raw_shop.customers.email"] == "text"
    assert types["raw_weblogs.access_log.status"] == "smallint"
    assert types["raw_catalog.products.screen_size"] == "double precision"
    assert len(types) == sum(len(t.contract.columns) for t in SOURCES)


def test_query_gives_the_python_types_duckdb_gives(loaded: Settings) -> None:
    warehouse = open_warehouse(loaded)
    ((total, first, n),) = warehouse.query(
        "SELECT sum(unit_price), min(created_at), count(*) FROM raw_shop.order_lines "
        "WHERE quantity > $1",
        [0],
    )
    rows = raw_tables(loaded)["shop.order_lines"]
    assert total == sum(r[4] for r in rows if r[3] > 0) and isinstance(total, Decimal)
    assert first == min(r[5] for r in rows) and n == len(rows)


def test_status_lists_every_table_with_its_rows(loaded: Settings) -> None:
    status = open_warehouse(loaded).status()
    assert status["tables"]["raw_shop.order_lines"]["rows"] == len(
        raw_tables(loaded)["shop.order_lines"]
    )
    assert {"_armazem.loads", "_armazem.watermarks"} <= set(status["tables"])
    assert not [t for t in status["tables"] if t.startswith(("pg_", "information_schema"))]


def test_incremental_loads_equal_a_full_reload(tmp_path: Path, new_database: NewDatabase) -> None:
    company = company_settings(tmp_path, new_database())
    softcart.create(company)
    ingest(company)
    softcart.advance(company, 2)
    results = {r.table: r for r in ingest(company)}
    assert results["shop.order_lines"].mode == "append"
    assert results["shop.orders"].read < 2_000  # only what changed, not the whole table
    fresh = company.model_copy(update={"warehouse_url": new_database()})
    ingest(fresh, full_refresh=True)
    incremental, full = raw_tables(company), raw_tables(fresh)
    for name in full:
        assert incremental[name] == full[name], name


def test_a_kill_before_commit_loses_and_duplicates_nothing(
    loaded: Settings, new_database: NewDatabase
) -> None:
    killed = loaded.model_copy(update={"warehouse_url": new_database()})
    names = [t.name for t in SOURCES]
    nth = names.index("shop.order_lines") + 1  # earlier tables commit, this one dies
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"ARMAZEM_PROJECT": str(REPO / "examples/softcart/armazem.toml"),
                "ARMAZEM_DATA_DIR": str(killed.data_path),
                "ARMAZEM_WAREHOUSE_URL": killed.warehouse_url})  # fmt: skip

    def run_ingest(failpoint: str | None) -> subprocess.CompletedProcess[str]:
        extra = {"ARMAZEM_FAILPOINT": failpoint} if failpoint else {}
        return subprocess.run(
            [sys.executable, "-m", "armazem", "ingest", "--json"],
            env={**env, **extra}, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    died = run_ingest(f"warehouse-before-commit:{nth}")
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert sorted(table for _, table in ledger(killed)) == sorted(names[: nth - 1])
    assert not pg_rows(
        killed.warehouse_url, "SELECT 1 FROM pg_tables WHERE tablename = 'order_lines'"
    )

    rerun = run_ingest(None)
    assert rerun.returncode == 0, rerun.stderr
    (rerun_id,) = {load["load_id"] for load in json.loads(rerun.stdout)["loads"]}
    assert raw_tables(killed) == raw_tables(loaded)
    for t in SOURCES:
        keys = ", ".join(t.contract.key)
        duplicates = pg_rows(
            killed.warehouse_url,
            f"SELECT {keys} FROM raw_{t.source}.{t.table} GROUP BY {keys} HAVING count(*) > 1",
        )
        assert not duplicates, t.name
    loads = ledger(killed)
    assert len(loads) == len(set(loads))  # one committed load per table and load id
    assert sorted(table for load_id, table in loads if load_id == rerun_id) == sorted(names)
    assert [table for _, table in loads].count("shop.order_lines") == 1


def armazem(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    result = subprocess.run(
        [sys.executable, "-m", "armazem", *args], cwd=REPO / "examples/softcart",
        env={**clean, "ARMAZEM_DATA_DIR": str(data), "COLUMNS": "120", **env},
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def sales_per_country(rows: list[tuple]) -> list[tuple[str, str]]:
    return sorted((country, f"{total:.2f}") for country, total in rows)


@pytest.mark.slow
def test_the_services_profile_runs_end_to_end(
    tmp_path: Path, new_database: NewDatabase, mariadb_database: str
) -> None:
    services = {"ARMAZEM_OLTP_URL": mariadb_database, "ARMAZEM_WAREHOUSE_URL": new_database()}
    armazem(tmp_path / "services", services, "--profile", "services", "run", "--scale", str(SCALE))
    status = json.loads(
        armazem(tmp_path / "services", services, "--profile", "services", "status", "--json").stdout
    )
    tables = status["tables"]
    assert tables["production.fct_sales"]["rows"] == tables["raw_shop.order_lines"]["rows"] > 0
    steps = {r["step"]: r["status"] for r in status["runs"]}
    assert {"simulate", "ingest", "transform", "publish", "publish copies"} <= set(steps)
    assert set(steps.values()) == {"success"}
    assert [p["store"] for p in status["publications"]] == ["warehouse", "files", "documents"]

    armazem(tmp_path / "embedded", {}, "run", "--scale", str(SCALE))
    report = "SELECT country, total_sales FROM production.rpt_total_sales_per_country"
    with duckdb.connect(str(tmp_path / "embedded" / "warehouse.duckdb"), read_only=True) as con:
        embedded = sales_per_country(con.execute(report).fetchall())
    served = sales_per_country(pg_rows(services["ARMAZEM_WAREHOUSE_URL"], report))
    assert served == embedded
    assert len(served) > 10
