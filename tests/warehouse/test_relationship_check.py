"""A relationship check finds every fact row whose key is missing or resolves to no dimension
row, counted per key, and nothing else (a dimension with several versions of a key included)."""

from __future__ import annotations

from typing import Any

import duckdb

from armazem.warehouse.audit import audit, relationship_check


class Warehouse:
    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("CREATE SCHEMA staging")
        self.con.execute("CREATE TABLE staging.dim_customer (customer_id INTEGER, version INT)")
        self.con.execute("INSERT INTO staging.dim_customer VALUES (1, 1), (2, 1), (2, 2)")
        self.con.execute("CREATE TABLE staging.fct_sales (customer_id INTEGER)")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()


def test_missing_and_unknown_keys_are_the_offending_rows() -> None:
    warehouse = Warehouse()
    check = relationship_check("fct_sales", "customer_id", "dim_customer", "customer_id")
    warehouse.con.execute("INSERT INTO staging.fct_sales VALUES (1), (2), (2), (1)")
    assert audit(warehouse, (check,)) == []
    warehouse.con.execute("INSERT INTO staging.fct_sales VALUES (NULL), (9), (9), (2)")
    (failure,) = audit(warehouse, (check,))
    assert failure.count == 2
    assert sorted(failure.sample, key=str) == [(9, 2), (None, 1)]
