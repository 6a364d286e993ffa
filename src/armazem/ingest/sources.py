"""The sources the platform ingests, one entry per table: where it comes from, how to read it,
and its contract. Adding a source or a table is adding an entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from armazem.ingest import files, sql
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract
from armazem.settings import Settings
from armazem.simulate.softcart import files as softcart_files
from armazem.simulate.softcart.store import SCHEMA as SHOP_SCHEMA

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
    source: str
    table: str
    contract: Contract
    read: Callable[[Settings], Reader]

    @property
    def name(self) -> str:
        return f"{self.source}.{self.table}"


def _shop_table(table: str) -> SourceTable:
    columns = {name: _WAREHOUSE_TYPES[kind] for name, kind, _ in SHOP_SCHEMA[table]}
    required = tuple(name for name, _, nullable in SHOP_SCHEMA[table] if not nullable)
    key = (SHOP_SCHEMA[table][0][0],)

    def read(settings: Settings) -> Reader:
        url = sql.connectorx_url(settings.oltp_url, settings.local_file(settings.oltp_url))
        return sql.read_table(url, table, columns, key, settings.batch_size)

    return SourceTable(
        "shop", table, Contract(columns, key, required, _SHOP_RULES.get(table, {})), read
    )


def _read_catalog(settings: Settings) -> Reader:
    paths = [settings.sources_path / softcart_files.CATALOG_FILE]
    fields = {"_id": "document_id", "product_id": "product_id", "type": "product_type",
              "model": "model", "screen size": "screen_size"}  # fmt: skip
    return files.read_documents(paths, fields, rest="attributes", batch_size=settings.batch_size)


def _read_weblogs(settings: Settings) -> Reader:
    folder = settings.sources_path / softcart_files.WEBLOG_DIR
    return files.read_access_logs(files.matching(folder, "*.log"), settings.batch_size)


def _read_searchterms(settings: Settings) -> Reader:
    folder = settings.sources_path / softcart_files.SEARCH_DIR
    columns = ["day", "month", "year", "searchterm"]
    return files.read_csv(files.matching(folder, "*.csv"), columns, header=True)


SOURCES: tuple[SourceTable, ...] = (
    *(_shop_table(table) for table in SHOP_SCHEMA),
    SourceTable(
        "catalog", "products",
        Contract({"document_id": "VARCHAR", "product_id": "INTEGER", "product_type": "VARCHAR",
                  "model": "VARCHAR", "screen_size": "DOUBLE", "attributes": "VARCHAR"},
                 key=("document_id",), required=("product_id", "product_type")),
        _read_catalog,
    ),
    SourceTable(
        "weblogs", "access_log",
        Contract({"source_file": "VARCHAR", "row_number": "BIGINT", "ip": "VARCHAR",
                  "time": "TIMESTAMP", "method": "VARCHAR", "path": "VARCHAR",
                  "protocol": "VARCHAR", "status": "SMALLINT", "bytes": "BIGINT",
                  "referrer": "VARCHAR", "user_agent": "VARCHAR"},
                 key=("source_file", "row_number"), required=("ip", "time", "status")),
        _read_weblogs,
    ),
    SourceTable(
        "searchterms", "searches",
        Contract({**_ORIGIN, "day": "INTEGER", "month": "INTEGER", "year": "INTEGER",
                  "searchterm": "VARCHAR"},
                 key=("source_file", "row_number"), required=("day", "month", "year", "searchterm"),
                 rules={"not a real date": "try(make_date(year, month, day)) IS NOT NULL"}),
        _read_searchterms,
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
        from armazem.errors import ArmazemError

        raise ArmazemError(
            f"unknown source or table {unknown[0]!r}",
            f"use one of {', '.join(sorted({t.source for t in SOURCES}))} or SOURCE.TABLE",
        )
    return chosen
