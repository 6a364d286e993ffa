"""A simulated system's database: a SQLite file (the embedded profile) or a PostgreSQL or
MySQL/MariaDB database (the services profile). Arrow tables are written whole, with a primary key
on the first column and types a SQL reader maps back."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from armazem.errors import START_MARIADB, START_POSTGRES, ArmazemError
from armazem.settings import redact_url

INSERT_BATCH = 50_000


def _sql_type(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return "INTEGER"
    if pa.types.is_floating(kind):
        return "REAL"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "DATETIME"
    return "TEXT"


def _values(column: pa.ChunkedArray) -> list:
    if pa.types.is_timestamp(column.type):
        column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    elif pa.types.is_date(column.type):
        column = pc.strftime(column, format="%Y-%m-%d")
    return column.to_pylist()


def write_sqlite(path: Path, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Replace the database file with these tables, in one transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = sqlite3.connect(partial)
    try:
        for name, rows in tables.items():
            fields = [f"{f.name} {_sql_type(f.type)}" for f in rows.schema]
            fields[0] += " PRIMARY KEY"
            con.execute(f"CREATE TABLE {name} ({', '.join(fields)})")
            marks = ", ".join("?" * rows.num_columns)
            for batch in rows.to_batches(INSERT_BATCH):
                values = [_values(pa.chunked_array([c])) for c in batch.columns]
                con.executemany(f"INSERT INTO {name} VALUES ({marks})", zip(*values, strict=True))
        con.commit()
    finally:
        con.close()
    partial.replace(path)  # readers see the old database or the new one, never half of it
    return {name: rows.num_rows for name, rows in tables.items()}


def _server_type(kind: pa.DataType, mysql: bool, key: bool) -> str:
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return "DOUBLE" if mysql else "DOUBLE PRECISION"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "DATETIME" if mysql else "TIMESTAMP"
    return "VARCHAR(255)" if mysql and key else "TEXT"


def write_server(url: str, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Replace these tables in a PostgreSQL or MySQL/MariaDB database (created if missing), in
    one transaction on PostgreSQL (MySQL commits each table's DDL)."""
    parts = urlsplit(url)
    database = parts.path.strip("/")
    mysql = parts.scheme in {"mysql", "mariadb"}
    con = _open_server(url, parts, database, mysql)
    marks = "%s"
    try:
        with con.cursor() as cur:
            for name, rows in tables.items():
                fields = [
                    f"{f.name} {_server_type(f.type, mysql, i == 0)}"
                    for i, f in enumerate(rows.schema)
                ]
                cur.execute(f"DROP TABLE IF EXISTS {name}")
                cur.execute(
                    f"CREATE TABLE {name} ({', '.join(fields)}, "
                    f"PRIMARY KEY ({rows.schema[0].name}))"
                )
                sql = f"INSERT INTO {name} VALUES ({', '.join([marks] * rows.num_columns)})"
                for batch in rows.to_batches(INSERT_BATCH):
                    values = [c.to_pylist() for c in batch.columns]
                    cur.executemany(sql, list(zip(*values, strict=True)))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()
    return {name: rows.num_rows for name, rows in tables.items()}


def server_has_tables(url: str, names: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    mysql = parts.scheme in {"mysql", "mariadb"}
    con = _open_server(url, parts, parts.path.strip("/"), mysql)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                + ("DATABASE()" if mysql else "'public'")
            )
            found = {row[0] for row in cur.fetchall()}
    finally:
        con.close()
    return set(names) <= found


def _open_server(url: str, parts: SplitResult, database: str, mysql: bool) -> Any:
    if not database:
        raise ArmazemError(f"{redact_url(url)} names no database", "add /<database> to the URL")
    if mysql:
        import pymysql

        try:
            con = pymysql.connect(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 3306,
                user=unquote(parts.username or "root"),
                password=unquote(parts.password or ""),
                autocommit=False,
            )
        except pymysql.err.OperationalError as exc:
            raise ArmazemError(
                f"cannot reach MySQL/MariaDB at {redact_url(url)}: {exc.args[-1]}",
                f"start it ({START_MARIADB})",
            ) from None
        with con.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
            cur.execute(f"USE `{database}`")
        return con
    import psycopg

    server = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(server, autocommit=True) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{database}"')
        return psycopg.connect(url)
    except psycopg.OperationalError as exc:
        raise ArmazemError(
            f"cannot reach PostgreSQL at {redact_url(url)}: {exc}", f"start it ({START_POSTGRES})"
        ) from None
