"""One day in the life of the shop, applied to its database in one transaction: sign-ups,
orders (some arriving late, a few dirty), cancellations, customers who move, price changes, a
stock count, and the day's web log and searches.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from armazem.settings import Settings
from armazem.simulate.softcart import company, files
from armazem.simulate.softcart.reference import (
    COUNTRIES,
    HISTORY_END,
    HISTORY_START,
    MONTH_SEASON,
    WEEKDAY_SEASON,
)
from armazem.simulate.softcart.store import ShopDatabase

HISTORY_DAYS = (HISTORY_END - HISTORY_START).days + 1
LATE_SHARE = 0.01  # orders that reach the database one to three days after they were placed
CANCEL_SHARE = 0.005  # of the last fortnight's completed orders, per day
MOVE_SHARE = 0.0005  # customers who change country, per day
REPRICE_SHARE = 0.01  # products whose price changes, per day
DIRTY_LOG_LINES = 3


class ShopDay:
    def __init__(self, settings: Settings, db: ShopDatabase, con: Any, day: date) -> None:
        self.settings, self.db, self.con, self.day = settings, db, con, day
        self.seed, self.scale = settings.seed, settings.scale
        self.rng = company.stream(self.seed, f"advance-{day.isoformat()}")
        self.sizes = company.Sizes.for_scale(self.scale)
        self.now = datetime.combine(day, datetime.min.time()) + timedelta(hours=23, minutes=59)
        self.stamp = self.now.strftime("%Y-%m-%d %H:%M:%S")
        rows = db.query(con, "SELECT product_id, price FROM products ORDER BY product_id")
        self.prices = np.array([float(price) for _, price in rows])

    def run(self) -> dict[str, int]:
        changes = {"new_customers": self.sign_up()}
        changes |= self.take_orders()
        changes["cancelled_orders"] = self.cancel()
        changes["customers_moved"] = self.move_customers()
        changes["price_changes"] = self.reprice()
        self.count_stock()
        changes |= self.write_files()
        return changes

    def sign_up(self) -> int:
        n = int(self.rng.poisson(self.sizes.customers / HISTORY_DAYS * 0.4))
        if n:
            first = self._max("customer_id", "customers") + 1
            ids = np.arange(first, first + n)
            new = company.customers(self.seed + self.day.toordinal(), n)
            new = new.set_column(0, "customer_id", pa.array(ids, pa.int32()))
            emails = pa.array([f"new{i}@example.com" for i in ids.tolist()])
            new = new.set_column(new.schema.get_field_index("email"), "email", emails)
            joined = pa.array(np.full(n, np.datetime64(self.now)))
            for column in ("created_at", "updated_at"):
                new = new.set_column(new.schema.get_field_index(column), column, joined)
            self.db.append(self.con, "customers", new)
        return n

    def take_orders(self) -> dict[str, int]:
        years = (self.day - HISTORY_START).days / 365.25
        seasonal = MONTH_SEASON[self.day.month - 1] * WEEKDAY_SEASON[self.day.weekday()]
        expected = self.sizes.orders / HISTORY_DAYS * seasonal * 1.25 ** (years - 1.5)
        n = int(self.rng.poisson(expected))
        days = np.full(n, np.datetime64(self.day, "D"))
        late = self.rng.random(n) < LATE_SHARE
        days[late] -= self.rng.integers(1, 4, int(late.sum()))
        orders, lines = company.orders_and_lines(
            self.rng,
            days,
            self._max("order_id", "orders") + 1,
            self._max("order_line_id", "order_lines") + 1,
            self._max("customer_id", "customers"),
            self.prices,
            company.product_popularity(self.seed, len(self.prices)),
        )
        arrived = pa.array(np.full(n, np.datetime64(self.now)))
        orders = orders.set_column(
            orders.schema.get_field_index("updated_at"), "updated_at", arrived
        )
        lines = dirty_lines(self.rng, lines)
        self.db.append(self.con, "orders", orders)
        self.db.append(self.con, "order_lines", lines)
        return {"orders": n, "order_lines": lines.num_rows, "late_orders": int(late.sum())}

    def cancel(self) -> int:
        since = (self.day - timedelta(days=14)).isoformat()
        recent = self.db.query(
            self.con,
            "SELECT order_id FROM orders WHERE status = 'completed' "
            f"AND ordered_at >= '{since}' ORDER BY order_id",
        )
        cancelled = pick(self.rng, [r[0] for r in recent], CANCEL_SHARE)
        self.db.execute_many(
            self.con,
            "UPDATE orders SET status = 'cancelled', updated_at = ? WHERE order_id = ?",
            [(self.stamp, i) for i in cancelled],
        )
        return len(cancelled)

    def move_customers(self) -> int:
        everyone = list(range(1, self._max("customer_id", "customers") + 1))
        movers = pick(self.rng, everyone, MOVE_SHARE)
        countries = self.rng.integers(1, len(COUNTRIES) + 1, len(movers))
        self.db.execute_many(
            self.con,
            "UPDATE customers SET country_id = ?, updated_at = ? WHERE customer_id = ?",
            [(int(c), self.stamp, i) for c, i in zip(countries, movers, strict=True)],
        )
        return len(movers)

    def reprice(self) -> int:
        products = pick(self.rng, list(range(1, len(self.prices) + 1)), REPRICE_SHARE)
        factors = self.rng.choice([0.8, 0.9, 0.95, 1.05, 1.1, 1.2], len(products))
        prices = [round(self.prices[i - 1] * f, 2) for i, f in zip(products, factors, strict=True)]
        self.db.execute_many(
            self.con,
            "UPDATE products SET price = ?, updated_at = ? WHERE product_id = ?",
            [(p, self.stamp, i) for p, i in zip(prices, products, strict=True)],
        )
        first = self._max("price_id", "price_history") + 1
        self.db.execute_many(
            self.con,
            "INSERT INTO price_history (price_id, product_id, price, valid_from) "
            "VALUES (?, ?, ?, ?)",
            [
                (first + k, i, p, self.stamp)
                for k, (i, p) in enumerate(zip(products, prices, strict=True))
            ],
        )
        return len(products)

    def count_stock(self) -> None:
        stock = company.inventory(self.seed, np.arange(1, len(self.prices) + 1), self.day)
        ids, quantities = stock["product_id"].to_pylist(), stock["quantity_on_hand"].to_pylist()
        self.db.execute_many(
            self.con,
            "UPDATE inventory SET quantity_on_hand = ?, updated_at = ? WHERE product_id = ?",
            [(q, self.stamp, i) for i, q in zip(ids, quantities, strict=True)],
        )

    def write_files(self) -> dict[str, int]:
        root = self.settings.sources_path
        log = files.access_log_lines(
            self.seed, self.day, self.scale, len(self.prices), dirty=DIRTY_LOG_LINES
        )
        searches = files.search_terms(self.seed, self.day, self.day, self.scale, HISTORY_DAYS)
        return {
            "web_requests": files.write_access_log(root, self.day, log),
            "searches": files.write_search_terms(root, self.day.isoformat(), searches),
        }

    def _max(self, column: str, table: str) -> int:
        return int(self.db.query(self.con, f"SELECT MAX({column}) FROM {table}")[0][0] or 0)


def dirty_lines(rng: np.random.Generator, lines: pa.Table) -> pa.Table:
    """A live shop's data is not clean: a negative quantity, a zero quantity, a missing price."""
    if lines.num_rows < 3:
        return lines
    quantity = lines["quantity"].to_numpy().copy()
    price = lines["unit_price"].to_numpy().astype(float).copy()
    rows = rng.choice(lines.num_rows, 3, replace=False)
    quantity[rows[0]], quantity[rows[1]] = -1, 0
    missing = np.zeros(lines.num_rows, bool)
    missing[rows[2]] = True
    lines = lines.set_column(lines.schema.get_field_index("quantity"), "quantity",
                             pa.array(quantity, pa.int32()))  # fmt: skip
    return lines.set_column(
        lines.schema.get_field_index("unit_price"), "unit_price", pa.array(price, mask=missing)
    )


def pick(rng: np.random.Generator, ids: list[int], share: float) -> list[int]:
    """A random share of the ids (at least one), sorted."""
    if not ids:
        return []
    n = min(len(ids), max(1, int(rng.binomial(len(ids), share))))
    return sorted(int(i) for i in rng.choice(ids, n, replace=False))
