"""The dashboards in a real browser (Debian's Chromium through Playwright), on a warehouse built by
the real pipeline: every page draws its charts without an exception, the figures shown are the
warehouse's to the cent, and a filter changes them.

The warehouse is built once per session with `armazem run --scale 0.01` (about 10,000 order
lines; conftest.py). To measure the pages on another warehouse, e.g. at scale 1, point the tests
at its data directory:

    DASHBOARD_TEST_DATA_DIR=/tmp/s5 .venv/bin/pytest tests/dashboard/test_pages.py -s

Load times are printed (and kept in tests/artifacts/page_times.json), not asserted.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.dashboard import browser as b

PAGES = {  # title -> (url path, charts drawn); the catalog draws one more once stock exists,
    # the sales page one more once the forecast exists
    "Sales": ("", 4),  # the default page: at the root
    "Catalog": ("catalog", 2),
    "Web traffic": ("web_traffic", 5),
    "Data health": ("data_health", 3),
}


@pytest.fixture(scope="module")
def warehouse(data_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read directly: the figures the pages must show."""
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def charts(warehouse: duckdb.DuckDBPyConnection) -> dict[str, int]:
    (stock,) = warehouse.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'production' AND table_name = 'fct_inventory_daily'"
    ).fetchone()
    (forecast,) = warehouse.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'production' AND table_name = 'rpt_sales_forecast'"
    ).fetchone()
    expected = {title: count for title, (_, count) in PAGES.items()}
    expected["Catalog"] += stock
    expected["Sales"] += forecast  # the Spark ML forecast, once it is published
    return expected


@pytest.fixture(scope="module")
def server(data_dir: Path, warehouse: duckdb.DuckDBPyConnection) -> Iterator[str]:
    with b.dashboard(data_dir) as url:
        yield url


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


# --- every page ---------------------------------------------------------------------------------


def test_every_page_draws_its_charts_without_an_exception(
    server: str, page: Any, chromium: Any, charts: dict[str, int]
) -> None:
    """Runs first: 'first visit' is each page's first load on a fresh server (queries not
    cached yet); 'reload' loads it again; 'in-app' arrives from another page by the sidebar."""
    times: dict[str, dict[str, float]] = {}
    for title, (path, _) in PAGES.items():
        first = b.open_page(page, f"{server}/{path}", charts[title])
        assert b.exceptions(page) == [], title
        assert page.locator('[data-testid="stDialog"]').count() == 0, title  # "page not found"
        assert page.locator("h1").first.inner_text().startswith(title)
        assert page.locator(b.CHARTS).count() >= charts[title], title
        page.reload(wait_until="commit")
        again = b.settle(page, charts[title])
        times[title] = {"first visit": first, "reload": again}
    b.open_page(page, f"{server}/data_health", charts["Data health"])
    for title in PAGES:
        times[title]["in-app navigation"] = b.navigate(page, title, charts[title])
        assert b.exceptions(page) == [], title
    b.report_times("page_times", times)


# --- the figures are the warehouse's ------------------------------------------------------------

COMPLETED = "FROM production.fct_sales WHERE NOT is_cancelled"


