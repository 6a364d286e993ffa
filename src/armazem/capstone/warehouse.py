"""Capstone module 3: SoftCart's reporting warehouse, a star schema in PostgreSQL and in DuckDB.

Dimensions date, category and country come from the capstone's `softcart-dw/*.csv` files (repaired
where they contradict themselves); items and sales come from the SoftCart simulator. Both engines
get the same tables, the same SQL and the same data, so every figure must agree between them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg.conninfo import make_conninfo

from armazem.errors import START_POSTGRES, ArmazemError
from armazem.settings import Settings, redact_url
from armazem.simulate.softcart import company

DATABASE = "softcart"
MAX_SCALE = 0.05  # about 20k orders: enough for the reports, fast to build

# Result key -> table, in load order (dimensions before the facts that reference them).
TABLES = {
    "DimDate": "softcartDimDate",
    "DimCategory": "softcartDimCategory",
    "DimCountry": "softcartDimCountry",
    "DimItem": "softcartDimItem",
    "FactSales": "softcartFactSales",
}
_INT, _SMALL, _TEXT = pa.int32(), pa.int16(), pa.string()
# The files' columns and types; `date` stays text until it has been checked against Year/Month/Day.
DATE_COLUMNS = {"dateid": _INT, "date": _TEXT, "Year": _SMALL, "Quarter": _SMALL,
                "QuarterName": _TEXT, "Month": _SMALL, "Monthname": _TEXT, "Day": _SMALL,
                "Weekday": _SMALL, "WeekdayName": _TEXT}  # fmt: skip
CATEGORY_COLUMNS = {"categoryid": _INT, "category": _TEXT}
COUNTRY_COLUMNS = {"countryid": _INT, "country": _TEXT}
SQL = Path(__file__).with_name("sql")
# Report -> the view that warehouse_reports.sql creates for it.
REPORTS = {
    "grouping_sets": "staging.sales_by_country_or_category",
    "rollup": "staging.sales_by_year_country_rollup",
    "cube": "staging.average_sales_by_year_country_cube",
}
MATVIEW = "staging.total_sales_per_country"
# PostgreSQL gets a real materialized view; DuckDB has none, so there it is a table of that name.
MATVIEW_KIND = {"postgresql": "MATERIALIZED VIEW", "duckdb": "TABLE"}


def run(settings: Settings, *, database: str = DATABASE) -> dict[str, Any]:
    """Build the star schema and its reports in both engines; return the figures of each.

    `database` exists so tests can work on a database of their own; the capstone uses `softcart`.
    """
    folder = settings.capstone_path / "softcart-dw"
    dim_date, corrections = read_dim_date(folder / "DimDate.csv")
    tables = {
        "DimDate": dim_date,
        "DimCategory": read_csv(folder / "DimCategory.csv", CATEGORY_COLUMNS),
        "DimCountry": read_csv(folder / "DimCountry.csv", COUNTRY_COLUMNS),
    }
    tables |= simulate_sales(settings.seed, min(settings.scale, MAX_SCALE), tables)
    conninfo = ensure_database(settings.postgres_url, database)
    engines = {
        "postgresql": build_postgresql(conninfo, tables),
        "duckdb": build_duckdb(settings.data_path / "capstone" / "softcart.duckdb", tables),
    }
    if engines["postgresql"] != engines["duckdb"]:
        raise ArmazemError(
            f"PostgreSQL and DuckDB disagree: {engines}",
            "compare the staging tables of both engines; they were loaded with the same data",
        )
    return {**engines["postgresql"], "engines": engines, "corrections": corrections}


# --- dimensions from the capstone files ---------------------------------------------------------


def read_csv(path: Path, columns: dict[str, pa.DataType]) -> pa.Table:
    """The file as typed columns; tolerates a byte-order mark and a missing last newline."""
    if not path.is_file():
        raise ArmazemError(
            f"capstone file {path} not found",
            "set capstone_dir in armazem.toml (or ARMAZEM_CAPSTONE_DIR) to the folder that holds "
            "softcart-dw/",
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    header = tuple(columns)
    if not rows or tuple(rows[0]) != header:
        raise ArmazemError(
            f"{path} does not start with {','.join(header)}", "use the capstone's file"
        )
    if any(len(row) != len(header) for row in rows):
        raise ArmazemError(f"{path} has rows without {len(header)} fields", "repair the file")
    values = list(zip(*rows[1:])) or [()] * len(header)  # noqa: B905 - lengths checked above
    try:
        arrays = [pa.array(v, _TEXT).cast(t) for v, t in zip(values, columns.values(), strict=True)]
    except pa.ArrowInvalid as exc:
        raise ArmazemError(
            f"{path} has a value of the wrong type: {exc}", "repair the file"
        ) from None
    return pa.table(dict(zip(header, arrays, strict=True)))


def read_dim_date(path: Path) -> tuple[pa.Table, dict[str, int]]:
    """DimDate with Quarter/QuarterName derived from the month and `date` rebuilt from
    Year/Month/Day wherever they disagree (the files label each quarter's last day with the next
    quarter; variant B swaps day and month). Returns the table and how many rows were corrected.
    """
    table = read_csv(path, DATE_COLUMNS)
    ymd = zip(*(table[c].to_pylist() for c in ("Year", "Month", "Day")), strict=True)
    try:
        dates = [date(y, m, d) for y, m, d in ymd]
    except ValueError as exc:
        raise ArmazemError(f"{path} has an impossible Year/Month/Day: {exc}", "repair it") from None
    if len(set(dates)) != len(dates):
        raise ArmazemError(f"{path} lists a day twice", "keep one row per day")
    quarters = [(d.month - 1) // 3 + 1 for d in dates]
    given = zip(table["Quarter"].to_pylist(), table["QuarterName"].to_pylist(), strict=True)
    corrections = {
        "quarter": sum((q, f"Q{q}") != pair for q, pair in zip(quarters, given, strict=True)),
        "date": sum(
            d.isoformat() != s for d, s in zip(dates, table["date"].to_pylist(), strict=True)
        ),
    }
    table = table.set_column(1, "date", pa.array(dates, pa.date32()))
    table = table.set_column(3, "Quarter", pa.array(quarters, _SMALL))
    table = table.set_column(4, "QuarterName", pa.array([f"Q{q}" for q in quarters]))
    return table, corrections


# --- items and sales from the simulator ---------------------------------------------------------


def simulate_sales(seed: int, scale: float, dims: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """DimItem and FactSales from the simulated shop, checked against the capstone's dimensions."""
    shop = company.history(seed, scale)
    check_same(dims["DimCountry"], shop["countries"], "DimCountry.csv")
    check_same(dims["DimCategory"], shop["categories"], "DimCategory.csv")
    con = duckdb.connect()
    try:
        for name in ("orders", "order_lines", "products", "customers"):
            con.register(name, shop[name])
        con.register("dim_date", dims["DimDate"])
        facts = con.execute(statements("warehouse_facts.sql")[0]).to_arrow_table()
    finally:
        con.close()
    undated = facts["dateid"].null_count
    if undated:
        raise ArmazemError(
            f"DimDate.csv has no row for the day of {undated} orders",
            "use a DimDate.csv that covers 2019-01-01 to 2021-12-31",
        )
    items = shop["products"].select(["product_id", "item"]).rename_columns(["itemid", "item"])
    return {"DimItem": items, "FactSales": facts}


