from __future__ import annotations

import duckdb
import pytest
from tests.softcart import SOURCES

from armazem.errors import ArmazemError
from armazem.ingest.pipeline import ingest
from armazem.settings import Settings


@pytest.fixture(scope="module")
def loaded(small_company: Settings):
    """The small company ingested into its warehouse and lake."""
    results = ingest(small_company)
    path = small_company.local_file(small_company.warehouse_url)
    con = duckdb.connect(str(path), read_only=True)
    yield small_company, results, con
    con.close()


def test_every_source_table_is_loaded_and_counts_reconcile(loaded) -> None:
    _, results, con = loaded
    assert {r.table for r in results} >= {"shop.orders", "shop.order_lines", "catalog.products",
                                          "weblogs.access_log", "searchterms.searches"}  # fmt: skip
    for r in results:
        assert r.read == r.loaded + r.quarantined, r.table
        schema, table = f"raw_{r.table}".split(".")
        assert con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0] == r.loaded
        ledger = con.execute(
            "SELECT rows_read, rows_loaded, rows_quarantined FROM _armazem.loads "
            "WHERE source || '.' || table_name = ?", [r.table]
        ).fetchone()  # fmt: skip
        assert ledger == (r.read, r.loaded, r.quarantined)


def test_dirty_records_are_in_quarantine_with_their_reasons(loaded) -> None:
    _, results, con = loaded
    reasons = dict(con.execute(
        "SELECT reason, count(*) FROM _armazem.quarantine WHERE table_name = 'order_lines' "
        "GROUP BY reason").fetchall())  # fmt: skip
    assert reasons == {"quantity is not positive": 4, "unit_price is missing or negative": 2}
    log_reasons = con.execute(
        "SELECT reason FROM _armazem.quarantine WHERE source = 'weblogs'"
    ).fetchall()
    assert len(log_reasons) == 6
    assert all("not a combined-format log line" in r for (r,) in log_reasons)
    bad_lines = next(r for r in results if r.table == "shop.order_lines")
    assert bad_lines.quarantined == 6


def test_raw_tables_have_the_contract_types(loaded) -> None:
    _, _, con = loaded
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw_shop' AND table_name = 'order_lines' "
        "ORDER BY ordinal_position").fetchall())  # fmt: skip
    contract = next(t.contract for t in SOURCES if t.name == "shop.order_lines")
    assert list(types) == list(contract.columns)  # no more, no fewer, in the contract's order
    assert types["unit_price"] == "DECIMAL(10,2)"
    assert types["created_at"] == "TIMESTAMP"
    assert types["order_line_id"] == "BIGINT"


def test_the_lake_holds_each_load_with_a_manifest(loaded) -> None:
    settings, results, _ = loaded
    load_id = results[0].load_id
    folder = settings.lake_path / "raw" / "shop" / "order_lines" / f"load_id={load_id}"
    assert (folder / "part-0.parquet").exists()
    assert (folder / "quarantine.parquet").exists()
    assert (folder / "_manifest.json").exists()


def test_a_missing_source_is_a_user_error(settings: Settings) -> None:
    with pytest.raises(ArmazemError, match="armazem simulate"):
        ingest(settings, ["shop"])