def test_sales_kpis_and_monthly_figures_equal_the_warehouse(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection, charts: dict[str, int]
) -> None:
    revenue, orders = warehouse.execute(
        f"SELECT sum(amount), count(DISTINCT order_id) {COMPLETED}"
    ).fetchone()
    monthly = warehouse.execute(
        f"SELECT strftime(ordered_at, '%Y-%m'), sum(amount) {COMPLETED} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    b.open_page(page, f"{server}/", charts["Sales"])
    assert money(b.metric(page, "Revenue")) == revenue
    assert int(b.metric(page, "Orders").replace(",", "")) == orders
    assert money(b.metric(page, "Average order value")) == round(revenue / orders, 2)
    shown = [(row["Month"], money(row["Sales"])) for row in b.figures(page, "Monthly figures")]
    assert shown == monthly


def test_a_country_filter_changes_every_figure(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection, charts: dict[str, int]
) -> None:
    (country,) = warehouse.execute(
        "SELECT c.country FROM production.fct_sales f JOIN production.dim_country c "
        "USING (country_id) WHERE NOT f.is_cancelled GROUP BY 1 ORDER BY sum(amount) DESC LIMIT 1"
    ).fetchone()
    where = f"{COMPLETED} AND country_id = (SELECT country_id FROM production.dim_country " \
            "WHERE country = ?)"  # fmt: skip
    revenue, orders = warehouse.execute(
        f"SELECT sum(amount), count(DISTINCT order_id) {where}", [country]
    ).fetchone()
    monthly = warehouse.execute(
        f"SELECT strftime(ordered_at, '%Y-%m'), sum(amount) {where} GROUP BY 1 ORDER BY 1",
        [country],
    ).fetchall()
    categories = warehouse.execute(
        "SELECT c.category, sum(f.amount) FROM production.fct_sales f JOIN production.dim_category"
        " c USING (category_id) WHERE NOT f.is_cancelled AND f.country_id = (SELECT country_id "
        "FROM production.dim_country WHERE country = ?) GROUP BY 1 ORDER BY 2 DESC, 1",
        [country],
    ).fetchall()

    b.open_page(page, f"{server}/", charts["Sales"])
    before = b.metric(page, "Revenue")
    b.choose(page, "Country", country)
    page.wait_for_function(  # until the Revenue figure itself has been redrawn
        """old => { const box = [...document.querySelectorAll('[data-testid=stMetric]')].find(
                      m => (m.querySelector('[data-testid=stMetricLabel]') || {}).innerText
                           ?.includes('Revenue'));
                    const value = box && box.querySelector('[data-testid=stMetricValue]');
                    return value && value.innerText.trim() !== old; }""",
        arg=before, timeout=30_000,
    )  # fmt: skip
    b.settle(page, charts["Sales"])
    assert b.exceptions(page) == []
    assert money(b.metric(page, "Revenue")) == revenue != money(before)
    assert int(b.metric(page, "Orders").replace(",", "")) == orders
    shown = [(row["Month"], money(row["Sales"])) for row in b.figures(page, "Monthly figures")]
    assert shown == monthly
    by_category = [(r["Category"], money(r["Sales"])) for r in b.figures(page, "Category figures")]
    assert by_category == categories
    countries = [row["Country"] for row in b.figures(page, "Country figures")]
    assert countries == [country]
    assert "country=" in page.url  # the filter is in the address: a shareable view


def test_catalog_web_and_health_figures_equal_the_warehouse(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection, charts: dict[str, int]
) -> None:
    (products,) = warehouse.execute("SELECT count(*) FROM production.dim_product").fetchone()
    b.open_page(page, f"{server}/catalog", charts["Catalog"])
    assert int(b.metric(page, "Products").replace(",", "")) == products

    requests, errors = warehouse.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_error) FROM production.fct_web_requests"
    ).fetchone()
    b.open_page(page, f"{server}/web_traffic", charts["Web traffic"])
    assert int(b.metric(page, "Requests").replace(",", "")) == requests
    assert int(b.metric(page, "Errors (status ≥ 400)").replace(",", "")) == errors
    daily = b.figures(page, "Daily figures")
    assert sum(int(row["Requests"].replace(",", "")) for row in daily) == requests
    (visits,) = warehouse.execute("SELECT count(*) FROM production.fct_web_sessions").fetchone()
    assert int(b.metric(page, "Visits").replace(",", "")) == visits > 0  # Spark's, via the mart

    run_id, status = warehouse.execute(
        "SELECT run_id, max(status) FROM _armazem.runs GROUP BY run_id "
        "ORDER BY min(started_at) DESC LIMIT 1"
    ).fetchone()
    b.open_page(page, f"{server}/data_health", charts["Data health"])
    assert b.metric(page, "Last run") == status == "success"
    assert run_id in page.locator('[data-testid="stMetric"]').first.inner_text()
    loads = b.figures(page, "Table loads")
    (tables,) = warehouse.execute("SELECT count(*) FROM _armazem.loads").fetchone()
    assert len(loads) == min(tables, 60)


# --- a missing, locked or empty warehouse is a message, not a traceback -------------------------


