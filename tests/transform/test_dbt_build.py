"""The dbt project built on a real warehouse: the pipeline's own output at scale 0.01.

The numbers the marts report are checked against the raw tables directly, so a join that drops or
duplicates lines, or a report that counts cancelled orders, fails here. (Changes between builds,
incremental facts and history are in test_history.py.)
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.softcart import PUBLISHED_PREFIXES
from tests.softcart import TRANSFORM_DIR as PROJECT_DIR
from tests.transform.pipeline import Built, marts, query, scalar, settings_for

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.transform import SNAPSHOT_SCHEMA, build, freshness

MARTS = {
    "dim_date", "dim_customer", "dim_product", "dim_product_price", "dim_product_attributes",
    "dim_category", "dim_country",
    "fct_sales", "fct_web_requests", "fct_inventory_daily", "fct_search_terms",
    "rpt_sales_by_year_country", "rpt_sales_by_country_category", "rpt_avg_sales_by_year_country",
    "rpt_total_sales_per_country", "rpt_monthly_sales", "rpt_sales_by_category",
    "rpt_quarterly_sales_by_item",
    "fct_web_sessions", "rpt_web_daily", "rpt_search_rising",  # on the Spark jobs' results
}  # fmt: skip
LATE_MODELS = {"stg_forecast__sales", "rpt_sales_forecast"}
# Completed sales straight from the raw tables, with the year and country the reports group by.
RAW_COMPLETED = """
    select extract(year from o.ordered_at) as year, co.name as country,
           l.quantity * l.unit_price as amount
    from raw_shop.order_lines l
    join raw_shop.orders o using (order_id)
    join raw_shop.customers c using (customer_id)
    join raw_shop.countries co using (country_id)
    where o.status = 'completed'
