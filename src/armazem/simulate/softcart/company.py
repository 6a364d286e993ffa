"""SoftCart's shop database, generated as Arrow tables with vectorised NumPy (no loop per row).

Every table is a pure function of (seed, scale): each part draws from its own random stream, keyed
by the seed and the part's name, so adding a part never changes the others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from armazem.simulate.softcart.reference import (
    CATEGORIES,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    HISTORY_END,
    HISTORY_START,
    MONTH_SEASON,
    WEEKDAY_SEASON,
)

ORDER_LINES_AT_SCALE_1 = 1_000_000
LINES_PER_ORDER = 2.5  # 1 + Poisson(1.5)
FIRST_NAMES = np.array(
    "ana bruno carla diego elena felix gabriel helena igor julia kenji lara marco nadia oscar "
    "paula quentin rosa samir tania ugo vera wei xenia yusuf zoe".split()
)
LAST_NAMES = np.array(
    "silva smith kumar muller rossi garcia tanaka kim novak jensen dubois costa okafor "
    "nguyen cohen ivanova".split()
)
HOUR_WEIGHTS = (1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.7, 1.2, 1.8, 2.2, 2.5, 2.6,
                2.7, 2.6, 2.5, 2.4, 2.5, 2.8, 3.2, 3.6, 3.8, 3.2, 2.4, 1.6)  # fmt: skip
DOMAINS = np.array(["example.com", "mail.example.org", "shop.example.net"])


def stream(seed: int, part: str) -> np.random.Generator:
    """An independent, reproducible random stream for one part of the company."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


@dataclass(frozen=True)
class Sizes:
    customers: int
    products: int
    orders: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        orders = round(ORDER_LINES_AT_SCALE_1 * scale / LINES_PER_ORDER)
        return cls(
            customers=max(100, round(100_000 * scale)),
            products=max(60, round(2_000 * min(scale, 1) ** 0.5)),
            orders=max(200, orders),
        )


def countries() -> pa.Table:
    names = [name for name, _ in COUNTRIES]
    return pa.table(
        {
            "country_id": pa.array(range(1, len(names) + 1), pa.int32()),
            "name": names,
            "region": [region for _, region in COUNTRIES],
        }
    )


def categories() -> pa.Table:
    return pa.table(
        {
            "category_id": pa.array(range(1, len(CATEGORIES) + 1), pa.int32()),
            "name": [name for name, _ in CATEGORIES],
        }
    )


def product_types() -> list[tuple[int, object]]:
    """(category_id, ProductType) for every product type, in a fixed order."""
    return [(cid, t) for cid, (_, types) in enumerate(CATEGORIES, start=1) for t in types]


def products(seed: int, n: int) -> pa.Table:
    rng = stream(seed, "products")
    types = product_types()
    type_index = rng.integers(0, len(types), n)
    lows = np.array([t.price_range[0] for _, t in types])[type_index]
    highs = np.array([t.price_range[1] for _, t in types])[type_index]
    price = np.round(lows + (highs - lows) * rng.beta(2, 5, n), 2)
    models = np.char.add(
        np.array(list("ABCDEFGHKLMNPQRSTVWXZ"))[rng.integers(0, 21, n)],
        rng.integers(10, 999, n).astype(str),
    )
    type_names = np.array([t.name for _, t in types])[type_index]
    created = _timestamps(np.full(n, np.datetime64(HISTORY_START, "D") - 30), rng)
    return pa.table(
        {
            "product_id": pa.array(np.arange(1, n + 1), pa.int32()),
            "sku": np.char.add("SC-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
            "item": np.char.add(np.char.add(np.char.capitalize(type_names), " "), models),
            "product_type": type_names,
            "model": np.char.lower(models),
            "category_id": pa.array(np.array([c for c, _ in types])[type_index], pa.int32()),
            "price": price,
            "created_at": created,
            "updated_at": created,
        }
    )


def customers(seed: int, n: int, first_seen: np.ndarray | None = None) -> pa.Table:
    rng = stream(seed, "customers")
    names = [name for name, _ in COUNTRIES]
    weights = np.array([COUNTRY_WEIGHTS.get(name, 1.0) for name in names])
    country = rng.choice(len(names), n, p=weights / weights.sum()) + 1
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)]
    ids = np.arange(1, n + 1)
    email = _join(first, ".", last, ids.astype(str), "@", DOMAINS[rng.integers(0, 3, n)])
    if first_seen is None:
        first_seen = np.full(n, np.datetime64(HISTORY_START, "D"))
    created = _timestamps(first_seen - rng.integers(0, 60, n), rng)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int32()),
            "email": email,
            "first_name": np.char.capitalize(first),
            "last_name": np.char.capitalize(last),
            "country_id": pa.array(country, pa.int32()),
            "segment": np.where(rng.random(n) < 0.12, "business", "consumer"),
            "created_at": created,
            "updated_at": created,
        }
    )


