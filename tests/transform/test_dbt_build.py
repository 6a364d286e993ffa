"""The dbt project built on a real warehouse: the pipeline's own output at scale 0.01.

The numbers the marts report are checked against the raw tables directly, so a join that drops or
duplicates lines, or a report that counts cancelled orders, fails here.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from armazem.errors import ArmazemError
from armazem.ingest.pipeline import ingest
from armazem.settings import Settings, load_settings
from armazem.simulate import softcart
from armazem.transform import PROJECT_DIR, PUBLISHED_PREFIXES, BuildResult, build

REPO = Path(__file__).resolve().parents[2]
REPORTS = (
    "rpt_sales_by_year_country",
    "rpt_sales_by_country_category",
    "rpt_avg_sales_by_year_country",
    "rpt_total_sales_per_country",
)
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


def settings_for(data: Path) -> Settings:
    """The embedded profile with every file (sources, lake, warehouse, dbt's output) in `data`."""
    base = load_settings(config=REPO / "armazem.toml", profile="embedded")
    return base.model_copy(update={"data_dir": data, "scale": 0.01})


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows from the warehouse; the connection is closed at once so dbt can open the file."""
    path = settings.local_file(settings.warehouse_url)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def scalar(settings: Settings, sql: str) -> Any:
    return query(settings, sql)[0][0]


def reports(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: sorted(query(settings, f"select * from staging.{name}"), key=repr) for name in REPORTS
    }


@dataclass
class Built:
    settings: Settings
    result: BuildResult
    events: list[tuple[str, str]]
    reports: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    settings = settings_for(tmp_path_factory.mktemp("data"))
    softcart.create(settings)
    ingest(settings)
    events: list[tuple[str, str]] = []
    result = build(settings, on_event=lambda name, status: events.append((name, status)))
    yield Built(settings, result, events, reports(settings) if result.success else {})


def test_build_succeeds_and_reports_progress(built: Built) -> None:
    result = built.result
    assert result.failures == []
    assert result.success
    model_files = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    assert result.models == len(model_files)
    assert result.tests >= 100
    assert result.seconds > 0
    finished = {name: status for name, status in built.events}
    assert {name for name in model_files} <= set(finished)
    assert set(finished.values()) <= {"success", "pass"}
    assert len(built.events) == result.models + result.tests


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
    assert len(published) == 11
    assert {t for _, t in published} == {"BASE TABLE"}


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
    rows = built.reports["rpt_sales_by_year_country"]
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
    per_country = built.reports["rpt_total_sales_per_country"]
    assert sum(total for _, total in per_country) == raw_total
    by_country_category = built.reports["rpt_sales_by_country_category"]
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
    cube = built.reports["rpt_avg_sales_by_year_country"]
    assert {(r[0], r[1]): (r[3], r[4]) for r in cube} == expected
    assert len(cube) == len(expected)
    assert {r[2] for r in cube} == {"year_country", "year", "country", "total"}


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


def test_a_second_build_gives_identical_reports(built: Built) -> None:
    again = build(built.settings)
    assert again.success, again.failures
    assert reports(built.settings) == built.reports


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
