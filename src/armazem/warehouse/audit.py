"""Reconciliation checks run on the freshly built `staging` marts before they may be published.

dbt's tests check each model on its own; these check the marts against the raw data they came
from: nothing lost or invented between the source and the facts, and every fact row pointing at
a dimension row. Each check is one portable SQL query returning the offending rows, so a failure
can show a few of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

BUILD = "staging"
SAMPLE = 5


@dataclass(frozen=True)
class Check:
    name: str
    offending: str  # SQL returning the rows that break the check (none when it holds)


@dataclass(frozen=True)
class Failure:
    check: str
    count: int
    sample: list[tuple[Any, ...]]

    def __str__(self) -> str:
        rows = "; ".join(str(row) for row in self.sample)
        return f"{self.check}: {self.count} offending row(s), e.g. {rows}"


class Queryable(Protocol):
    def query(self, sql: str) -> list[tuple[Any, ...]]: ...


def _resolves(fact: str, column: str, dimension: str, key: str) -> Check:
    return Check(
        f"every {fact}.{column} resolves to {dimension}",
        f"SELECT f.{column}, count(*) FROM {BUILD}.{fact} f "
        f"WHERE f.{column} IS NULL OR NOT EXISTS "
        f"(SELECT 1 FROM {BUILD}.{dimension} d WHERE d.{key} = f.{column}) GROUP BY f.{column}",
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "fct_sales has one row per raw order line",
        f"""SELECT 'raw order lines' AS side, count(*) FROM raw_shop.order_lines
            HAVING count(*) <> (SELECT count(*) FROM {BUILD}.fct_sales)
            UNION ALL
            SELECT 'fct_sales', count(*) FROM {BUILD}.fct_sales
            HAVING count(*) <> (SELECT count(*) FROM raw_shop.order_lines)""",
    ),
    Check(
        "fct_sales revenue equals the raw order lines' revenue",
        f"""SELECT r.revenue AS raw_revenue, f.revenue AS fct_revenue
            FROM (SELECT coalesce(sum(quantity * unit_price), 0) AS revenue
                  FROM raw_shop.order_lines) r,
                 (SELECT coalesce(sum(amount), 0) AS revenue FROM {BUILD}.fct_sales) f
            WHERE r.revenue <> f.revenue""",
    ),
    Check(
        "every order line belongs to a raw order",
        "SELECT l.order_line_id, l.order_id FROM raw_shop.order_lines l "
        "WHERE NOT EXISTS (SELECT 1 FROM raw_shop.orders o WHERE o.order_id = l.order_id)",
    ),
    _resolves("fct_sales", "product_id", "dim_product", "product_id"),
    _resolves("fct_sales", "customer_id", "dim_customer", "customer_id"),
    _resolves("fct_sales", "date_key", "dim_date", "date_key"),
    _resolves("fct_sales", "country_id", "dim_country", "country_id"),
    _resolves("fct_sales", "category_id", "dim_category", "category_id"),
    _resolves("fct_sales", "customer_key", "dim_customer", "customer_key"),
    _resolves("fct_sales", "product_key", "dim_product_price", "product_key"),
    _resolves("fct_web_requests", "date_key", "dim_date", "date_key"),
    _resolves("fct_inventory_daily", "product_id", "dim_product", "product_id"),
    _resolves("fct_inventory_daily", "date_key", "dim_date", "date_key"),
    _resolves("fct_search_terms", "date_key", "dim_date", "date_key"),
)


def audit(warehouse: Queryable, checks: tuple[Check, ...] = CHECKS) -> list[Failure]:
    """Every check that fails, with its count and a few offending rows."""
    failures = []
    for check in checks:
        rows = warehouse.query(check.offending)
        if rows:
            failures.append(Failure(check.name, len(rows), rows[:SAMPLE]))
    return failures