def order_days(rng: np.random.Generator, start: date, end: date, total: float) -> np.ndarray:
    """One day per order: seasonality by month and weekday, a growth trend, Poisson noise."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    months = days.astype("datetime64[M]").astype(int) % 12
    weekdays = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    years = (days - np.datetime64(HISTORY_START, "D")).astype(int) / 365.25
    weight = np.array(MONTH_SEASON)[months] * np.array(WEEKDAY_SEASON)[weekdays] * 1.25**years
    counts = rng.poisson(weight / weight.sum() * total)
    return np.repeat(days, counts)


def orders_and_lines(
    rng: np.random.Generator,
    days: np.ndarray,
    first_order_id: int,
    first_line_id: int,
    n_customers: int,
    product_prices: np.ndarray,
    popularity: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """Orders on the given days and their lines; a few products sell most (Zipf-like)."""
    n = len(days)
    ordered_at = np.sort(_timestamps(days, rng))
    activity = rng.lognormal(0, 1.0, n_customers)
    customer = rng.choice(n_customers, n, p=activity / activity.sum()) + 1
    status = np.where(rng.random(n) < 0.02, "cancelled", "completed")
    order_ids = np.arange(first_order_id, first_order_id + n)
    orders = pa.table(
        {
            "order_id": pa.array(order_ids, pa.int64()),
            "customer_id": pa.array(customer, pa.int32()),
            "ordered_at": ordered_at,
            "status": status,
            "updated_at": ordered_at,
        }
    )
    lines_per_order = 1 + rng.poisson(LINES_PER_ORDER - 1, n)
    line_order = np.repeat(np.arange(n), lines_per_order)
    m = len(line_order)
    product = rng.choice(len(product_prices), m, p=popularity) + 1
    quantity = rng.choice([1, 2, 3, 4, 5], m, p=[0.55, 0.22, 0.11, 0.07, 0.05])
    lines = pa.table(
        {
            "order_line_id": pa.array(np.arange(first_line_id, first_line_id + m), pa.int64()),
            "order_id": pa.array(order_ids[line_order], pa.int64()),
            "product_id": pa.array(product, pa.int32()),
            "quantity": pa.array(quantity, pa.int32()),
            "unit_price": product_prices[product - 1],
            "created_at": ordered_at[line_order],
        }
    )
    return orders, lines


def product_popularity(seed: int, n: int) -> np.ndarray:
    """Each product's share of order lines: a Zipf-like law over a seeded ranking."""
    weight = np.empty(n)
    weight[stream(seed, "product-popularity").permutation(n)] = 1.0 / np.arange(1, n + 1) ** 1.1
    return weight / weight.sum()


def inventory(seed: int, product_ids: np.ndarray, at: date) -> pa.Table:
    rng = stream(seed, f"inventory-{at.isoformat()}")
    when = _timestamps(np.full(len(product_ids), np.datetime64(at, "D")), rng)
    return pa.table(
        {
            "product_id": pa.array(product_ids, pa.int32()),
            "quantity_on_hand": pa.array(rng.integers(0, 500, len(product_ids)), pa.int32()),
            "updated_at": when,
        }
    )


def history(seed: int, scale: float) -> dict[str, pa.Table]:
    """The shop database as it stands at the end of the history (2019-01-01 to 2021-12-31)."""
    sizes = Sizes.for_scale(scale)
    product_table = products(seed, sizes.products)
    prices = product_table["price"].to_numpy()
    rng = stream(seed, "orders")
    days = order_days(rng, HISTORY_START, HISTORY_END, sizes.orders)
    popularity = product_popularity(seed, sizes.products)
    orders, lines = orders_and_lines(rng, days, 1, 1, sizes.customers, prices, popularity)
    first_seen = np.full(sizes.customers, np.datetime64(HISTORY_END, "D"))
    np.minimum.at(
        first_seen,
        orders["customer_id"].to_numpy() - 1,
        orders["ordered_at"].to_numpy().astype("datetime64[D]"),
    )
    price_history = pa.table(
        {
            "price_id": pa.array(np.arange(1, sizes.products + 1), pa.int64()),
            "product_id": product_table["product_id"],
            "price": product_table["price"],
            "valid_from": product_table["created_at"],
        }
    )
    return {
        "countries": countries(),
        "categories": categories(),
        "customers": customers(seed, sizes.customers, first_seen),
        "products": product_table,
        "price_history": price_history,
        "inventory": inventory(seed, product_table["product_id"].to_numpy(), HISTORY_END),
        "orders": orders,
        "order_lines": lines,
    }


def _timestamps(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A time of day for each day, busiest in the evening."""
    hour_weight = np.array(HOUR_WEIGHTS)
    hours = rng.choice(24, len(days), p=hour_weight / hour_weight.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, len(days))
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _join(*parts: np.ndarray | str) -> np.ndarray:
    result = np.asarray(parts[0])
    for part in parts[1:]:
        result = np.char.add(result, part)
    return result


def as_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Timestamps as 'YYYY-MM-DD HH:MM:SS', the text form both SQLite and MySQL accept."""
    return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
