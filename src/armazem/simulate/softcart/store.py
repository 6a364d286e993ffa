"""The shop database as SoftCart runs it: a schema designed for MySQL, stored in MySQL/MariaDB
(services profile) or in a SQLite file (embedded profile), written and changed through DB-API.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from armazem.errors import START_MARIADB, ArmazemError
from armazem.settings import redact_url

# Logical column types, and how each dialect spells them.
_TYPES = {
    "id": ("INTEGER", "INT"),
    "bigid": ("INTEGER", "BIGINT"),
    "int": ("INTEGER", "INT"),
    "money": ("REAL", "DECIMAL(10,2)"),  # SQLite has no decimal; ConnectorX reads REAL as double
    "ts": ("DATETIME", "DATETIME"),
    "text": ("TEXT", "VARCHAR(160)"),
}

# table -> (column, logical type, nullable), primary key first.
SCHEMA: dict[str, list[tuple[str, str, bool]]] = {
    "countries": [("country_id", "id", False), ("name", "text", False), ("region", "text", False)],
    "categories": [("category_id", "id", False), ("name", "text", False)],
    "customers": [
        ("customer_id", "id", False), ("email", "text", True), ("first_name", "text", True),
        ("last_name", "text", True), ("country_id", "id", False), ("segment", "text", False),
        ("created_at", "ts", False), ("updated_at", "ts", False),
    ],
    "products": [
        ("product_id", "id", False), ("sku", "text", False), ("item", "text", False),
        ("product_type", "text", False), ("model", "text", False), ("category_id", "id", False),
        ("price", "money", False), ("created_at", "ts", False), ("updated_at", "ts", False),
    ],
    "price_history": [
        ("price_id", "bigid", False), ("product_id", "id", False), ("price", "money", False),
        ("valid_from", "ts", False),
    ],
    "inventory": [
        ("product_id", "id", False), ("quantity_on_hand", "int", False),
        ("updated_at", "ts", False),
    ],
    "orders": [
        ("order_id", "bigid", False), ("customer_id", "id", False), ("ordered_at", "ts", False),
        ("status", "text", False), ("updated_at", "ts", False),
    ],
    "order_lines": [
        ("order_line_id", "bigid", False), ("order_id", "bigid", False),
        ("product_id", "id", False), ("quantity", "int", True), ("unit_price", "money", True),
        ("created_at", "ts", False),
    ],
}  # fmt: skip
INDEXES = {"orders": ["ordered_at", "updated_at"], "order_lines": ["order_id", "created_at"],
           "customers": ["updated_at"], "products": ["updated_at"]}  # fmt: skip
INSERT_BATCH = 50_000


class Connection(Protocol):
    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class ShopDatabase:
    """One SoftCart shop database, whatever engine holds it."""

    def __init__(self, url: str, sqlite_path: Path | None) -> None:
        self.url = url
        self.sqlite_path = sqlite_path
        self.dialect = 0 if sqlite_path else 1
        self.placeholder = "?" if sqlite_path else "%s"

    def exists(self) -> bool:
        if self.sqlite_path is not None and not self.sqlite_path.exists():
            return False
        with self.connect() as con:
            return "orders" in self._tables(con)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        con = self._open()
        try:
            yield con
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            con.close()

    def create(self, tables: dict[str, pa.Table]) -> dict[str, int]:
        """Replace the whole database with these tables, in one transaction where possible."""
        written = {}
        with self.connect() as con:
            cur = con.cursor()
            for name in SCHEMA:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
                cur.execute(self._ddl(name))
                for column in INDEXES.get(name, []):
                    cur.execute(f"CREATE INDEX ix_{name}_{column} ON {name} ({column})")
                written[name] = self._insert(cur, name, tables[name])
        return written

    def append(self, con: Connection, name: str, table: pa.Table) -> int:
        return self._insert(con.cursor(), name, table)

    def execute_many(self, con: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            con.cursor().executemany(sql.replace("?", self.placeholder), rows)

    def query(self, con: Connection, sql: str) -> list[tuple[Any, ...]]:
        cur = con.cursor()
        cur.execute(sql)
        return list(cur.fetchall())

    def _insert(self, cur: Any, name: str, table: pa.Table) -> int:
        columns = [c for c, _, _ in SCHEMA[name]]
        table = table.select(columns)
        sql = (
            f"INSERT INTO {name} ({', '.join(columns)}) "
            f"VALUES ({', '.join([self.placeholder] * len(columns))})"
        )
        for batch in table.to_batches(INSERT_BATCH):
            values = [_db_values(batch.column(i)) for i in range(batch.num_columns)]
            cur.executemany(sql, list(zip(*values, strict=True)))
        return table.num_rows

    def _ddl(self, name: str) -> str:
        columns = [
            f"{c} {_TYPES[t][self.dialect]}{'' if nullable else ' NOT NULL'}"
            for c, t, nullable in SCHEMA[name]
        ]
        suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" if self.dialect else ""
        key = SCHEMA[name][0][0]
        return f"CREATE TABLE {name} ({', '.join(columns)}, PRIMARY KEY ({key})){suffix}"

    def _tables(self, con: Connection) -> set[str]:
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            if self.sqlite_path
            else "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        return {row[0] for row in self.query(con, sql)}

    def _open(self) -> Connection:
        if self.sqlite_path is not None:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return sqlite3.connect(self.sqlite_path)
        return _open_mysql(self.url)


def _db_values(column: pa.Array) -> list[Any]:
    """Python values a DB-API driver accepts: timestamps as text, everything else as is."""
    if pa.types.is_timestamp(column.type):
        column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    return column.to_pylist()


def _open_mysql(url: str) -> Connection:
    import pymysql

    parts = urlsplit(url)
    database = parts.path.strip("/")
    if not database:
        raise ArmazemError(
            f"shop database URL {redact_url(url)} names no database", "add /softcart"
        )
    kwargs = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "autocommit": False,
    }
    try:
        con = pymysql.connect(**kwargs)
    except pymysql.err.OperationalError as exc:
        raise ArmazemError(
            f"cannot reach MySQL/MariaDB at {redact_url(url)}: {exc.args[-1]}",
            f"start it ({START_MARIADB}) or set ARMAZEM_OLTP_URL",
        ) from None
    with con.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        cur.execute(f"USE `{database}`")
    return con
