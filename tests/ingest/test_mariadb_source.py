"""The services profile's shop database: the same company in MariaDB as in SQLite."""

from __future__ import annotations

import duckdb
import pytest

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart


@pytest.mark.services
def test_the_same_company_in_mariadb_and_sqlite_loads_the_same_rows(
    settings: Settings, mariadb_database: str
) -> None:
    embedded = settings.model_copy(update={"scale": 0.002})
    services = embedded.model_copy(
        update={"oltp_url": mariadb_database, "data_dir": embedded.data_path / "services"}
    )
    for s in (embedded, services):
        softcart.create(s)
        softcart.advance(s, 1)
        ingest(s, ["shop"])
    for table in ("customers", "orders", "order_lines", "products", "price_history"):
        (a,), (b,) = (
            duckdb.connect(str(s.local_file(s.warehouse_url)), read_only=True)
            .execute(f"SELECT list(t ORDER BY t) FROM raw_shop.{table} t")
            .fetchall()
            for s in (embedded, services)
        )
        assert a == b, table
