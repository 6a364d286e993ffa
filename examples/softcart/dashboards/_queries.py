"""The SQL of SoftCart's pages (Sales, Catalog, Web traffic), in one place: when the marts
change, this module changes and the pages do not. `armazem capstone dashboard` runs the Sales
queries too, on the capstone's data set.

Rules the statements keep:

- Aggregate in SQL and return small results: a page never pulls fact rows into Python.
- Money stays DECIMAL end to end (Python `Decimal`); it is rounded only where it is displayed.
- Portable SQL for DuckDB and PostgreSQL: `$name` parameters, `CAST(... AS ...)`, `FILTER`.
- Dimension lookups are grouped by their id, so a slowly changing dimension with several
  versions of a row never multiplies the facts it is joined to.
- Only completed orders count as sales (fct_sales.is_cancelled is false), as in the reports.

Sales queries work on a *data set*: `production` (fct_sales and its dimensions) or `capstone`
(the capstone's raw_capstone.ecommerce). Both are turned into the same relation, so the Sales
page and `armazem capstone dashboard` run the very same queries on either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from armazem.dashboard.db import Reader, Rows
from armazem.dashboard.queries import date_key, key_date, table_columns
from armazem.errors import ArmazemError

DATASETS = ("production", "capstone")  # as armazem.toml declares them
CAPSTONE_TABLE = ("raw_capstone", "ecommerce")
CAPSTONE_ITEM = "Mobile"  # the capstone asks for the quarterly sales of mobile phones
DEFAULT_ITEM = {"capstone": CAPSTONE_ITEM}  # else the best seller

# Marts each page needs, to say "not built yet" before running anything.
SALES_MARTS = ("fct_sales", "dim_date", "dim_country", "dim_category", "dim_product")
CATALOG_MARTS = ("dim_product",)
INVENTORY_MART = "fct_inventory_daily"
WEB_MARTS = ("fct_web_requests",)
VISITS_MART = "rpt_web_daily"  # from the Spark web-analytics job
FORECAST_MART = "rpt_sales_forecast"  # from the Spark ML forecast


# --- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesFilter:
    """The Sales page's filters. `end` is inclusive; empty tuples mean "all"."""

    start: date
    end: date
    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def previous(self) -> SalesFilter:
        """The period of equal length just before this one, with the same other filters."""
        days = (self.end - self.start).days + 1
        return replace(self, start=self.start - timedelta(days), end=self.start - timedelta(1))


@dataclass(frozen=True)
class Kpis:
    revenue: Decimal
    orders: int
    previous_revenue: Decimal
    previous_orders: int

    @property
    def average_order(self) -> Decimal | None:
        return self.revenue / self.orders if self.orders else None

    @property
    def previous_average_order(self) -> Decimal | None:
        return self.previous_revenue / self.previous_orders if self.previous_orders else None


# --- the sales relation -------------------------------------------------------------------------


def _sales_relation(reader: Reader, dataset: str) -> str:
    """One row per sale with: date_key, year, quarter, month, order_ref, country, category,
    item, amount."""
    if dataset == "production":
        m = reader.marts
        return f"""
            SELECT f.date_key, d.year, d.quarter, d.month, f.order_id AS order_ref,
                   co.country, ca.category, p.item, f.amount
            FROM {m}.fct_sales AS f
            JOIN {m}.dim_date AS d ON d.date_key = f.date_key
            LEFT JOIN (SELECT country_id, min(country) AS country
                       FROM {m}.dim_country GROUP BY country_id) AS co
                   ON co.country_id = f.country_id
            LEFT JOIN (SELECT category_id, min(category) AS category
                       FROM {m}.dim_category GROUP BY category_id) AS ca
                   ON ca.category_id = f.category_id
            LEFT JOIN (SELECT product_id, min(item) AS item
                       FROM {m}.dim_product GROUP BY product_id) AS p
                   ON p.product_id = f.product_id
            WHERE NOT f.is_cancelled"""
    if dataset == "capstone":
        schema, table = CAPSTONE_TABLE
        # Each CSV row is one sale: its (file, row) is its order reference.
        return f"""
            SELECT year * 10000 + month * 100 + day AS date_key, year, quarter, month,
                   source_file || ':' || CAST(row_number AS VARCHAR(20)) AS order_ref,
                   CAST(NULL AS VARCHAR(64)) AS country, category, item, price AS amount
            FROM {schema}.{table}"""
    raise ArmazemError(f"unknown data set {dataset!r}", f"use one of {', '.join(DATASETS)}")


