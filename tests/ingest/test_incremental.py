"""Incremental loads: after the company moves on, an incremental load gives exactly the
warehouse a full reload gives, and a repeated load changes nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.softcart import SOURCES

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart


def raw_tables(settings: Settings) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(settings.local_file(settings.warehouse_url)), read_only=True)
    try:
        return {
            t.name: con.execute(f"SELECT * FROM raw_{t.source}.{t.table} ORDER BY ALL").fetchall()
            for t in SOURCES
        }
    finally:
        con.close()


def ledger(settings: Settings, column: str) -> dict[str, object]:
    con = duckdb.connect(str(settings.local_file(settings.warehouse_url)), read_only=True)
    try:
        rows = con.execute(
            f"SELECT source || '.' || table_name, {column} FROM _armazem.loads "
            "WHERE load_id = (SELECT max(load_id) FROM _armazem.loads)"
        ).fetchall()
        return dict(rows)
    finally:
        con.close()


@pytest.fixture
def company(settings: Settings) -> Settings:
    small = settings.model_copy(update={"scale": 0.005})
    softcart.create(small)
    return small


def test_incremental_loads_equal_a_full_reload(company: Settings, tmp_path: Path) -> None:
    ingest(company)
    for _ in range(2):
        softcart.advance(company, 2)
        results = {r.table: r for r in ingest(company)}
        assert results["shop.order_lines"].mode == "append"
        assert results["shop.orders"].read < 2_000  # only what changed, not the whole table
    incremental = raw_tables(company)
    fresh = company.model_copy(
        update={
            "warehouse_url": f"duckdb:///{tmp_path}/fresh.duckdb",
            "data_dir": company.data_path,
        }
    )
    ingest(fresh, full_refresh=True)
    assert incremental == raw_tables(fresh)


def test_a_repeated_load_changes_nothing(company: Settings) -> None:
    ingest(company)
    softcart.advance(company, 1)
    ingest(company)
    before = raw_tables(company)
    again = {r.table: r for r in ingest(company)}
    assert raw_tables(company) == before
    assert again["shop.order_lines"].read == 0  # nothing newer than the watermark
    assert again["shop.orders"].read > 0  # the lookback day is read again, and merged


def test_watermarks_move_with_the_data(company: Settings) -> None:
    ingest(company)
    first = ledger(company, "watermark_to")
    softcart.advance(company, 1)
    ingest(company)
    second = ledger(company, "watermark_to")
    assert int(second["shop.order_lines"]) > int(first["shop.order_lines"])
    assert second["shop.orders"] > first["shop.orders"]
    assert second["weblogs.access_log"] == "access-2022-01-01.log"
    assert ledger(company, "watermark_from")["shop.order_lines"] == first["shop.order_lines"]


def test_deleted_source_rows_leave_the_warehouse(company: Settings) -> None:
    ingest(company)
    shop = company.local_file(company.oltp_url)
    con = __import__("sqlite3").connect(shop)
    con.execute("DELETE FROM products WHERE product_id IN (1, 2)")
    con.commit()
    con.close()
    results = {r.table: r for r in ingest(company, ["shop.products"])}
    assert results["shop.products"].deleted == 2
    remaining = {row[0] for row in raw_tables(company)["shop.products"]}
    assert not {1, 2} & remaining