def check_same(capstone: pa.Table, simulated: pa.Table, file: str) -> None:
    """The simulator's ids and names must be exactly those of the capstone's dimension file."""
    ours = list(zip(*(c.to_pylist() for c in capstone.columns), strict=True))
    theirs = list(zip(*(simulated.column(i).to_pylist() for i in (0, 1)), strict=True))
    if ours != theirs:
        raise ArmazemError(
            f"{file} and the SoftCart simulator name different ids: {set(ours) ^ set(theirs)}",
            f"keep armazem/simulate/softcart/reference.py in step with {file}",
        )


# --- the two engines ----------------------------------------------------------------------------


def ensure_database(url: str, database: str) -> str:
    """A conninfo for `database` on the server of `url`, creating the database if missing."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{database}"')
    except psycopg.OperationalError as exc:
        raise ArmazemError(
            f"PostgreSQL at {redact_url(url)} is unreachable ({' '.join(str(exc).split())})",
            f"start it with `{START_POSTGRES}`, or set ARMAZEM_POSTGRES_URL",
        ) from None
    return make_conninfo(url, dbname=database, connect_timeout=5)


def build_postgresql(conninfo: str, tables: dict[str, pa.Table]) -> dict[str, Any]:
    with psycopg.connect(conninfo) as conn:
        with conn.transaction():

            def load(name: str, data: pa.Table) -> None:
                buffer = pa.BufferOutputStream()
                pa_csv.write_csv(data, buffer)
                copy_sql = f"COPY staging.{name} FROM STDIN (FORMAT csv, HEADER true)"
                with conn.cursor().copy(copy_sql) as copy:
                    copy.write(buffer.getvalue().to_pybytes())

            rebuild(conn, "postgresql", tables, load)
        return figures(conn)


def build_duckdb(path: Path, tables: dict[str, pa.Table]) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise ArmazemError(f"cannot open {path}: {exc}", "close the program that uses it") from None
    try:

        def load(name: str, data: pa.Table) -> None:
            con.register("incoming", data)
            con.execute(f"INSERT INTO staging.{name} SELECT * FROM incoming")
            con.unregister("incoming")

        con.execute("BEGIN TRANSACTION")
        rebuild(con, "duckdb", tables, load)
        con.execute("COMMIT")
        return figures(con)
    finally:
        con.close()


def rebuild(
    conn: Any, engine: str, tables: dict[str, pa.Table], load: Callable[[str, pa.Table], None]
) -> None:
    """Drop and recreate the star schema and its reports (the caller holds one transaction)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS staging")
    for view in REPORTS.values():
        conn.execute(f"DROP VIEW IF EXISTS {view}")
    conn.execute(f"DROP {MATVIEW_KIND[engine]} IF EXISTS {MATVIEW}")
    for name in reversed(TABLES.values()):
        conn.execute(f"DROP TABLE IF EXISTS staging.{name}")
    for statement in statements("warehouse_tables.sql"):
        conn.execute(statement)
    for key, name in TABLES.items():
        load(name, tables[key])
    for statement in statements("warehouse_reports.sql"):
        conn.execute(statement.replace("MATERIALIZED VIEW", MATVIEW_KIND[engine]))


def statements(file: str) -> list[str]:
    """The `;`-separated statements of a SQL file beside this module (no `;` in its comments)."""
    return [s.strip() for s in (SQL / file).read_text(encoding="utf-8").split(";") if s.strip()]


def figures(conn: Any) -> dict[str, Any]:
    """Row counts and the grand total, by the same SQL on either engine."""

    def scalar(sql: str) -> Any:
        return conn.execute(sql).fetchone()[0]

    result: dict[str, Any] = {
        "tables": {
            key: scalar(f"SELECT count(*) FROM staging.{name}") for key, name in TABLES.items()
        }
    }
    for key, view in REPORTS.items():
        result[f"{key}_rows"] = scalar(f"SELECT count(*) FROM {view}")
    result["total_sales_per_country_rows"] = scalar(f"SELECT count(*) FROM {MATVIEW}")
    total = scalar("SELECT sum(amount) FROM staging.softcartFactSales")
    result["grand_total"] = round(float(total or 0), 2)
    return result