def _filtered_sales(
    reader: Reader, dataset: str, f: SalesFilter, start: date | None = None
) -> tuple[str, dict[str, Any]]:
    """The sales relation restricted by a filter (from `start` instead of f.start if given)."""
    params: dict[str, Any] = {
        "start_key": date_key(start or f.start),
        "end_key": date_key(f.end),
    }
    conditions = ["date_key BETWEEN $start_key AND $end_key"]
    if f.countries:
        conditions.append(_in_list("country", f.countries, "country", params))
    if f.categories:
        conditions.append(_in_list("category", f.categories, "category", params))
    relation = _sales_relation(reader, dataset)
    return f"(SELECT * FROM ({relation}) AS s WHERE {' AND '.join(conditions)}) AS sales", params


def _in_list(column: str, values: tuple[str, ...], prefix: str, params: dict[str, Any]) -> str:
    names = []
    for index, value in enumerate(values):
        params[f"{prefix}{index}"] = value
        names.append(f"${prefix}{index}")
    return f"{column} IN ({', '.join(names)})"


# --- sales --------------------------------------------------------------------------------------


def sales_date_range(reader: Reader, dataset: str) -> tuple[date, date] | None:
    """The first and last day with a sale; None when there are no sales."""
    if dataset == "production":
        sql = f"SELECT min(date_key), max(date_key) FROM {reader.marts}.fct_sales"
    else:
        sql = f"SELECT min(date_key), max(date_key) FROM ({_sales_relation(reader, dataset)}) AS s"
    low, high = reader.fetch(sql).first() or (None, None)
    return None if low is None else (key_date(int(low)), key_date(int(high)))


def sales_options(reader: Reader, dataset: str) -> dict[str, list[str]]:
    """The values the Sales filters offer: countries and categories."""
    if dataset == "production":
        m = reader.marts
        countries = reader.fetch(f"SELECT DISTINCT country FROM {m}.dim_country ORDER BY 1")
        categories = reader.fetch(f"SELECT DISTINCT category FROM {m}.dim_category ORDER BY 1")
        return {
            "countries": countries.column("country"),
            "categories": categories.column("category"),
        }
    schema, table = CAPSTONE_TABLE
    categories = reader.fetch(f"SELECT DISTINCT category FROM {schema}.{table} ORDER BY 1")
    return {"countries": [], "categories": categories.column("category")}


def kpis(reader: Reader, dataset: str, f: SalesFilter) -> Kpis:
    """Revenue and orders of the period and of the previous period of equal length."""
    previous = f.previous()
    sales, params = _filtered_sales(reader, dataset, f, start=previous.start)
    params["current_key"] = date_key(f.start)
    row = reader.fetch(
        f"""SELECT
              sum(amount) FILTER (WHERE date_key >= $current_key) AS revenue,
              count(DISTINCT order_ref) FILTER (WHERE date_key >= $current_key) AS orders,
              sum(amount) FILTER (WHERE date_key < $current_key) AS previous_revenue,
              count(DISTINCT order_ref) FILTER (WHERE date_key < $current_key) AS previous_orders
            FROM {sales}""",
        params,
    ).first()
    revenue, orders, previous_revenue, previous_orders = row or (None, 0, None, 0)
    return Kpis(
        _money(revenue), int(orders or 0), _money(previous_revenue), int(previous_orders or 0)
    )


def monthly_sales(reader: Reader, dataset: str, f: SalesFilter) -> Rows:
    """year, month, total: one row per month with sales."""
    sales, params = _filtered_sales(reader, dataset, f)
    return reader.fetch(
        f"SELECT year, month, sum(amount) AS total FROM {sales} "
        "GROUP BY year, month ORDER BY year, month",
        params,
    )


def sales_by_category(reader: Reader, dataset: str, f: SalesFilter) -> Rows:
    """category, total, largest first."""
    sales, params = _filtered_sales(reader, dataset, f)
    return reader.fetch(
        f"SELECT category, sum(amount) AS total FROM {sales} "
        "GROUP BY category ORDER BY total DESC, category",
        params,
    )


def items_by_sales(reader: Reader, dataset: str, f: SalesFilter) -> list[str]:
    """The items sold in the filter, best-selling first (the item select box's options)."""
    sales, params = _filtered_sales(reader, dataset, f)
    rows = reader.fetch(
        f"SELECT item, sum(amount) AS total FROM {sales} WHERE item IS NOT NULL "
        "GROUP BY item ORDER BY total DESC, item",
        params,
    )
    return rows.column("item")


