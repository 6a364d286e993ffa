"""The sources the platform ingests, one entry per table: where it comes from, how to read it,
and its contract. Adding a source or a table is adding an entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from armazem.errors import ArmazemError
from armazem.ingest import files, mongodb, sql
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract
from armazem.settings import Settings
from armazem.simulate.softcart import files as softcart_files
from armazem.simulate.softcart.store import SCHEMA as SHOP_SCHEMA
from armazem.warehouse.plan import Mode

# The shop database's logical column types (see simulate/softcart/store.py) as warehouse types.
_WAREHOUSE_TYPES = {"id": "INTEGER", "bigid": "BIGINT", "int": "INTEGER",
                    "money": "DECIMAL(10,2)", "ts": "TIMESTAMP", "text": "VARCHAR"}  # fmt: skip
_SHOP_RULES: dict[str, dict[str, str]] = {
    "customers": {"segment is not consumer or business": "segment IN ('consumer', 'business')"},
    "products": {"price is negative": "price >= 0"},
    "price_history": {"price is negative": "price >= 0"},
    "inventory": {"quantity_on_hand is negative": "quantity_on_hand >= 0"},
    "orders": {"status is not completed or cancelled": "status IN ('completed', 'cancelled')"},
    "order_lines": {"quantity is not positive": "quantity > 0",
                    "unit_price is missing or negative": "unit_price >= 0"},
}  # fmt: skip
_ORIGIN = {"source_file": "VARCHAR", "row_number": "BIGINT"}


@dataclass(frozen=True)
class SourceTable:
    """One table to ingest. `read(settings, since)` streams its rows; `since` is None for a full
    read, else the lower bound (the watermark less the lookback) of the `cursor` column.

    Modes: `full` replaces the table; `append` adds rows whose key is new; `merge` upserts on
    the key. `lookback` (in cursor units: seconds for a timestamp, values for a number) re-reads
    recent rows to catch late commits; merging makes the re-read harmless. Deletes come from a
    `soft_delete` boolean column, or, for small tables, from `read_keys` (the source's key set).
    """

    source: str
    table: str
    contract: Contract
    read: Callable[[Settings, str | None], Reader]
    mode: Mode = "full"
    cursor: str | None = None
    lookback: int = 0
    soft_delete: str | None = None
    read_keys: Callable[[Settings], Reader] | None = None

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"


DAY = 86_400


def _shop_table(
    table: str,
    mode: Mode = "full",
    cursor: str | None = None,
    lookback: int = 0,
    partition: bool = False,
    detect_deletes: bool = False,
) -> SourceTable:
    columns = {name: _WAREHOUSE_TYPES[kind] for name, kind, _ in SHOP_SCHEMA[table]}
    required = tuple(name for name, _, nullable in SHOP_SCHEMA[table] if not nullable)
    key = (SHOP_SCHEMA[table][0][0],)

    def url(settings: Settings) -> str:
        return sql.connectorx_url(settings.oltp_url, settings.local_file(settings.oltp_url))

    def read(settings: Settings, since: str | None) -> Reader:
        where = None
        if since is not None and cursor is not None:
            where = f"{cursor} > {sql_literal(since, columns[cursor])}"
        # Every column, not only the contract's: a column the source adds evolves the table.
        return sql.read_table(
            url(settings), table, ["*"], key, settings.batch_size, where,
            partition_on=key[0] if partition else None, partitions=settings.read_partitions,
        )  # fmt: skip

    def read_keys(settings: Settings) -> Reader:
        return sql.read_column(url(settings), table, key, settings.batch_size)

    contract = Contract(columns, key, required, _SHOP_RULES.get(table, {}),
                        key_enforced_by_source=True)  # fmt: skip
    return SourceTable("shop", table, contract, read, mode, cursor, lookback,
                       read_keys=read_keys if detect_deletes else None)  # fmt: skip


def sql_literal(value: str, kind: str) -> str:
    """A cursor value as a SQL literal of its column's type."""
    if kind in {"INTEGER", "BIGINT", "SMALLINT"}:
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _read_catalog(settings: Settings, since: str | None) -> Reader:
    """From MongoDB when the settings name a server, else from the JSON-lines export."""
    fields = {"_id": "document_id", "product_id": "product_id", "type": "product_type",
              "model": "model", "screen size": "screen_size"}  # fmt: skip
    if settings.mongodb_url:
        database, collection = softcart_files.CATALOG_COLLECTION
        return mongodb.read_collection(settings.mongodb_url, database, collection, fields,
                                       "attributes", settings.batch_size)  # fmt: skip
    paths = [settings.sources_path / softcart_files.CATALOG_FILE]
    return files.read_documents(paths, fields, rest="attributes", batch_size=settings.batch_size)


def _read_weblogs(settings: Settings, since: str | None) -> Reader:
    folder = settings.sources_path / softcart_files.WEBLOG_DIR
    return files.read_access_logs(files.matching(folder, "*.log", since), settings.batch_size)


def _read_searchterms(settings: Settings, since: str | None) -> Reader:
    folder = settings.sources_path / softcart_files.SEARCH_DIR
    columns = ["day", "month", "year", "searchterm"]
    return files.read_csv(files.matching(folder, "*.csv", since), columns, header=True)


SOURCES: tuple[SourceTable, ...] = (
    _shop_table("countries"),
    _shop_table("categories"),
    _shop_table("customers", "merge", "updated_at"),
    _shop_table("products", "merge", "updated_at", detect_deletes=True),
    _shop_table("price_history", "append", "price_id"),
    _shop_table("inventory", "merge", "updated_at", detect_deletes=True),
    _shop_table("orders", "merge", "updated_at", lookback=DAY),
    _shop_table("order_lines", "append", "order_line_id", partition=True),
    SourceTable(
        "catalog", "products",
        Contract({"document_id": "VARCHAR", "product_id": "INTEGER", "product_type": "VARCHAR",
                  "model": "VARCHAR", "screen_size": "DOUBLE", "attributes": "VARCHAR"},
                 key=("document_id",), required=("product_id", "product_type")),
        _read_catalog,
    ),
    # Log and search files are immutable once a day is over: a file is read again only while it
    # is the newest (files from `since` on), and (file, row) keys make the re-read harmless.
    SourceTable(
        "weblogs", "access_log",
        Contract({"source_file": "VARCHAR", "row_number": "BIGINT", "ip": "VARCHAR",
                  "time": "TIMESTAMP", "method": "VARCHAR", "path": "VARCHAR",
                  "protocol": "VARCHAR", "status": "SMALLINT", "bytes": "BIGINT",
                  "referrer": "VARCHAR", "user_agent": "VARCHAR"},
                 key=("source_file", "row_number"), required=("ip", "time", "status")),
        _read_weblogs, "append", "source_file",
    ),
    SourceTable(
        "searchterms", "searches",
        Contract({**_ORIGIN, "day": "INTEGER", "month": "INTEGER", "year": "INTEGER",
                  "searchterm": "VARCHAR"},
                 key=("source_file", "row_number"), required=("day", "month", "year", "searchterm"),
                 rules={"not a real date": "try(make_date(year, month, day)) IS NOT NULL"}),
        _read_searchterms, "append", "source_file",
    ),
)  # fmt: skip


def select(names: list[str] | None) -> list[SourceTable]:
    """Tables chosen by `source` or `source.table` names; all of them when none are given."""
    if not names:
        return list(SOURCES)
    chosen = [t for t in SOURCES if t.source in names or t.name in names]
    known = {t.source for t in SOURCES} | {t.name for t in SOURCES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ArmazemError(
            f"unknown source or table {unknown[0]!r}",
            f"use one of {', '.join(sorted({t.source for t in SOURCES}))} or SOURCE.TABLE",
        )
    return chosen
