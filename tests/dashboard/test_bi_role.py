"""The BI role on the real PostgreSQL server: it reads the production marts (through the masked
views) and nothing else, never sees an e-mail in clear, and the dashboards' queries work as it.

Everything here is scratch: a database `armazem_bi_test_<random>` and a role of the same name
(roles are cluster-wide, so never `armazem_bi` itself), both dropped at the end. PostgreSQL down
is a failure with the command that starts it, never a skip.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from tests.softcart import PERSONAL, QUERIES

from armazem.dashboard import bi, pseudonym, queries
from armazem.dashboard.db import PostgresReader
from armazem.dashboard.export import export_table
from armazem.errors import START_POSTGRES, ArmazemError
from armazem.settings import Settings, load_settings

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parents[2]
SERVER = "postgresql://postgres@127.0.0.1:5432"
EMAILS = ("ana.silva@example.com", "bruno.okafor@shop.example.net")
KEY = f"pseudonym-key-{uuid.uuid4().hex}"  # held by the engine, never by the warehouse
MASKS = {**PERSONAL, "salary": "drop"}

# A tiny warehouse: the marts the dashboards read, and tables the BI role must not read.
SCHEMA_SQL = """
CREATE SCHEMA production;
CREATE TABLE production.dim_customer (customer_id integer, email text, first_name text,
    last_name text, country_id integer, country text, segment text);
INSERT INTO production.dim_customer VALUES
    (1, 'ana.silva@example.com', 'Ana', 'Silva', 1, 'Brazil', 'consumer'),
    (2, 'bruno.okafor@shop.example.net', 'Bruno', 'Okafor', 2, 'Portugal', 'business');
CREATE TABLE production.dim_country (country_id integer, country text, region text);
INSERT INTO production.dim_country VALUES (1, 'Brazil', 'Americas'), (2, 'Portugal', 'Europe');
CREATE TABLE production.dim_category (category_id integer, category text);
INSERT INTO production.dim_category VALUES (1, 'Electronics'), (2, 'Books');
CREATE TABLE production.dim_product (product_id integer, sku text, item text,
    product_type text, model text, category_id integer, category text,
    current_price numeric(10,2), screen_size double precision);
INSERT INTO production.dim_product VALUES
    (1, 'SC-1', 'Laptop A1', 'laptop', 'a1', 1, 'Electronics', 999.99, 15.6),
    (2, 'SC-2', 'Book B2', 'book', 'b2', 2, 'Books', 12.50, NULL);
CREATE TABLE production.dim_date (date_key integer, date date, year integer, quarter integer,
    month integer);
INSERT INTO production.dim_date VALUES (20210105, '2021-01-05', 2021, 1, 1),
    (20210420, '2021-04-20', 2021, 2, 4);
CREATE TABLE production.fct_sales (order_line_id bigint, order_id bigint, date_key integer,
    ordered_at timestamp, customer_id integer, country_id integer, product_id integer,
    category_id integer, quantity integer, unit_price numeric(10,2), amount numeric(18,2),
    order_status text, is_cancelled boolean);
INSERT INTO production.fct_sales VALUES
    (1, 1, 20210105, '2021-01-05 10:00', 1, 1, 1, 1, 1, 999.99, 999.99, 'completed', false),
    (2, 1, 20210105, '2021-01-05 10:00', 1, 1, 2, 2, 3, 12.50, 37.50, 'completed', false),
    (3, 2, 20210420, '2021-04-20 11:00', 2, 2, 2, 2, 1, 12.50, 12.50, 'completed', false),
    (4, 3, 20210420, '2021-04-20 12:00', 2, 2, 1, 1, 1, 999.99, 999.99, 'cancelled', true);
