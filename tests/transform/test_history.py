"""Builds after the company has moved on: SCD type 2 history, facts keyed to the versions valid
when they happened, and incremental facts that end equal to a full rebuild.

One pipeline run (conftest's `built`) is copied, moved three days forward with
`softcart.advance`, and given explicit cases the simulator may not produce at scale 0.01: a
customer with old orders moves country and then orders again, buying a product whose price
changed; a two-year-old order is cancelled; and a customer change and a price are recorded late,
with times before sales the first build already loaded. Then it is ingested and built
incrementally, and built again with --full-refresh.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.transform.pipeline import Built, copy_data, marts, query, scalar, settings_for

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart
from armazem.transform import SNAPSHOT_SCHEMA, BuildResult, build

HISTORY_END = "2021-12-31 23:59:59"
STAMP = "%Y-%m-%d %H:%M:%S"
Tables = dict[str, list[tuple[Any, ...]]]


@dataclass
class Case:
    """What the test did to the shop, to find in the warehouse."""

    customer: int
    old_country: int
    new_country: int
    moved_at: datetime
    new_order: int
    product: int
    cancelled_order: int


@dataclass
class Late:
    """Changes recorded after sales that happened after them had been loaded."""

    customer: int
    changed_at: datetime
    order: int  # the customer's, placed after changed_at, loaded by the first build
    product: int
    priced_at: datetime
    order_line: int  # of the product, placed after priced_at, loaded by the first build


@dataclass
class History:
    settings: Settings  # a copy of the warehouse as the incremental build left it
    rebuilt: Settings  # the data directory, rebuilt since with --full-refresh
    case: Case
    late: Late
    incremental: BuildResult
    statuses: dict[str, str]  # node -> status of the incremental build
    compiled_incremental: str  # fct_sales as the incremental build ran it
    marts: Tables
    snapshots: Tables
    full: BuildResult
    compiled_full: str
    marts_after_full: Tables
    snapshots_after_full: Tables


def change_the_shop(settings: Settings) -> Case:
    """In the shop's database, after the simulated days: a customer with old orders moves, then
    orders a product whose price changed; the oldest completed order is cancelled."""
    path = settings.local_file(settings.oltp_url)
    con = sqlite3.connect(str(path))
    try:
        (last,) = con.execute("select max(substr(updated_at, 1, 19)) from orders").fetchone()
        moved_at = datetime.strptime(last, STAMP).replace(hour=0, minute=0) + timedelta(
            days=1, hours=8
        )
        customer, old_country = con.execute(
            "select o.customer_id, c.country_id from orders o join customers c using (customer_id)"
            " where o.status = 'completed' and c.updated_at = c.created_at"
            " group by o.customer_id, c.country_id order by count(*) desc, o.customer_id limit 1"
        ).fetchone()
        new_country = old_country % 56 + 1
        con.execute(
            "update customers set country_id = ?, updated_at = ? where customer_id = ?",
            (new_country, moved_at.strftime(STAMP), customer),
        )
        product, price = con.execute(
            "select p.product_id, p.price from price_history h join products p using (product_id)"
            f" where h.valid_from > '{HISTORY_END}' order by h.price_id limit 1"
        ).fetchone()
        ordered_at = (moved_at + timedelta(hours=1)).strftime(STAMP)
        (order_id,) = con.execute("select max(order_id) + 1 from orders").fetchone()
        (line_id,) = con.execute("select max(order_line_id) + 1 from order_lines").fetchone()
        con.execute(
            "insert into orders (order_id, customer_id, ordered_at, status, updated_at)"
            " values (?, ?, ?, 'completed', ?)",
            (order_id, customer, ordered_at, ordered_at),
        )
        con.execute(
            "insert into order_lines (order_line_id, order_id, product_id, quantity, unit_price,"
            " created_at) values (?, ?, ?, 2, ?, ?)",
            (line_id, order_id, product, price, ordered_at),
        )
        (cancelled,) = con.execute(
            "select min(order_id) from orders where status = 'completed'"
        ).fetchone()
        con.execute(
            "update orders set status = 'cancelled', updated_at = ? where order_id = ?",
            ((moved_at + timedelta(hours=2)).strftime(STAMP), cancelled),
        )
        con.commit()
    finally:
        con.close()
    return Case(customer, old_country, new_country, moved_at, order_id, product, cancelled)


def record_changes_late(settings: Settings, case: Case) -> Late:
    """A customer change and a price that took effect on the history's last day, before sales the
    first build loaded, but reach the shop's database only now: the incremental build must give
    those sales the new versions, though the orders themselves did not change."""
    path = settings.local_file(settings.oltp_url)
    con = sqlite3.connect(str(path))
    try:
        # Later than every customer the first ingest saw, so the change is ingested now.
        (seen,) = con.execute(
            "select max(substr(updated_at, 1, 19)) from customers"
            f" where substr(updated_at, 1, 19) <= '{HISTORY_END}'"
        ).fetchone()
        customer, order, ordered_at, country = con.execute(
            "select o.customer_id, o.order_id, substr(o.ordered_at, 1, 19), c.country_id"
            " from orders o join customers c using (customer_id)"
            f" where substr(o.ordered_at, 1, 19) between datetime(?, '+1 minute') and"
            f" '{HISTORY_END}' and c.updated_at = c.created_at and o.customer_id <> ?"
            " order by o.ordered_at desc, o.order_id limit 1",
            (seen, case.customer),
        ).fetchone()
        changed_at = datetime.strptime(ordered_at, STAMP) - timedelta(seconds=30)
        con.execute(
            "update customers set country_id = ?, updated_at = ? where customer_id = ?",
            (country % 56 + 1, changed_at.strftime(STAMP), customer),
        )
        # The same price as today's, so the product's current price does not change.
        product, line, ordered_at, price = con.execute(
            "select l.product_id, l.order_line_id, substr(o.ordered_at, 1, 19), p.price"
            " from order_lines l join orders o using (order_id) join products p using"
            f" (product_id) where substr(o.ordered_at, 1, 19) <= '{HISTORY_END}'"
            " order by o.ordered_at desc, l.order_line_id limit 1"
        ).fetchone()
        priced_at = datetime.strptime(ordered_at, STAMP) - timedelta(seconds=30)
        con.execute(
            "insert into price_history (price_id, product_id, price, valid_from)"
            " select max(price_id) + 1, ?, ?, ? from price_history",
            (product, price, priced_at.strftime(STAMP)),
        )
        con.commit()
    finally:
        con.close()
    return Late(customer, changed_at, order, product, priced_at, line)


def compiled_fct_sales(settings: Settings) -> str:
    target = settings.data_path / "dbt" / "target"
    return (target / "compiled" / "armazem" / "models" / "marts" / "fct_sales.sql").read_text()


def node_statuses(settings: Settings) -> dict[str, str]:
    path = settings.data_path / "dbt" / "target" / "run_results.json"
    results = json.loads(path.read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


@pytest.fixture(scope="module")
def history(built: Built, tmp_path_factory: pytest.TempPathFactory) -> History:
    assert built.result.success, built.result.failures
    settings = copy_data(built.settings, tmp_path_factory.mktemp("history") / "data")
    changes = softcart.advance(settings, 3)
    assert changes["customers_moved"] >= 1 and changes["price_changes"] >= 1
    case = change_the_shop(settings)
    late = record_changes_late(settings, case)
    ingest(settings)

    incremental = build(settings)
    statuses = node_statuses(settings)
    compiled = compiled_fct_sales(settings)
    tables, snapshots = marts(settings), marts(settings, SNAPSHOT_SCHEMA, "snp_")
    kept = tmp_path_factory.mktemp("incremental")
    shutil.copy(settings.local_file(settings.warehouse_url), kept / "warehouse.duckdb")

    full = build(settings, full_refresh=True)
    after_full = marts(settings), marts(settings, SNAPSHOT_SCHEMA, "snp_")
    return History(
        settings_for(kept), settings, case, late, incremental, statuses, compiled, tables,
        snapshots, full, compiled_fct_sales(settings), *after_full,
    )  # fmt: skip


def test_the_incremental_build_passes_every_test(history: History) -> None:
    assert history.incremental.failures == []
    assert history.incremental.success
    assert set(history.statuses.values()) == {"success", "pass"}
    relationships = [n for n in history.statuses if n.startswith("test.armazem.relationships_")]
    assert len(relationships) >= 20
    versions = [n for n in history.statuses if "fact_version_valid_at" in n]
    assert len(versions) == 2


def test_the_facts_were_built_incrementally_then_in_full(history: History) -> None:
    assert "bounds as (" in history.compiled_incremental  # only when is_incremental()
    assert "bounds as (" not in history.compiled_full
    assert history.full.success, history.full.failures


def test_customers_the_simulator_moved_have_two_versions(history: History) -> None:
    movers = {
        customer_id
        for (customer_id,) in query(
            history.settings,
            "select customer_id from raw_shop.customers "
            f"where updated_at > created_at and created_at <= '{HISTORY_END}'",
        )
    }
    ours = {history.case.customer, history.late.customer}
    assert ours <= movers
    assert movers - ours  # and at least one the simulator moved
    versions = query(
        history.settings,
        "select d.customer_id, d.version_number, d.valid_from, d.valid_to, d.is_current, "
        "d.country_id, r.country_id, r.updated_at "
        "from staging.dim_customer d join raw_shop.customers r using (customer_id) "
        "where d.customer_id in (select customer_id from staging.dim_customer "
        "where version_number > 1) order by 1, 2",
    )
    assert {v[0] for v in versions} == movers
    by_customer: dict[int, list[tuple[Any, ...]]] = {}
    for v in versions:
        by_customer.setdefault(v[0], []).append(v)
    for customer, (first, second) in by_customer.items():
        assert (first[1], second[1]) == (1, 2), customer
        assert first[2] == datetime(1900, 1, 1)
        assert first[3] == second[2] == second[7]  # closed when the move was recorded
        assert second[3] == datetime(9999, 12, 31)
        assert (first[4], second[4]) == (False, True)
        assert second[5] == second[6]  # the current version has today's country
    # everyone else still has a single, current version
    assert scalar(
        history.settings,
        "select count(*) from staging.dim_customer where is_current",
    ) == scalar(history.settings, "select count(*) from raw_shop.customers")


def test_sales_before_and_after_a_move_keep_the_country_of_their_time(history: History) -> None:
    case = history.case
    keys = dict(
        query(
            history.settings,
            "select version_number, customer_key from staging.dim_customer "
            f"where customer_id = {case.customer}",
        )
    )
    sales = query(
        history.settings,
        "select order_id, ordered_at, customer_key, country_id from staging.fct_sales "
        f"where customer_id = {case.customer}",
    )
    before = [s for s in sales if s[1] < case.moved_at]
    after = [s for s in sales if s[1] >= case.moved_at]
    assert len(before) >= 3
    assert {(s[2], s[3]) for s in before} == {(keys[1], case.old_country)}
    assert {s[0] for s in after} == {case.new_order}
    assert {(s[2], s[3]) for s in after} == {(keys[2], case.new_country)}
    # and the reports follow: the new sale counts for the new country, the old ones for the old
    countries = dict(query(history.settings, "select country_id, country from staging.dim_country"))
    per_year_country = {
        (year, country): total
        for year, country, level, total in history.marts["rpt_sales_by_year_country"]
        if level == "year_country"
    }
    new_amount = scalar(
        history.settings,
        f"select sum(amount) from staging.fct_sales where order_id = {case.new_order}",
    )
    assert per_year_country[(case.moved_at.year, countries[case.new_country])] >= new_amount


def test_a_sale_after_a_price_change_points_at_the_new_price(history: History) -> None:
    case = history.case
    keys = query(
        history.settings,
        "select version_number, product_key, is_current from staging.dim_product_price "
        f"where product_id = {case.product} order by 1",
    )
    assert len(keys) >= 2 and keys[-1][2]
    sales = dict(
        query(
            history.settings,
            "select order_id = " + str(case.new_order) + ", string_agg(distinct product_key, ',') "
            f"from staging.fct_sales where product_id = {case.product} group by 1",
        )
    )
    assert sales[True] == keys[-1][1]
    assert keys[-1][1] not in sales[False].split(",")  # older sales keep an older price


def test_changes_recorded_late_re_key_sales_already_loaded(history: History) -> None:
    late = history.late
    versions = query(
        history.settings,
        "select version_number, valid_from, customer_key, country_id from staging.dim_customer "
        f"where customer_id = {late.customer} order by 1",
    )
    assert [(v[0], v[1]) for v in versions] == [(1, datetime(1900, 1, 1)), (2, late.changed_at)]
    sales = query(
        history.settings,
        "select distinct customer_key, country_id from staging.fct_sales "
        f"where order_id = {late.order}",
    )
    assert sales == [(versions[1][2], versions[1][3])]  # the version after the change

    (price_key,) = query(
        history.settings,
        "select product_key from staging.dim_product_price "
        f"where product_id = {late.product} and set_at = '{late.priced_at}'",
    )[0]
    assert (
        scalar(
            history.settings,
            f"select product_key from staging.fct_sales where order_line_id = {late.order_line}",
        )
        == price_key
    )


def test_a_cancelled_old_order_updates_its_rows(history: History) -> None:
    rows = query(
        history.settings,
        "select order_status, is_cancelled, ordered_at from staging.fct_sales "
        f"where order_id = {history.case.cancelled_order}",
    )
    assert rows and {r[:2] for r in rows} == {("cancelled", True)}
    assert all(r[2] < datetime(2019, 2, 1) for r in rows)  # long before the lookback window
    completed = scalar(
        history.settings,
        "select sum(l.quantity * l.unit_price) from raw_shop.order_lines l "
        "join raw_shop.orders o using (order_id) where o.status = 'completed'",
    )
    totals = [r[-1] for r in history.marts["rpt_sales_by_year_country"] if r[2] == "total"]
    assert totals == [completed] and isinstance(completed, Decimal)


def test_incremental_marts_equal_a_full_refresh(history: History) -> None:
    assert set(history.marts) == set(history.marts_after_full)
    assert len(history.marts) == 21  # 18 on the raw tables, 3 on the Spark jobs' results
    for name, rows in history.marts.items():
        assert rows == history.marts_after_full[name], name
    raw = scalar(history.settings, "select count(*) from raw_shop.order_lines")
    assert len(history.marts["fct_sales"]) == raw


def test_a_full_refresh_keeps_the_snapshots(history: History) -> None:
    assert set(history.snapshots) == {"snp_shop__customers", "snp_shop__inventory"}
    assert history.snapshots == history.snapshots_after_full


def test_inventory_keeps_a_row_per_product_for_each_day_a_build_saw(history: History) -> None:
    days = query(
        history.settings,
        "select inventory_date, count(*) from staging.fct_inventory_daily group by 1 order by 1",
    )
    products = scalar(history.settings, "select count(*) from raw_shop.products")
    last_day = history.case.moved_at.date() - timedelta(days=1)
    assert [d for d, _ in days] == [datetime(2021, 12, 31).date(), last_day]
    assert {n for _, n in days} == {products}


def test_web_requests_of_the_new_days_are_added(history: History) -> None:
    requests = history.marts["fct_web_requests"]
    assert len(requests) == scalar(history.settings, "select count(*) from raw_weblogs.access_log")
    assert max(r[1] for r in requests) == int(
        (history.case.moved_at - timedelta(days=1)).strftime("%Y%m%d")
    )


def test_the_first_build_is_untouched(built: Built, history: History) -> None:
    assert history.rebuilt.data_path != built.settings.data_path
    assert Path(built.settings.data_path).is_dir()
    assert (
        scalar(built.settings, "select count(*) from staging.dim_customer where not is_current")
        == 0
    )
