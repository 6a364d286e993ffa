"""Schema drift: a new source column evolves the warehouse table, a vanished column stops the
table with a clear message (or quarantines, by policy), a wrong type quarantines or stops."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import duckdb
import pyarrow as pa
import pytest

from armazem.errors import ArmazemError
from armazem.ingest.contracts import Contract, ContractError, Validator
from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart


@pytest.fixture
def company(settings: Settings) -> Settings:
    small = settings.model_copy(update={"scale": 0.002})
    softcart.create(small)
    ingest(small, ["shop.customers"])
    return small


def shop(settings: Settings, sql: str) -> None:
    con = sqlite3.connect(settings.local_file(settings.oltp_url))
    con.executescript(sql)
    con.close()


def test_a_new_source_column_evolves_the_warehouse_table(company: Settings) -> None:
    shop(company, "ALTER TABLE customers ADD COLUMN loyalty_tier TEXT;"
                  "UPDATE customers SET loyalty_tier = 'gold', updated_at = '2030-01-01 00:00:00'"
                  " WHERE customer_id = 1;")  # fmt: skip
    ingest(company, ["shop.customers"])
    con = duckdb.connect(str(company.local_file(company.warehouse_url)), read_only=True)
    tiers = dict(con.execute("SELECT customer_id, loyalty_tier FROM raw_shop.customers "
                             "WHERE customer_id IN (1, 2)").fetchall())  # fmt: skip
    con.close()
    assert tiers == {1: "gold", 2: None}  # rows loaded before the column existed keep NULL


def test_a_vanished_column_stops_the_table_with_a_clear_message(company: Settings) -> None:
    shop(company, "ALTER TABLE customers DROP COLUMN segment;")
    with pytest.raises(ArmazemError) as caught:
        ingest(company, ["shop.customers"])
    assert "shop.customers stopped: column 'segment' is missing from the source" in str(
        caught.value
    )
    assert "drift policy" in caught.value.fix


def test_policies_ignore_stop_and_quarantine() -> None:
    base = Contract({"id": "INTEGER", "name": "VARCHAR"}, key=("id",))
    schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("extra", pa.float64())])
    assert base.settle(schema).columns == {"id": "INTEGER", "name": "VARCHAR", "extra": "DOUBLE"}
    assert replace(base, on_new_column="ignore").settle(schema).columns == base.columns
    with pytest.raises(ContractError, match="new column 'extra'"):
        replace(base, on_new_column="stop").settle(schema)

    lenient = replace(base, on_missing_column="quarantine")
    validator = Validator(lenient)
    good, bad = validator.split(pa.table({"id": [1, 2]}))
    assert good.num_rows == 0
    assert bad.column("reason").to_pylist() == ["column 'name' is missing from the source"] * 2

    strict = Validator(replace(base, on_bad_type="stop"))
    with pytest.raises(ContractError, match="id: value is not a valid INTEGER"):
        strict.split(pa.table({"id": ["1", "x"], "name": ["a", "b"]}))
