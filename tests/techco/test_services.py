"""TechCo on the services profile's source systems: HR in a real PostgreSQL database and the
ledger in a real MariaDB database, written by the simulator and read by the sql source kind.
Fails (never skips) when a server is down, saying how to start it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest

from armazem.errors import START_MARIADB, START_POSTGRES
from armazem.orchestrate import steps
from armazem.settings import Settings, load_settings
from armazem.warehouse import open_warehouse

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco"
pytestmark = pytest.mark.services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Settings]:
    name = f"techco_{uuid.uuid4().hex[:8]}"
    try:
        pg = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: {START_POSTGRES}"
        )
    try:
        maria = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    except pymysql.err.OperationalError as exc:
        pytest.fail(f"MariaDB at 127.0.0.1:3306 is not reachable ({exc}); start: {START_MARIADB}")
    connections = {
        "hr": f"postgresql://postgres@127.0.0.1:5432/{name}_hr",
        "finance": f"mysql://root@127.0.0.1:3306/{name}_finance",
        "githost": "sqlite:///{data_dir}/sources/githost.sqlite",
    }
    settings = load_settings(
        PROJECT, "services", data_dir=tmp_path / "data", scale=0.05,
        warehouse_url=f"duckdb:///{tmp_path}/warehouse.duckdb", connections=connections,
    )  # fmt: skip
    try:
        yield settings
    finally:
        pg.execute(f"DROP DATABASE IF EXISTS {name}_hr WITH (FORCE)")
        pg.close()
        with maria.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}_finance")
        maria.close()


def test_hr_on_postgresql_and_the_ledger_on_mariadb_load_row_for_row(services: Settings) -> None:
    steps.simulate(services)
    result = steps.load(services, ["hr", "finance"])
    assert all(r.quarantined == 0 for r in result.data)
    warehouse = open_warehouse(services)
    hr = psycopg.connect(services.connections["hr"])
    finance_url = services.connections["finance"]
    maria = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="",
                            database=finance_url.rsplit("/", 1)[1])  # fmt: skip
    try:
        for table in ("departments", "workers", "employments", "positions", "salaries"):
            (expected,) = hr.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert warehouse.query(f"SELECT count(*) FROM raw_hr.{table}") == [(expected,)]
        with maria.cursor() as cur:
            for table in ("accounts", "invoices", "payments", "journal_entries", "journal_lines"):
                cur.execute(f"SELECT count(*) FROM {table}")
                (expected,) = cur.fetchone()
                got = warehouse.query(f"SELECT count(*) FROM raw_finance.{table}")
                assert got == [(expected,)], table
            cur.execute("SELECT sum(debit), sum(credit) FROM journal_lines")
            debit, credit = cur.fetchone()
    finally:
        hr.close()
        maria.close()
    assert warehouse.query("SELECT count(*) FROM raw_hr.employments WHERE is_rehire") == [(1,)]
    ((loaded_debit, loaded_credit),) = warehouse.query(
        "SELECT sum(debit), sum(credit) FROM raw_finance.journal_lines"
    )
    assert float(loaded_debit) == pytest.approx(float(debit))
    assert float(loaded_credit) == pytest.approx(float(credit))