def test_missing_locked_and_empty_warehouse_show_a_message(tmp_path: Path, chromium: Any) -> None:
    data = tmp_path / "data"
    data.mkdir()
    context = chromium.new_context()
    page = context.new_page()
    with b.screenshot_on_failure(page, "missing_warehouse"), b.dashboard(data) as url:
        b.open_page(page, f"{url}/", 0)
        assert b.exceptions(page) == []
        assert "does not exist yet" in page.locator('[data-testid="stAlert"]').first.inner_text()

        writer = duckdb.connect(str(data / "warehouse.duckdb"))  # a load holding the file
        try:
            b.open_page(page, f"{url}/catalog", 0)
            assert b.exceptions(page) == []
            assert "being written" in page.locator('[data-testid="stAlert"]').first.inner_text()
        finally:
            writer.close()

        b.open_page(page, f"{url}/web_traffic", 0)  # the file exists, nothing is published
        assert b.exceptions(page) == []
        assert (
            "no production.fct_web_requests"
            in page.locator('[data-testid="stAlert"]').first.inner_text()
        )
        with duckdb.connect(str(data / "warehouse.duckdb")) as writer:  # published, but empty
            writer.execute("CREATE SCHEMA production")
            writer.execute(
                "CREATE TABLE production.fct_web_requests (request_id VARCHAR, date_key INTEGER,"
                " requested_at TIMESTAMP, ip VARCHAR, method VARCHAR, path VARCHAR,"
                " status INTEGER, bytes BIGINT, is_error BOOLEAN)"
            )
        b.open_page(page, f"{url}/web_traffic", 0)  # "not built" was not cached
        assert b.exceptions(page) == []
        alert = page.locator('[data-testid="stAlert"]').first.inner_text()
        assert "no web requests in the warehouse yet" in alert
        b.open_page(page, f"{url}/data_health", 0)
        assert b.exceptions(page) == []
        assert "no _armazem.runs" in page.locator('[data-testid="stAlert"]').first.inner_text()
    context.close()


# --- failures and quarantine, on a copy of the warehouse -----------------------------------------

FAILURE = "2 model(s) or test(s) failed, production left as it was: not_null_fct_sales_amount"
QUARANTINED = [
    ("shop", "orders", "status is not completed or cancelled", '{"order_id": 7, "status": "lost"}'),
    ("shop", "orders", "status is not completed or cancelled", '{"order_id": 9, "status": "??"}'),
    (
        "weblogs",
        "access_log",
        "access-2021-12-01.log line 3: not a combined-format line",
        "GARBAGE",
    ),
]


def test_failed_steps_and_quarantined_records_are_shown(
    data_dir: Path, tmp_path: Path, page: Any, charts: dict[str, int]
) -> None:
    copy = tmp_path / "data"
    copy.mkdir()
    shutil.copy(data_dir / "warehouse.duckdb", copy / "warehouse.duckdb")
    with duckdb.connect(str(copy / "warehouse.duckdb")) as con:
        con.execute(
            "INSERT INTO _armazem.runs SELECT 'f41led000001', 'transform', "
            "max(started_at) + INTERVAL 1 HOUR, max(started_at) + INTERVAL 61 MINUTE, NULL, "
            "'failed', ? FROM _armazem.runs", [FAILURE]
        )  # fmt: skip
        for source, table, reason, record in QUARANTINED:
            con.execute(
                "INSERT INTO _armazem.quarantine VALUES ('L-test', ?, ?, ?, ?, now())",
                [source, table, reason, record],
            )
    with b.dashboard(copy) as url:
        b.open_page(page, f"{url}/data_health", charts["Data health"])
        assert b.exceptions(page) == []
        assert b.metric(page, "Last run") == "failed"
        assert b.metric(page, "Failed steps") == "1"
        tables = page.locator('[data-testid="stTable"]').filter(visible=True)
        failing = tables.filter(has_text="f41led000001")
        assert FAILURE in failing.first.inner_text()
        # The most frequent (source, table, reason) is shown first, with its records.
        samples = page.locator('[data-testid="stTable"]').last
        assert '"status": "lost"' in samples.inner_text()
        assert '"status": "??"' in samples.inner_text()
        weblogs, _, reason, _ = QUARANTINED[2]
        b.choose(page, "Source table and reason", f"{weblogs}.access_log: {reason} (1 record)",
                 typed="weblogs")  # fmt: skip
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stTable]')]"
            ".some(t => t.innerText.includes('GARBAGE'))", timeout=30_000
        )  # fmt: skip
        assert "lost" not in page.locator('[data-testid="stTable"]').last.inner_text()
        assert b.exceptions(page) == []