CREATE TABLE production.dim_staff (staff_id integer, team text, salary numeric(10,2));
INSERT INTO production.dim_staff VALUES (1, 'sales', 4200.00);
CREATE SCHEMA snapshots;
CREATE TABLE snapshots.customers_snapshot AS SELECT * FROM production.dim_customer;
CREATE SCHEMA raw_shop;
CREATE TABLE raw_shop.customers (customer_id integer, email text);
INSERT INTO raw_shop.customers VALUES (1, 'ana.silva@example.com');
CREATE SCHEMA staging;
CREATE TABLE staging.dim_customer AS SELECT * FROM production.dim_customer;
CREATE SCHEMA _armazem;
CREATE TABLE _armazem.runs (run_id text, step text, status text, error text);
INSERT INTO _armazem.runs VALUES ('r1', 'ingest', 'success', NULL);
CREATE TABLE _armazem.quarantine (load_id text, reason text, record text);
INSERT INTO _armazem.quarantine VALUES ('l1', 'bad', 'ana.silva@example.com,...');
"""
FORBIDDEN = (
    "production.dim_customer",
    "production.fct_sales",
    "raw_shop.customers",
    "staging.dim_customer",
    "snapshots.customers_snapshot",
    "production.dim_staff",
    "_armazem.runs",
    "_armazem.quarantine",
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[tuple[str, str]]:
    """(warehouse URL of a scratch database with the tiny warehouse, BI role name)."""
    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        problem = str(exc)
    else:
        problem = None
    if problem is not None:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({problem}); start it with "
            f"`{START_POSTGRES}`",
            pytrace=False,
        )
    name = f"armazem_bi_test_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(url) as con:
            con.execute(SCHEMA_SQL)
        yield url, name
    finally:
        try:
            bi.drop(url, name)
        finally:
            with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture(scope="module")
def access(scratch: tuple[str, str]) -> bi.BiAccess:
    url, role = scratch
    return bi.setup(url, MASKS, role=role, password="s3cret-for-tests", key=KEY)


def connect_as(access: bi.BiAccess) -> psycopg.Connection:
    return psycopg.connect(
        host=access.host, port=access.port, dbname=access.database, user=access.role,
        password=access.password, autocommit=True,
    )  # fmt: skip


def test_the_role_reads_the_marts_through_the_bi_views(access: bi.BiAccess) -> None:
    assert access.created and access.password == "s3cret-for-tests"
    assert set(access.views) == {"dim_customer", "dim_country", "dim_category", "dim_product",
                                 "dim_date", "fct_sales", "dim_staff"}  # fmt: skip
    with connect_as(access) as con:
        (lines,) = con.execute("SELECT count(*) FROM bi.fct_sales").fetchone()
        (total,) = con.execute("SELECT sum(amount) FROM fct_sales").fetchone()  # search_path: bi
    assert lines == 4
    assert total == Decimal("2049.98")


@pytest.mark.parametrize("table", FORBIDDEN)
def test_the_role_cannot_read_anything_else(access: bi.BiAccess, table: str) -> None:
    with connect_as(access) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute(f"SELECT * FROM {table} LIMIT 1")


def test_emails_are_keyed_pseudonyms_and_names_and_salaries_left_out(access: bi.BiAccess) -> None:
    with connect_as(access) as con:
        cursor = con.execute("SELECT * FROM bi.dim_customer ORDER BY customer_id")
        columns = [d.name for d in cursor.description]
        rows = cursor.fetchall()
        (clear,) = con.execute(
            "SELECT count(*) FROM bi.dim_customer WHERE email LIKE '%@%'"
        ).fetchone()
        staff = con.execute("SELECT * FROM bi.dim_staff")
        staff_columns = [d.name for d in staff.description]
    assert "first_name" not in columns and "last_name" not in columns
    assert staff_columns == ["staff_id", "team"]  # the salary is left out
    emails = [row[columns.index("email")] for row in rows]
    # HMAC-SHA256 under the key: still one pseudonym per address, so still joinable and
    # countable, but hashing a list of addresses no longer finds them.
    assert emails == [hmac.new(KEY.encode(), e.encode(), "sha256").hexdigest() for e in EMAILS]
    assert not set(emails) & {hashlib.sha256(e.encode()).hexdigest() for e in EMAILS}
    assert clear == 0
    assert not any(e in json.dumps(rows, default=str) for e in EMAILS)


def test_the_role_cannot_write(access: bi.BiAccess) -> None:
    with connect_as(access) as con:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # read-only by default
            con.execute("CREATE TABLE bi.mine (x integer)")
        for target in ("bi.mine", "public.mine", "production.mine"):  # and no right to anyway
            with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
                con.execute("SET TRANSACTION READ WRITE")
                con.execute(f"CREATE TABLE {target} (x integer)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
            con.execute("SET TRANSACTION READ WRITE")
            con.execute("DELETE FROM bi.fct_sales")


def test_refresh_after_a_publish_restores_the_views(scratch: tuple[str, str], access) -> None:
    url, role = scratch
    with psycopg.connect(url) as con:  # what publishing does: production is replaced
        con.execute("ALTER SCHEMA production RENAME TO old_production")
        con.execute("CREATE SCHEMA production")
        con.execute(
            "CREATE TABLE production.fct_sales AS SELECT * FROM old_production.fct_sales; "
            "CREATE TABLE production.dim_customer AS SELECT * FROM old_production.dim_customer; "
            "DROP SCHEMA old_production CASCADE"
        )
    with connect_as(access) as con, pytest.raises(psycopg.errors.UndefinedTable):
        con.execute("SELECT * FROM bi.fct_sales")  # the views went with the old schema
    assert set(bi.refresh_views(url, MASKS, role, key=KEY) or []) == {"dim_customer",
                                                                      "fct_sales"}  # fmt: skip
    with connect_as(access) as con:
        assert con.execute("SELECT count(*) FROM bi.fct_sales").fetchone() == (4,)
    assert bi.refresh_views(url, MASKS, "armazem_bi_no_such_role", key=KEY) is None
    # Put the full tiny warehouse back for the tests that follow.
    with psycopg.connect(url) as con:
        con.execute("DROP SCHEMA production, raw_shop, staging, snapshots, _armazem CASCADE")
        con.execute(SCHEMA_SQL)
    bi.setup(url, MASKS, role=role, key=KEY)


def test_setup_again_keeps_the_password_unless_given(scratch: tuple[str, str]) -> None:
    url, role = scratch
    again = bi.setup(url, MASKS, role=role, key=KEY)
    assert not again.created and again.password is None
    with connect_as(again) as con:  # trust auth here: this checks the role still logs in
        assert con.execute("SELECT current_user").fetchone() == (role,)


def test_the_dashboard_queries_run_as_the_role(scratch: tuple[str, str], access) -> None:
    url, role = scratch
    reader = PostgresReader(url, role, "bi")
    f = QUERIES.SalesFilter(date(2021, 1, 1), date(2021, 12, 31))
    with reader.session():
        assert QUERIES.sales_date_range(reader, "production") == (
            date(2021, 1, 5), date(2021, 4, 20))  # fmt: skip
        kpis = QUERIES.kpis(reader, "production", f)
        monthly = QUERIES.monthly_sales(reader, "production", f)
        brazil = QUERIES.kpis(
            reader, "production", QUERIES.SalesFilter(f.start, f.end, ("Brazil",))
        )
        products = QUERIES.product_types(reader)
    assert (kpis.revenue, kpis.orders) == (Decimal("1049.99"), 2)  # the cancelled order is out
    assert monthly.rows == [(2021, 1, Decimal("1037.49")), (2021, 4, Decimal("12.50"))]
    assert (brazil.revenue, brazil.orders) == (Decimal("1037.49"), 1)
    assert len(products) == 2
    platform_only = PostgresReader(url, role, "bi")
    with pytest.raises(ArmazemError, match="may not read"):
        queries.recent_runs(platform_only)


def test_missing_role_is_a_clear_error(scratch: tuple[str, str]) -> None:
    url, _ = scratch
    with pytest.raises(ArmazemError, match="armazem bi"):
        PostgresReader(url, "armazem_bi_no_such_role", "bi").fetch("SELECT 1")


def test_pbids_file(access: bi.BiAccess, tmp_path: Path) -> None:
    path = bi.write_pbids(tmp_path / "data" / "armazem.pbids", access)
    document = json.loads(path.read_text())
    assert document == {
        "version": "0.1",
        "connections": [{
            "details": {"protocol": "postgresql",
                        "address": {"server": "127.0.0.1:5432", "database": access.database}},
            "mode": "DirectQuery",
        }],
    }  # fmt: skip


def test_export_from_postgres_keeps_exact_decimals(scratch, access, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    url, _ = scratch
    settings = _settings(url, tmp_path)
    csv_path, rows = export_table(settings, "fct_sales", "csv")
    assert rows == 4 and csv_path == tmp_path / "data" / "exports" / "fct_sales.csv"
    lines = csv_path.read_text().splitlines()
    assert lines[0].split(",")[-4:] == ['"unit_price"', '"amount"', '"order_status"',
                                        '"is_cancelled"']  # fmt: skip
    assert lines[1].split(",")[-4:-2] == ["999.99", "999.99"]
    parquet_path, _ = export_table(settings, "production.fct_sales", "parquet", tmp_path / "f.pq")
    table = pq.read_table(parquet_path)
    assert str(table.schema.field("amount").type) == "decimal128(18, 2)"
    assert sum(table.column("amount").to_pylist()) == Decimal("2049.98")
    with pytest.raises(ArmazemError, match="production has no table"):
        export_table(settings, "raw_shop.customers", "csv")


def _settings(url: str, tmp_path: Path) -> Settings:
    with pytest.MonkeyPatch.context() as env:
        for name in ("ARMAZEM_PROFILE", "ARMAZEM_DATA_DIR", "ARMAZEM_WAREHOUSE_URL"):
            env.delenv(name, raising=False)
        return load_settings(REPO / "examples/softcart/armazem.toml", "services").model_copy(
            update={"data_dir": tmp_path / "data", "warehouse_url": url}
        )


def test_tables_created_later_are_not_readable(scratch: tuple[str, str], access) -> None:
    """Default privileges grant the role (and PUBLIC) nothing on new tables, in any schema, even
    where someone had made new tables readable by everyone."""
    url, role = scratch
    with psycopg.connect(url) as con:
        con.execute("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC")
    bi.refresh_views(url, MASKS, role, key=KEY)  # what every publish does
    with psycopg.connect(url) as con:
        for table in ("production.later", "raw_shop.later", "public.later", "bi.later",
                      "_armazem.later"):  # fmt: skip
            con.execute(f"CREATE TABLE {table} AS SELECT 1 AS x")
    try:
        with connect_as(access) as con:
            for table in ("production.later", "raw_shop.later", "public.later", "bi.later",
                          "_armazem.later"):  # fmt: skip
                with pytest.raises(psycopg.errors.InsufficientPrivilege), con.transaction():
                    con.execute(f"SELECT * FROM {table}")
    finally:
        with psycopg.connect(url) as con:
            con.execute("DROP TABLE production.later, raw_shop.later, public.later, bi.later, "
                        "_armazem.later")  # fmt: skip


def test_the_role_cannot_create_even_temporary_tables(access: bi.BiAccess) -> None:
    denied = pytest.raises(psycopg.errors.InsufficientPrivilege)
    with connect_as(access) as con, denied, con.transaction():
        con.execute("SET TRANSACTION READ WRITE")
        con.execute("CREATE TEMP TABLE scratch (x integer)")


def test_the_key_is_nowhere_in_the_warehouse(scratch: tuple[str, str], access) -> None:
    """Neither the key nor its pads (which would do as well as the key) in any view definition,
    function, setting or text value of the database."""
    url, _ = scratch
    forms = [KEY, *(pad.hex() for pad in pseudonym.pads(KEY).values())]
    with psycopg.connect(url) as con:
        texts = [d for (d,) in con.execute("SELECT definition FROM pg_views")]
        texts += [d for (d,) in con.execute("SELECT prosrc FROM pg_proc")]
        texts += [str(c) for (c,) in con.execute("SELECT setconfig FROM pg_db_role_setting")]
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('text', 'bytea') AND table_schema NOT IN "
            "('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table, column in columns:
            texts += [
                str(v) for (v,) in con.execute(f'SELECT "{column}" FROM "{schema}"."{table}"')
            ]
    assert texts and not [t for t in texts if t and any(f in t for f in forms)]


def test_without_a_key_hashed_columns_are_left_out(scratch: tuple[str, str], access) -> None:
    """No key, no pseudonyms: never the unkeyed hash of before, the column is not shown."""
    url, role = scratch
    bi.refresh_views(url, MASKS, role)
    try:
        with connect_as(access) as con:
            cursor = con.execute("SELECT * FROM bi.dim_customer")
            assert "email" not in [d.name for d in cursor.description]
            assert len(cursor.fetchall()) == 2
    finally:
        bi.refresh_views(url, MASKS, role, key=KEY)


def test_setting_up_the_same_role_at_once_from_two_databases() -> None:
    """The role is cluster-wide: two setups at the same moment (each on a database of its own)
    both succeed, whichever creates the role."""
    role = f"armazem_bi_test_{uuid.uuid4().hex[:10]}"
    names = [f"{role}_{i}" for i in range(2)]
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def set_up(name: str) -> None:
        try:
            with psycopg.connect(f"{SERVER}/{name}") as con:
                con.execute(SCHEMA_SQL)
            start.wait()
            bi.setup(f"{SERVER}/{name}", MASKS, role=role, key=KEY)
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=set_up, args=(n,)) for n in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        for name in names:
            with psycopg.connect(f"{SERVER}/{name}", user=role) as con:
                assert con.execute("SELECT count(*) FROM bi.fct_sales").fetchone() == (4,)
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