"""


def reports(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return marts(settings, prefix="rpt_")


def test_build_succeeds_and_reports_progress(built: Built) -> None:
    result = built.result
    assert result.failures == []
    assert result.success
    # The models on the forecast wait for it (it is trained on the build): armazem run builds
    # them in a second, late build.
    model_files = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")} - LATE_MODELS
    assert result.models == len(model_files)
    assert result.snapshots == 2
    assert result.tests >= 200
    assert result.seconds > 0
    finished = {name: status for name, status in built.events}
    assert model_files | {"snp_shop__customers", "snp_shop__inventory"} <= set(finished)
    assert set(finished.values()) <= {"success", "pass"}
    assert len(built.events) == result.models + result.snapshots + result.tests


def test_build_leaves_no_trace_in_the_package_or_the_environment(built: Built) -> None:
    for name in ("target", "logs", "dbt_packages", ".user.yml"):
        assert not (PROJECT_DIR / name).exists(), name
    assert (built.settings.data_path / "dbt" / "target" / "run_results.json").is_file()
    assert not [name for name in os.environ if name.startswith("DBT_ARMAZEM_")]


def test_every_model_builds_in_the_staging_schema(built: Built) -> None:
    schemas = query(
        built.settings,
        "select distinct table_schema from information_schema.tables "
        "where table_name like 'stg_%' or table_name like 'dim_%' or table_name like 'fct_%' "
        "or table_name like 'rpt_%'",
    )
    assert schemas == [("staging",)]
    marts = query(
        built.settings,
        "select table_name, table_type from information_schema.tables "
        "where table_schema = 'staging' order by 1",
    )
    published = [(n, t) for n, t in marts if n.startswith(PUBLISHED_PREFIXES)]
    assert {n for n, _ in published} == MARTS
    assert {t for _, t in published} == {"BASE TABLE"}


def test_snapshots_live_in_their_own_schema(built: Built) -> None:
    tables = query(
        built.settings,
        "select table_schema, table_name from information_schema.tables "
        "where table_name like 'snp_%' order by 2",
    )
    assert tables == [
        (SNAPSHOT_SCHEMA, "snp_shop__customers"),
        (SNAPSHOT_SCHEMA, "snp_shop__inventory"),
    ]
    assert SNAPSHOT_SCHEMA not in {"staging", "production"}


def test_fct_sales_has_one_row_per_raw_order_line(built: Built) -> None:
    raw = scalar(built.settings, "select count(*) from raw_shop.order_lines")
    assert raw > 5_000
    assert scalar(built.settings, "select count(*) from staging.fct_sales") == raw
    assert (
        scalar(built.settings, "select count(distinct order_line_id) from staging.fct_sales") == raw
    )


def test_completed_sales_equal_the_raw_total(built: Built) -> None:
    raw_total = scalar(built.settings, f"select sum(amount) from ({RAW_COMPLETED})")
    all_lines = scalar(
        built.settings, "select sum(quantity * unit_price) from raw_shop.order_lines"
    )
    assert Decimal(0) < raw_total < all_lines  # some orders are cancelled, and they do not count
    fct_total = scalar(
        built.settings,
        "select sum(amount) from staging.fct_sales where order_status = 'completed'",
    )
    assert fct_total == raw_total
    cancelled = scalar(built.settings, "select count(*) from staging.fct_sales where is_cancelled")
    assert cancelled == scalar(
        built.settings,
        "select count(*) from raw_shop.order_lines join raw_shop.orders using (order_id) "
        "where status = 'cancelled'",
    )


def test_rollup_by_year_and_country(built: Built) -> None:
    raw_total = scalar(built.settings, f"select sum(amount) from ({RAW_COMPLETED})")
    rows = reports(built.settings)["rpt_sales_by_year_country"]
    totals = [r for r in rows if r[2] == "total"]
    assert totals == [(None, None, "total", raw_total)]
    pairs, years = query(
        built.settings,
        f"select count(distinct (year, country)), count(distinct year) from ({RAW_COMPLETED})",
    )[0]
    assert len(rows) == pairs + years + 1
    per_year = dict(
        query(built.settings, f"select year, sum(amount) from ({RAW_COMPLETED}) group by 1")
    )
    assert {r[0]: r[3] for r in rows if r[2] == "year"} == per_year


def test_other_reports_add_up_to_the_same_total(built: Built) -> None:
    raw_total = scalar(built.settings, f"select sum(amount) from ({RAW_COMPLETED})")
    built_reports = reports(built.settings)
    per_country = built_reports["rpt_total_sales_per_country"]
    assert sum(total for _, total in per_country) == raw_total
    by_country_category = built_reports["rpt_sales_by_country_category"]
    assert {r[2] for r in by_country_category} == {
        "country_category",
        "country",
        "category",
        "total",
    }
    assert [r[3] for r in by_country_category if r[2] == "total"] == [raw_total]
    assert {(r[0], r[3]) for r in by_country_category if r[2] == "country"} == set(per_country)


def test_cube_averages_round_half_up_to_the_cent(built: Built) -> None:
    lines: dict[tuple[Any, Any], list[Decimal]] = defaultdict(list)
    for year, country, amount in query(built.settings, RAW_COMPLETED):
        for key in ((year, country), (year, None), (None, country), (None, None)):
            lines[key].append(amount)
    expected = {
        key: (len(v), (sum(v) / len(v)).quantize(Decimal("0.01"), ROUND_HALF_UP))
        for key, v in lines.items()
    }
    cube = reports(built.settings)["rpt_avg_sales_by_year_country"]
    assert {(r[0], r[1]): (r[3], r[4]) for r in cube} == expected
    assert len(cube) == len(expected)
    assert {r[2] for r in cube} == {"year_country", "year", "country", "total"}


def test_monthly_category_and_quarterly_item_reports_equal_the_raw_sales(built: Built) -> None:
    completed = """
        select o.ordered_at, c.name as category, l.product_id, p.item,
               l.quantity * l.unit_price as amount
        from raw_shop.order_lines l
        join raw_shop.orders o using (order_id)
        join raw_shop.products p using (product_id)
        join raw_shop.categories c using (category_id)
        where o.status = 'completed'
    """
    built_reports = reports(built.settings)
    monthly = query(
        built.settings,
        "select extract(year from ordered_at), extract(month from ordered_at), sum(amount) "
        f"from ({completed}) group by 1, 2",
    )
    assert built_reports["rpt_monthly_sales"] == sorted(monthly, key=repr)
    assert len(monthly) == 36  # 2019 to 2021
    by_category = query(
        built.settings, f"select category, sum(amount) from ({completed}) group by 1"
    )
    assert built_reports["rpt_sales_by_category"] == sorted(by_category, key=repr)
    by_item = query(
        built.settings,
        "select extract(year from ordered_at), extract(quarter from ordered_at), product_id, "
        f"item, sum(amount) from ({completed}) group by 1, 2, 3, 4",
    )
    assert built_reports["rpt_quarterly_sales_by_item"] == sorted(by_item, key=repr)


def test_the_other_facts_and_dimensions_hold_every_raw_row(built: Built) -> None:
    def same_count(mart: str, raw: str) -> None:
        assert scalar(built.settings, f"select count(*) from {mart}") == scalar(
            built.settings, f"select count(*) from {raw}"
        ), mart

    same_count("staging.fct_web_requests", "raw_weblogs.access_log")
    same_count("staging.fct_search_terms", "raw_searchterms.searches")
    same_count("staging.dim_product_attributes", "raw_catalog.products")
    same_count("staging.dim_product_price", "raw_shop.price_history")
    same_count("staging.dim_customer", "raw_shop.customers")  # one version each, so far
    stock = "select product_id, cast(updated_at as date), quantity_on_hand from raw_shop.inventory"
    daily = "select product_id, inventory_date, quantity_on_hand from staging.fct_inventory_daily"
    assert sorted(query(built.settings, daily)) == sorted(query(built.settings, stock))
    terms = query(
        built.settings,
        "select f.date_key, f.search_term from staging.fct_search_terms f "
        "join raw_searchterms.searches r on f.search_id = r.source_file || ':' || r.row_number "
        "where f.date_key <> r.year * 10000 + r.month * 100 + r.day "
        "or f.search_term <> r.searchterm",
    )
    assert terms == []


def test_first_versions_are_valid_from_the_beginning_to_the_end_of_time(built: Built) -> None:
    for dimension in ("dim_customer", "dim_product_price"):
        bounds = query(
            built.settings,
            "select distinct cast(valid_from as varchar), cast(valid_to as varchar), is_current "
            f"from staging.{dimension} where version_number = 1 and is_current",
        )
        assert bounds == [("1900-01-01 00:00:00", "9999-12-31 00:00:00", True)], dimension
    # so every sale, however old, found its customer's and its price's version
    assert (
        scalar(
            built.settings,
            "select count(*) from staging.fct_sales "
            "where customer_key is null or product_key is null",
        )
        == 0
    )


def test_dim_date_has_no_gaps_and_covers_every_event(built: Built) -> None:
    first, last, days, distinct = query(
        built.settings,
        "select min(date), max(date), count(*), count(distinct date) from staging.dim_date",
    )[0]
    assert days == distinct == (last - first).days + 1
    missing = scalar(
        built.settings,
        "select count(*) from (select cast(ordered_at as date) as d from raw_shop.orders "
        "union select cast(time as date) from raw_weblogs.access_log) as events "
        "where d not in (select date from staging.dim_date)",
    )
    assert missing == 0
    row = query(
        built.settings,
        "select date_key, year, quarter, month, month_name, week, day_of_month, weekday, "
        "weekday_name, is_weekend from staging.dim_date where date_key = 20200229",
    )
    assert row == [(20200229, 2020, 1, 2, "February", 9, 29, 6, "Saturday", True)]
    assert first + timedelta(days=days - 1) == last


def test_a_failing_test_is_reported_not_raised(built: Built, tmp_path: Path) -> None:
    broken = settings_for(tmp_path)
    shutil.copy(
        built.settings.local_file(built.settings.warehouse_url),
        broken.local_file(broken.warehouse_url),
    )
    path = broken.local_file(broken.warehouse_url)
    with duckdb.connect(str(path)) as con:
        con.execute("update raw_shop.orders set status = 'refunded' where order_id = 1")
    result = build(broken)
    assert not result.success
    assert len(result.failures) == 1
    assert result.failures[0].startswith("accepted_values_stg_shop__orders_order_status")
    # dbt build skips what depends on a failed test, so no mart is built from bad data.
    assert result.models < built.result.models


def test_a_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArmazemError, match="does not exist"):
        build(settings_for(tmp_path))


def test_source_freshness_checks_every_table_with_a_timestamp(built: Built) -> None:
    statuses = freshness(built.settings)
    assert set(statuses) == {
        "shop.customers", "shop.products", "shop.price_history", "shop.inventory",
        "shop.orders", "shop.order_lines", "weblogs.access_log",
    }  # fmt: skip
    # The simulated history ends on 2021-12-31: every table is days past its error threshold.
    assert set(statuses.values()) == {"error"}
