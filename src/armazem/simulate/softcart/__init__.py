"""SoftCart, the e-commerce company: its shop database, catalog, web logs and search terms.

`create` writes the company as it stands at the end of its history (2019-2021); `advance` moves it
forward day by day with new orders and the changes a live shop has: customers who move country,
price changes, cancelled orders, late-arriving orders and a few dirty records. Both are
deterministic: the same seed, scale and sequence of calls give the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.simulate.softcart import company, files
from armazem.simulate.softcart.day import HISTORY_DAYS, ShopDay
from armazem.simulate.softcart.reference import HISTORY_END, HISTORY_START, WEBLOG_DAYS
from armazem.simulate.softcart.store import ShopDatabase

Progress = Callable[[str, int], None]


def shop_database(settings: Settings) -> ShopDatabase:
    return ShopDatabase(settings.oltp_url, settings.local_file(settings.oltp_url))


def exists(settings: Settings) -> bool:
    return shop_database(settings).exists()


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
    if settings.mongodb_url:
        files.write_catalog_to_mongodb(settings.mongodb_url, documents)
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
    written["searchterms"] = files.write_search_terms(
        root, f"{HISTORY_START.isoformat()}_{HISTORY_END.isoformat()}", searches
    )
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
            changes = ShopDay(settings, db, con, today).run()
        for kind, n in changes.items():
            totals[kind] = totals.get(kind, 0) + n
        report(today.isoformat(), sum(changes.values()))
    totals["last_day"] = today.isoformat()
    return totals


def _current_day(db: ShopDatabase, con: Any) -> date:
    (latest,) = db.query(con, "SELECT MAX(updated_at) FROM orders")[0]
    return (latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))).date()


def _clear_files(root: Path) -> None:
    for folder in (files.WEBLOG_DIR, files.SEARCH_DIR):
        for path in (root / folder).glob("*"):
            path.unlink()
