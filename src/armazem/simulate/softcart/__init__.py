"""SoftCart, the e-commerce company: its shop database, catalog, web logs and search terms.

`create` writes the company as it stands at the end of its history (2019-2021); `advance` moves it
forward day by day with new orders and the changes a live shop has: customers who move country,
price changes, cancelled orders, late-arriving orders and a few dirty records. Both are
deterministic: the same seed, scale and sequence of calls give the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.simulate.softcart import company, files
from armazem.simulate.softcart.reference import (
    HISTORY_END,
    HISTORY_START,
    MONTH_SEASON,
    WEBLOG_DAYS,
    WEEKDAY_SEASON,
)
from armazem.simulate.softcart.store import ShopDatabase

Progress = Callable[[str, int], None]
HISTORY_DAYS = (HISTORY_END - HISTORY_START).days + 1


def shop_database(settings: Settings) -> ShopDatabase:
    return ShopDatabase(settings.oltp_url, settings.local_file(settings.oltp_url))


def create(settings: Settings, progress: Progress | None = None) -> dict[str, int]:
    """Write the whole company from scratch; returns rows written per table or file set."""
    report = progress or (lambda _name, _rows: None)
    seed, scale = settings.seed, settings.scale
    tables = company.history(seed, scale)
    written = {}
    for name, rows in shop_database(settings).create(tables).items():
        written[f"shop.{name}"] = rows
        report(f"shop.{name}", rows)
    root = settings.sources_path
    _clear_files(root)
    documents = files.catalog_documents(seed, tables["products"])
    written["catalog"] = files.write_catalog(root, documents)
    report("catalog", written["catalog"])
    n_products = tables["products"].num_rows
    requests = 0
    for offset in range(WEBLOG_DAYS - 1, -1, -1):
        day = HISTORY_END - timedelta(days=offset)
        lines = files.access_log_lines(seed, day, scale, n_products)
        requests += files.write_access_log(root, day, lines)
    written["weblogs"] = requests
    report("weblogs", requests)
    searches = files.search_terms(seed, HISTORY_START, HISTORY_END, scale, HISTORY_DAYS)
    written["searchterms"] = files.write_search_terms(root, "history", searches)
    report("searchterms", written["searchterms"])
    return written


def advance(
    settings: Settings, days: int, progress: Progress | None = None
) -> dict[str, int | str]:
    """Move the company forward by whole days; returns what changed, by kind."""
    if days < 1:
        raise ArmazemError(f"--advance {days} moves nothing", "pass a number of days >= 1")
    db = shop_database(settings)
    if not db.exists():
        raise ArmazemError("there is no SoftCart to advance yet", "run `armazem simulate` first")
    report = progress or (lambda _name, _rows: None)
    totals: dict[str, int | str] = {}
    with db.connect() as con:
        today = _current_day(db, con)
    for _ in range(days):
        today += timedelta(days=1)
        with db.connect() as con:  # one transaction per simulated day
            changes = _advance_one_day(settings, db, con, today)
        for kind, n in changes.items():
            totals[kind] = totals.get(kind, 0) + n
        report(today.isoformat(), sum(changes.values()))
    totals["last_day"] = today.isoformat()
    return totals


def _advance_one_day(settings: Settings, db: ShopDatabase, con, day: date) -> dict[str, int]:
    seed, scale = settings.seed, settings.scale
    rng = company.stream(seed, f"advance-{day.isoformat()}")
    sizes = company.Sizes.for_scale(scale)
    now = datetime.combine(day, datetime.min.time()) + timedelta(hours=23, minutes=59)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    (n_customers, next_order, next_line, next_price) = db.query(
        con,
        "SELECT (SELECT MAX(customer_id) FROM customers), (SELECT MAX(order_id) FROM orders),"
        " (SELECT MAX(order_line_id) FROM order_lines), (SELECT MAX(price_id) FROM price_history)",
    )[0]
    prices = np.array([float(p) for _, p in db.query(con, "SELECT product_id, price FROM products"
                                                      " ORDER BY product_id")])  # fmt: skip
    changes: dict[str, int] = {}

    # New customers sign up.
    signups = int(rng.poisson(sizes.customers / HISTORY_DAYS * 0.4))
    if signups:
        new = company.customers(seed + day.toordinal(), signups)
        ids = pa.array(np.arange(n_customers + 1, n_customers + signups + 1), pa.int32())
        new = new.set_column(0, "customer_id", ids)
        new = new.set_column(new.schema.get_field_index("email"), "email",
                             pa.array([f"new{i}@example.com" for i in ids.to_pylist()]))  # fmt: skip
        db.append(con, "customers", new)
        n_customers += signups
    changes["new_customers"] = signups

    # Orders of the day; about 1 % arrive late, stamped one to three days earlier.
    weekday = day.weekday()
    years = (day - HISTORY_START).days / 365.25
    expected = (sizes.orders / HISTORY_DAYS * MONTH_SEASON[day.month - 1]
                * WEEKDAY_SEASON[weekday] * 1.25 ** (years - 1.5))  # fmt: skip
    n_orders = int(rng.poisson(expected))
    order_days = np.full(n_orders, np.datetime64(day, "D"))
    late = rng.random(n_orders) < 0.01
    order_days[late] -= rng.integers(1, 4, int(late.sum()))
    popularity = company.product_popularity(seed, len(prices))
    orders, lines = company.orders_and_lines(
        rng, order_days, next_order + 1, next_line + 1, n_customers, prices, popularity
    )
    orders = orders.set_column(4, "updated_at", pa.array(np.full(n_orders, np.datetime64(now))))
    lines = _dirty_lines(rng, lines)
    db.append(con, "orders", orders)
    db.append(con, "order_lines", lines)
    changes["orders"] = n_orders
    changes["order_lines"] = lines.num_rows
    changes["late_orders"] = int(late.sum())

    # Cancellations of recent orders.
    since = (day - timedelta(days=14)).isoformat()
    recent = [r[0] for r in db.query(
        con, f"SELECT order_id FROM orders WHERE status = 'completed' AND ordered_at >= '{since}'"
        " ORDER BY order_id")]  # fmt: skip
    cancel = _pick(rng, recent, 0.005)
    db.execute_many(con, "UPDATE orders SET status = 'cancelled', updated_at = ? WHERE order_id = ?",
                    [(stamp, i) for i in cancel])  # fmt: skip
    changes["cancelled_orders"] = len(cancel)

    # Customers who move to another country.
    movers = _pick(rng, list(range(1, n_customers + 1)), 0.0005)
    new_country = rng.integers(1, len(company.countries()) + 1, len(movers))
    db.execute_many(con, "UPDATE customers SET country_id = ?, updated_at = ? WHERE customer_id = ?",
                    [(int(c), stamp, i) for c, i in zip(new_country, movers, strict=True)])  # fmt: skip
    changes["customers_moved"] = len(movers)

    # Price changes, with their history.
    repriced = _pick(rng, list(range(1, len(prices) + 1)), 0.01)
    factor = rng.choice([0.8, 0.9, 0.95, 1.05, 1.1, 1.2], len(repriced))
    new_prices = [round(prices[i - 1] * f, 2) for i, f in zip(repriced, factor, strict=True)]
    db.execute_many(con, "UPDATE products SET price = ?, updated_at = ? WHERE product_id = ?",
                    [(p, stamp, i) for p, i in zip(new_prices, repriced, strict=True)])  # fmt: skip
    db.execute_many(con, "INSERT INTO price_history (price_id, product_id, price, valid_from)"
                    " VALUES (?, ?, ?, ?)",
                    [(next_price + k + 1, i, p, stamp)
                     for k, (i, p) in enumerate(zip(repriced, new_prices, strict=True))])  # fmt: skip
    changes["price_changes"] = len(repriced)

    # Stock counted at the end of the day.
    stock = company.inventory(seed, np.arange(1, len(prices) + 1), day)
    db.execute_many(con, "UPDATE inventory SET quantity_on_hand = ?, updated_at = ?"
                    " WHERE product_id = ?",
                    [(q, stamp, i) for i, q in zip(stock["product_id"].to_pylist(),
                                                    stock["quantity_on_hand"].to_pylist(),
                                                    strict=True)])  # fmt: skip

    root = settings.sources_path
    log = files.access_log_lines(seed, day, scale, len(prices), dirty=3)
    changes["web_requests"] = files.write_access_log(root, day, log)
    searches = files.search_terms(seed, day, day, scale, HISTORY_DAYS)
    changes["searches"] = files.write_search_terms(root, day.isoformat(), searches)
    return changes


def _dirty_lines(rng: np.random.Generator, lines: pa.Table) -> pa.Table:
    """A live shop's data is not clean: a negative quantity, a zero quantity, a missing price."""
    if lines.num_rows < 3:
        return lines
    quantity = lines["quantity"].to_numpy().copy()
    price = lines["unit_price"].to_numpy().astype(float).copy()
    rows = rng.choice(lines.num_rows, 3, replace=False)
    quantity[rows[0]], quantity[rows[1]] = -1, 0
    price_mask = np.zeros(lines.num_rows, bool)
    price_mask[rows[2]] = True
    lines = lines.set_column(3, "quantity", pa.array(quantity, pa.int32()))
    return lines.set_column(4, "unit_price", pa.array(price, mask=price_mask))


def _pick(rng: np.random.Generator, ids: list[int], share: float) -> list[int]:
    if not ids:
        return []
    n = min(len(ids), max(1, int(rng.binomial(len(ids), share))))
    return sorted(int(i) for i in rng.choice(ids, n, replace=False))


def _current_day(db: ShopDatabase, con) -> date:
    (latest,) = db.query(con, "SELECT MAX(updated_at) FROM orders")[0]
    return (latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))).date()


def _clear_files(root) -> None:
    for folder in (files.WEBLOG_DIR, files.SEARCH_DIR):
        for path in (root / folder).glob("*"):
            path.unlink()