def quarterly_item_sales(reader: Reader, dataset: str, f: SalesFilter, item: str) -> Rows:
    """year, quarter, total of one item."""
    sales, params = _filtered_sales(reader, dataset, f)
    params["item"] = item
    return reader.fetch(
        f"SELECT year, quarter, sum(amount) AS total FROM {sales} WHERE item = $item "
        "GROUP BY year, quarter ORDER BY year, quarter",
        params,
    )


def sales_by_country(reader: Reader, dataset: str, f: SalesFilter) -> Rows:
    """country, total, orders, largest first (empty for a data set without countries)."""
    sales, params = _filtered_sales(reader, dataset, f)
    return reader.fetch(
        f"SELECT country, sum(amount) AS total, count(DISTINCT order_ref) AS orders "
        f"FROM {sales} WHERE country IS NOT NULL GROUP BY country ORDER BY total DESC, country",
        params,
    )


def _money(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


# --- catalog ------------------------------------------------------------------------------------


def product_types(reader: Reader) -> Rows:
    """category, product_type, products, models, lowest and highest current price."""
    return reader.fetch(
        f"""SELECT category, product_type, count(DISTINCT product_id) AS products,
                   count(DISTINCT model) AS models,
                   min(current_price) AS lowest_price, max(current_price) AS highest_price
            FROM {reader.marts}.dim_product
            GROUP BY category, product_type ORDER BY category, product_type"""
    )


def screen_sizes(reader: Reader) -> Rows:
    """product_type, screen_size, products: the catalog attribute, for types that have it."""
    return reader.fetch(
        f"""SELECT product_type, screen_size, count(DISTINCT product_id) AS products
            FROM {reader.marts}.dim_product WHERE screen_size IS NOT NULL
            GROUP BY product_type, screen_size ORDER BY product_type, screen_size"""
    )


# The inventory fact is being built; these are the names its columns may take.
_STOCK_DAY_COLUMNS = ("date_key", "snapshot_date_key", "snapshot_date", "date", "day")
_STOCK_QUANTITY_COLUMNS = ("quantity_on_hand", "on_hand", "stock", "quantity")


def stock_levels(reader: Reader) -> tuple[Any, Rows] | str:
    """Stock on hand by product type: each product's latest count in fct_inventory_daily (a
    product is counted on some days only), with the latest day counted; or a sentence saying
    why there is none (not built yet, or columns this page cannot read)."""
    columns = table_columns(reader, reader.marts, INVENTORY_MART)
    if not columns:
        return f"{INVENTORY_MART} is not built yet: stock levels will appear once it is published."
    day = next((c for c in _STOCK_DAY_COLUMNS if c in columns), None)
    quantity = next((c for c in _STOCK_QUANTITY_COLUMNS if c in columns), None)
    if day is None or quantity is None or "product_id" not in columns:
        return (
            f"{INVENTORY_MART} has columns {', '.join(columns)}; this page needs product_id, "
            f"a day column and a quantity column."
        )
    m = reader.marts
    rows = reader.fetch(
        f"""WITH latest AS (
                SELECT product_id, max({day}) AS counted FROM {m}.{INVENTORY_MART}
                GROUP BY product_id),
            stock AS (
                SELECT i.product_id, i.{day} AS counted, i.{quantity} AS on_hand
                FROM {m}.{INVENTORY_MART} AS i
                JOIN latest AS l ON l.product_id = i.product_id AND l.counted = i.{day})
            SELECT coalesce(p.product_type, 'unknown') AS product_type,
                   sum(s.on_hand) AS on_hand, count(*) AS products,
                   count(*) FILTER (WHERE s.on_hand <= 0) AS out_of_stock,
                   max(s.counted) AS latest_count
            FROM stock AS s
            LEFT JOIN (SELECT product_id, min(product_type) AS product_type
                       FROM {m}.dim_product GROUP BY product_id) AS p
                   ON p.product_id = s.product_id
            GROUP BY coalesce(p.product_type, 'unknown')
            ORDER BY on_hand DESC, product_type"""
    )
    if not rows.rows:
        return f"{INVENTORY_MART} has no counts yet."
    latest = max(r[4] for r in rows.rows)
    if day.endswith("key"):
        latest = key_date(int(latest))
    return latest, Rows(rows.columns[:4], [r[:4] for r in rows.rows])


# --- web traffic --------------------------------------------------------------------------------


def web_date_range(reader: Reader) -> tuple[date, date] | None:
    row = reader.fetch(
        f"SELECT min(date_key), max(date_key) FROM {reader.marts}.fct_web_requests"
    ).first()
    return None if not row or row[0] is None else (key_date(int(row[0])), key_date(int(row[1])))


def _web_where(start: date, end: date) -> tuple[str, dict[str, Any]]:
    return "date_key BETWEEN $start_key AND $end_key", {
        "start_key": date_key(start),
        "end_key": date_key(end),
    }


def web_totals(reader: Reader, start: date, end: date) -> Rows:
    """requests, errors, bytes, clients, pages over the period (one row)."""
    where, params = _web_where(start, end)
    return reader.fetch(
        f"""SELECT count(*) AS requests, count(*) FILTER (WHERE is_error) AS errors,
                   coalesce(sum(bytes), 0) AS bytes, count(DISTINCT ip) AS clients,
                   count(DISTINCT path) AS pages
            FROM {reader.marts}.fct_web_requests WHERE {where}""",
        params,
    )


def requests_per_day(reader: Reader, start: date, end: date) -> Rows:
    """date_key, requests, errors, bytes per day."""
    where, params = _web_where(start, end)
    return reader.fetch(
        f"""SELECT date_key, count(*) AS requests, count(*) FILTER (WHERE is_error) AS errors,
                   coalesce(sum(bytes), 0) AS bytes
            FROM {reader.marts}.fct_web_requests WHERE {where}
            GROUP BY date_key ORDER BY date_key""",
        params,
    )


def status_codes(reader: Reader, start: date, end: date) -> Rows:
    where, params = _web_where(start, end)
    return reader.fetch(
        f"SELECT status, count(*) AS requests FROM {reader.marts}.fct_web_requests "
        f"WHERE {where} GROUP BY status ORDER BY status",
        params,
    )


def top_pages(reader: Reader, start: date, end: date, limit: int = 15) -> Rows:
    where, params = _web_where(start, end)
    params["limit"] = limit
    return reader.fetch(
        f"""SELECT path, count(*) AS requests, coalesce(sum(bytes), 0) AS bytes
            FROM {reader.marts}.fct_web_requests WHERE {where}
            GROUP BY path ORDER BY requests DESC, path LIMIT $limit""",
        params,
    )


def top_clients(reader: Reader, start: date, end: date, limit: int = 15) -> Rows:
    where, params = _web_where(start, end)
    params["limit"] = limit
    return reader.fetch(
        f"""SELECT ip, count(*) AS requests, count(*) FILTER (WHERE is_error) AS errors,
                   coalesce(sum(bytes), 0) AS bytes
            FROM {reader.marts}.fct_web_requests WHERE {where}
            GROUP BY ip ORDER BY requests DESC, ip LIMIT $limit""",
        params,
    )


def visit_totals(reader: Reader, start: date, end: date) -> tuple[int, Any, Any] | None:
    """Visits started in the period, pages per visit and bounce rate (weighted by visits); None
    when the Spark job's mart is not published."""
    if not table_columns(reader, reader.marts, VISITS_MART):
        return None
    where, params = _web_where(start, end)
    row = reader.fetch(
        f"""SELECT coalesce(sum(sessions), 0),
                   sum(pages_per_session * sessions) / nullif(sum(sessions), 0),
                   sum(bounce_rate * sessions) / nullif(sum(sessions), 0)
            FROM {reader.marts}.{VISITS_MART} WHERE {where}""",
        params,
    ).first()
    return None if row is None else (int(row[0]), row[1], row[2])


def forecast_categories(reader: Reader) -> list[str]:
    """The categories with a forecast; none when the forecast mart is not published."""
    if not table_columns(reader, reader.marts, FORECAST_MART):
        return []
    rows = reader.fetch(f"SELECT DISTINCT category FROM {reader.marts}.{FORECAST_MART} ORDER BY 1")
    return rows.column("category")


def sales_forecast(reader: Reader, category: str) -> Rows:
    """month, actual, predicted, lower, upper, is_forecast, holdout_mape of one category."""
    return reader.fetch(
        f"""SELECT month, actual, predicted, lower, upper, is_forecast, holdout_mape
            FROM {reader.marts}.{FORECAST_MART} WHERE category = $category ORDER BY month""",
        {"category": category},
    )
