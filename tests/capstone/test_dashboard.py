"""Capstone module 4 (dashboard) on the real ecommerce.csv: the figures against an independent
count with the csv module, the load through the engine, and the Sales page on that data set in a
real browser (Debian's Chromium) showing the three charts the capstone asks for.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.dashboard import browser as b

from armazem.capstone import dashboard
from armazem.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The repository's settings, with data (warehouse, lake) in a temporary folder."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("ARMAZEM_PROFILE", "ARMAZEM_DATA_DIR", "ARMAZEM_WAREHOUSE_URL"):
            env.delenv(name, raising=False)
        base = load_settings(REPO / "examples/softcart/armazem.toml", "embedded")
    return base.model_copy(update={"data_dir": tmp_path_factory.mktemp("capstone") / "data"})


@pytest.fixture(scope="module")
def figures(settings: Settings) -> dict[str, Any]:
    return dashboard.run(settings)


@pytest.fixture(scope="module")
def expected(settings: Settings) -> dict[str, Any]:
    """The three figures, counted from the file with the csv module (prices are integers)."""
    monthly: Counter[int] = Counter()
    categories: Counter[str] = Counter()
    mobile: Counter[int] = Counter()
    path = settings.capstone_path / dashboard.CSV_NAME
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            price = int(row["price"])
            if row["year"] == "2020":
                monthly[int(row["month"])] += price
            categories[row["category"]] += price
            if row["item"] == "Mobile":
                mobile[int(row["quarter"])] += price
    return {"monthly_2020": dict(monthly), "by_category": dict(categories),
            "mobile_by_quarter": dict(mobile), "rows": sum(1 for _ in path.open()) - 1}  # fmt: skip


def test_figures_equal_an_independent_count(figures: dict[str, Any], expected) -> None:
    assert set(figures) == {"monthly_2020", "by_category", "mobile_by_quarter"}
    assert figures["monthly_2020"] == expected["monthly_2020"]
    assert list(figures["monthly_2020"]) == list(range(1, 13))
    assert figures["by_category"] == expected["by_category"]
    assert figures["mobile_by_quarter"] == expected["mobile_by_quarter"]
    assert list(figures["mobile_by_quarter"]) == [1, 2, 3, 4]
    totals = [*figures["monthly_2020"].values(), *figures["by_category"].values()]
    assert all(type(t) is int for t in totals)  # whole totals are ints, not 1234.0


def test_the_file_is_a_source_like_any_other(figures, expected, settings: Settings) -> None:
    with duckdb.connect(str(settings.data_path / "warehouse.duckdb"), read_only=True) as con:
        rows, total = con.execute(
            "SELECT count(*), sum(price) FROM raw_capstone.ecommerce"
        ).fetchone()
        kind = con.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = "
            "'raw_capstone' AND table_name = 'ecommerce' AND column_name = 'price'"
        ).fetchone()
        ledger = con.execute(
            "SELECT rows_read, rows_loaded, rows_quarantined FROM _armazem.loads "
            "WHERE source = 'capstone' AND table_name = 'ecommerce'"
        ).fetchall()
    assert rows == expected["rows"] == 68_003
    assert total == Decimal(sum(expected["by_category"].values()))
    assert kind == ("DECIMAL(10,2)",)
    assert ledger == [(68_003, 68_003, 0)]


def test_a_second_run_replaces_the_data_and_gives_the_same_figures(
    figures: dict[str, Any], settings: Settings
) -> None:
    assert dashboard.run(settings) == figures
    with duckdb.connect(str(settings.data_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw_capstone.ecommerce").fetchone() == (68_003,)


def test_the_cli_prints_one_json_object(
    settings: Settings, expected, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    """`armazem capstone dashboard --json`, with the module in MODULES as the lead registers it
    (set here too, so this test does not depend on that line)."""
    from armazem import capstone
    from armazem.cli import app

    monkeypatch.setitem(capstone.MODULES, "dashboard", dashboard.run)
    for name, value in b.armazem_env(settings.data_path).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        app(["capstone", "dashboard", "--json"], prog_name="armazem")
    assert stopped.value.code in (0, None)
    printed = capfd.readouterr().out
    assert printed.count("\n") == 1
    document = json.loads(printed)  # exactly one object: json.loads rejects anything more
    assert document["monthly_2020"] == {str(m): t for m, t in expected["monthly_2020"].items()}
    assert document["by_category"] == expected["by_category"]
    assert document["mobile_by_quarter"] == {
        str(q): t for q, t in expected["mobile_by_quarter"].items()
    }


@pytest.fixture(scope="module")
def page(figures: dict[str, Any], settings: Settings) -> Iterator[Any]:
    with b.browser() as chromium, b.dashboard(settings.data_path, dataset="capstone") as url:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        opened = context.new_page()
        opened.goto(url, wait_until="commit")
        opened.dashboard_url = url
        yield opened
        context.close()


def test_the_sales_page_shows_the_three_charts(page: Any, figures: dict[str, Any]) -> None:
    with b.screenshot_on_failure(page, "capstone_sales_page"):
        b.settle(page, 3)
        assert b.exceptions(page) == []
        assert b.chart_kinds(page) == ["line", "pie", "bar"]
        titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
        assert titles == ["Sales by month", "Sales by category", "Quarterly sales of Mobile"]
        monthly = b.figures(page, "Monthly figures")
        assert [r["Month"] for r in monthly] == [f"2020-{m:02d}" for m in range(1, 13)]
        assert [Decimal(r["Sales"].replace(",", "")) for r in monthly] == list(
            figures["monthly_2020"].values()
        )
        categories = {r["Category"]: Decimal(r["Sales"].replace(",", ""))
                      for r in b.figures(page, "Category figures")}  # fmt: skip
        assert categories == figures["by_category"]
        quarters = b.figures(page, "Quarterly figures")
        assert [Decimal(r["Sales"].replace(",", "")) for r in quarters] == list(
            figures["mobile_by_quarter"].values()
        )
        revenue = Decimal(b.metric(page, "Revenue").replace(",", ""))
        assert revenue == sum(figures["by_category"].values())