def test_the_tables_page_shows_marts_and_raw_tables_with_personal_data_masked(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection
) -> None:
    b.open_page(page, f"{server}/tables", 0)
    page.locator('[data-testid="stTable"] table').wait_for()
    assert b.exceptions(page) == []
    assert page.locator("h1").first.inner_text().startswith("Tables")
    b.choose(page, "Schema", "raw_shop")
    b.choose(page, "Table", "customers")
    (rows,) = warehouse.execute("SELECT count(*) FROM raw_shop.customers").fetchone()
    caption = page.get_by_text("raw_shop.customers:")
    caption.wait_for()
    assert f"{rows:,} rows; the first 100 shown" in caption.inner_text()
    table = page.locator('[data-testid="stTable"] table')
    page.wait_for_function(  # the rerun after the choice has redrawn the table
        "() => [...document.querySelectorAll('[data-testid=stTable] thead th')]"
        ".some(h => h.innerText.trim() === 'segment')", timeout=30_000,
    )  # fmt: skip
    head = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert "email" in head and "segment" in head
    assert "first_name" not in head and "last_name" not in head  # dropped
    emails = {e for (e,) in warehouse.execute("SELECT email FROM raw_shop.customers").fetchall()}
    shown = table.inner_text()
    assert not [e for e in emails if e and e in shown]  # hashed, never in clear
    keyed = {hmac.new(b.PSEUDONYM_KEY.encode(), e.encode(), "sha256").hexdigest() for e in emails
             if e}  # fmt: skip
    plain = {hashlib.sha256(e.encode()).hexdigest() for e in emails if e}
    assert [k for k in keyed if k in shown] and not [p for p in plain if p in shown]


def test_the_sales_forecast_is_drawn_with_the_marts_figures(
    server: str, page: Any, warehouse: duckdb.DuckDBPyConnection, charts: dict[str, int]
) -> None:
    (category,) = warehouse.execute(
        "SELECT min(category) FROM production.rpt_sales_forecast"
    ).fetchone()
    ahead = warehouse.execute(
        "SELECT predicted, lower, upper FROM production.rpt_sales_forecast "
        "WHERE category = ? AND is_forecast ORDER BY month", [category],
    ).fetchall()  # fmt: skip
    b.open_page(page, f"{server}/", charts["Sales"])
    assert b.exceptions(page) == []
    assert charts["Sales"] == PAGES["Sales"][1] + 1  # the forecast chart is drawn
    shown = b.figures(page, "Forecast figures")
    assert len(shown) == len(ahead) == 12
    for row, (predicted, lower, upper) in zip(shown, ahead, strict=True):
        cents = [
            Decimal(v).quantize(Decimal("0.01"), ROUND_HALF_UP) for v in (lower, predicted, upper)
        ]
        assert [money(row[k]) for k in ("Low", "Forecast", "High")] == cents
        assert cents == sorted(cents)


# --- what the server adds to Streamlit's ---------------------------------------------------------


def test_static_files_are_served_compressed_and_cacheable(server: str) -> None:
    """Streamlit's scripts come gzip-compressed (once their copy is made, in the background when
    the server starts) and cacheable for a year; decompressed, they are the files themselves. A
    client that takes no gzip gets the file as it is."""
    from armazem.dashboard import assets

    with urllib.request.urlopen(server) as answer:
        script = re.search(r'src="\./(static/js/[^"]+\.js)"', answer.read().decode()).group(1)
    original = (assets.static_dir() / script).read_bytes()
    deadline = time.monotonic() + 60
    while True:
        asked = urllib.request.Request(f"{server}/{script}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(asked) as answer:
            body, headers = answer.read(), answer.headers
        if headers.get("Content-Encoding") == "gzip" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, immutable, max-age=31536000"
    assert len(body) < len(original) / 2
    assert gzip.decompress(body) == original
    with urllib.request.urlopen(f"{server}/{script}") as answer:
        assert answer.headers.get("Content-Encoding") is None
        assert answer.read() == original
