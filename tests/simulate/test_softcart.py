from __future__ import annotations

import csv
import re
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from armazem.errors import ArmazemError
from armazem.ingest.files import COMBINED_LOG
from armazem.settings import Settings
from armazem.simulate import softcart
from armazem.simulate.softcart import company
from armazem.simulate.softcart.reference import CATEGORIES, COUNTRIES

CAPSTONE = Path(__file__).resolve().parents[3] / "shared" / "capstone" / "softcart-dw"


def rows(settings: Settings, sql: str) -> list[tuple]:
    path = settings.local_file(settings.oltp_url)
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def test_same_seed_same_company_and_another_seed_another() -> None:
    first, again, other = (company.history(s, 0.005) for s in (7, 7, 8))
    for name in first:
        assert first[name].equals(again[name]), name
    assert not first["order_lines"].equals(other["order_lines"])


def test_scale_one_is_about_a_million_order_lines() -> None:
    sizes = company.Sizes.for_scale(1.0)
    assert sizes.orders * company.LINES_PER_ORDER == pytest.approx(1_000_000, rel=0.01)
    small = company.history(1, 0.02)
    assert small["order_lines"].num_rows == pytest.approx(20_000, rel=0.05)


def test_countries_and_categories_match_the_capstone_dimensions() -> None:
    with (CAPSTONE / "DimCountry.csv").open(encoding="utf-8-sig") as handle:
        capstone_countries = {int(r["countryid"]): r["country"] for r in csv.DictReader(handle)}
    with (CAPSTONE / "DimCategory.csv").open(encoding="utf-8-sig") as handle:
        capstone_categories = {int(r["categoryid"]): r["category"] for r in csv.DictReader(handle)}
    assert {i: name for i, (name, _) in enumerate(COUNTRIES, 1)} == capstone_countries
    assert {i: name for i, (name, _) in enumerate(CATEGORIES, 1)} == capstone_categories


def test_sales_have_a_realistic_shape() -> None:
    tables = company.history(3, 0.05)
    ordered = tables["orders"]["ordered_at"].to_numpy()
    months = ordered.astype("datetime64[M]").astype(int) % 12
    per_month = np.bincount(months, minlength=12)
    assert per_month[11] > 1.6 * per_month[1], "December should outsell February"
    years = ordered.astype("datetime64[Y]").astype(int) + 1970
    per_year = Counter(years.tolist())
    assert per_year[2021] > per_year[2019], "the shop grows"
    lines = Counter(tables["order_lines"]["product_id"].to_pylist())
    top = sum(n for _, n in lines.most_common(len(lines) // 10))
    assert top > 0.4 * sum(lines.values()), "a few products sell most"


def test_simulate_writes_every_system(small_company: Settings) -> None:
    assert rows(small_company, "SELECT count(*) FROM order_lines")[0][0] > 9_000
    root = small_company.sources_path
    assert (root / "catalog" / "electronics.jsonl").stat().st_size > 0
    logs = sorted((root / "weblogs").glob("*.log"))
    assert len(logs) == 62  # 60 days of history and the two advanced days
    assert any((root / "searchterms").glob("*.csv"))


def test_access_logs_are_combined_format(small_company: Settings) -> None:
    log = small_company.sources_path / "weblogs" / "access-2021-12-31.log"
    lines = log.read_text().splitlines()
    assert all(re.match(COMBINED_LOG, line) for line in lines)


def test_advanced_days_carry_changes_late_rows_and_dirty_records(small_company: Settings) -> None:
    s = small_company
    assert rows(s, "SELECT max(date(updated_at)) FROM orders")[0][0] == "2022-01-02"
    cancelled = rows(s, "SELECT count(*) FROM orders WHERE status = 'cancelled' "
                        "AND updated_at > ordered_at")[0][0]  # fmt: skip
    moved = rows(s, "SELECT count(*) FROM customers WHERE updated_at > created_at "
                    "AND date(updated_at) > '2021-12-31'")[0][0]  # fmt: skip
    repriced = rows(s, "SELECT count(*) FROM price_history WHERE valid_from > '2021-12-31'")[0][0]
    dirty = rows(s, "SELECT count(*) FROM order_lines WHERE quantity <= 0 OR unit_price IS NULL")
    assert cancelled > 0 and moved > 0 and repriced > 0
    assert dirty[0][0] == 6  # three per advanced day
    bad_log_lines = [
        line
        for log in (s.sources_path / "weblogs").glob("access-2022-*.log")
        for line in log.read_text().splitlines()
        if not re.match(COMBINED_LOG, line)
    ]
    assert len(bad_log_lines) == 6


def test_late_orders_arrive_stamped_days_earlier(settings: Settings) -> None:
    bigger = settings.model_copy(update={"scale": 0.1})
    softcart.create(bigger)
    (last_of_history,) = rows(bigger, "SELECT max(order_id) FROM orders")[0]
    changes = softcart.advance(bigger, 3)
    # An order created while advancing but stamped inside the history can only have come late.
    late = rows(bigger, f"SELECT count(*) FROM orders WHERE order_id > {last_of_history} "
                        "AND ordered_at < '2022-01-01'")[0][0]  # fmt: skip
    assert changes["late_orders"] > 0
    assert 0 < late <= changes["late_orders"]


def test_advancing_is_deterministic_and_additive(tmp_path: Path, settings: Settings) -> None:
    a = settings.model_copy(update={"data_dir": tmp_path / "a", "scale": 0.002})
    b = settings.model_copy(update={"data_dir": tmp_path / "b", "scale": 0.002})
    for s in (a, b):
        softcart.create(s)
    softcart.advance(a, 2)
    softcart.advance(b, 1)
    softcart.advance(b, 1)
    for table in ("orders", "order_lines", "customers", "products", "price_history"):
        assert rows(a, f"SELECT * FROM {table} ORDER BY 1") == rows(
            b, f"SELECT * FROM {table} ORDER BY 1"
        )


def test_advance_needs_a_company(settings: Settings) -> None:
    with pytest.raises(ArmazemError, match="armazem simulate"):
        softcart.advance(settings, 1)
    softcart.create(settings.model_copy(update={"scale": 0.002}))
    with pytest.raises(ArmazemError, match=">= 1"):
        softcart.advance(settings, 0)
