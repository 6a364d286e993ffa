"""`armazem export`, `armazem dashboard` and `armazem bi` from the command line, and the small
pure pieces of the dashboards (number formats, periods, masking, the Streamlit command line)."""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from tests.dashboard import browser as b
from tests.softcart import PERSONAL, QUERIES

from armazem.dashboard import fmt, launch, queries, ui
from armazem.settings import load_settings


def armazem(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "armazem", *args], env=b.armazem_env(data_dir),
                          cwd=b.REPO, capture_output=True, text=True, timeout=300)  # fmt: skip


def test_export_csv_and_parquet_equal_the_table(data_dir: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows, total = con.execute(
            "SELECT count(*), sum(amount) FROM production.fct_sales"
        ).fetchone()
    done = armazem(data_dir, "export", "fct_sales", "--out", str(tmp_path / "sales.csv"))
    assert done.returncode == 0, done.stderr
    assert f"{rows:,} rows of fct_sales written to {tmp_path / 'sales.csv'}" in done.stdout
    with (tmp_path / "sales.csv").open(newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == rows
    assert sum(Decimal(line["amount"]) for line in lines) == total

    target = tmp_path / "sales.parquet"
    done = armazem(data_dir, "export", "production.fct_sales", "--format", "parquet", "--out",
                   str(target))  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pq.read_table(target)
    assert table.num_rows == rows
    assert str(table.schema.field("amount").type) == "decimal128(18, 2)"
    assert sum(table.column("amount").to_pylist()) == total
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "raw_shop.orders"), "production has no table 'raw_shop.orders'"),
        (("export", "fct_sales", "--format", "xlsx"), "unknown export format 'xlsx'"),
        (("dashboard", "--dataset", "nope"), "unknown data set 'nope'"),
        (("bi",), "BI access needs the PostgreSQL warehouse"),
    ],
)
def test_user_errors_are_one_line(data_dir: Path, args: tuple[str, ...], message: str) -> None:
    done = armazem(data_dir, *args)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {message}")
    assert "Traceback" not in done.stderr


def test_export_of_a_missing_warehouse_says_how_to_build_it(tmp_path: Path) -> None:
    done = armazem(tmp_path / "data", "export", "fct_sales")
    assert done.returncode == 2
    assert "does not exist yet (fix: build it with `armazem run`)" in done.stderr


def test_the_streamlit_command_line_and_environment(tmp_path: Path) -> None:
    command = launch.command("0.0.0.0", 8600, "capstone")
    assert command[1:5] == ["-m", "armazem.dashboard.serve", "run", str(launch.SERVER)]
    for flag, value in [
        ("--server.headless", "true"),
        ("--server.address", "0.0.0.0"),
        ("--server.port", "8600"),
        ("--browser.gatherUsageStats", "false"),
    ]:
        assert command[command.index(flag) + 1] == value  # fmt: skip
    assert command[-3:] == ["--", "--dataset", "capstone"]
    settings = load_settings(
        b.REPO / "examples/softcart/armazem.toml", "embedded", data_dir=tmp_path / "d"
    )
    env = launch.environment(settings, b.REPO / "examples/softcart/armazem.toml")
    assert env["ARMAZEM_PROFILE"] == "embedded"
    assert env["ARMAZEM_DATA_DIR"] == str(tmp_path / "d")
    assert env["ARMAZEM_PROJECT"] == str(b.REPO / "examples/softcart/armazem.toml")


def test_money_is_rounded_to_the_cent_only_when_shown() -> None:
    assert fmt.money(Decimal("1234567.891")) == "1,234,567.89"
    assert fmt.money(Decimal("0.005")) == "0.01"  # half up, not to even
    assert fmt.money(Decimal("2.675")) == "2.68"  # a float would give 2.67
    assert fmt.money(None) == "-"
    assert fmt.change(Decimal(110), Decimal(100)) == "+10.0% vs previous period"
    assert fmt.change(Decimal(110), Decimal(0)) is None
    assert fmt.change(Decimal(-50), Decimal(-100)) == "+50.0% vs previous period"  # a smaller loss


def test_rates_and_durations_are_shown_with_one_decimal() -> None:
    assert fmt.percent(0.21875) == "21.9%"
    assert fmt.percent(None) == "-"
    assert fmt.hours(1947) == "32.5 h"
    assert fmt.hours_change(2410.0, 2345.0) == "+1.1 h vs previous period"
    assert fmt.points_change(0.211, 0.230) == "-1.9 pts vs previous period"
    assert fmt.points_change(0.2, None) is None
    assert fmt.month(date(2024, 5, 17)) == "2024-05"


def test_a_month_period_and_its_previous_one() -> None:
    year = ui.Months(date(2025, 1, 1), date(2025, 12, 1))
    assert (year.count, year.last_day) == (12, date(2025, 12, 31))
    assert year.previous() == ui.Months(date(2024, 1, 1), date(2024, 12, 1))
    february = ui.Months(date(2024, 2, 1), date(2024, 2, 1))
    assert february.last_day == date(2024, 2, 29)
    assert february.previous() == ui.Months(date(2024, 1, 1), date(2024, 1, 1))
    assert february.label() == "2024-02" and year.label() == "2025-01 to 2025-12"
    assert ui.shift_month(date(2024, 11, 1), 3) == date(2025, 2, 1)


def test_the_previous_period_has_the_same_length() -> None:
    year = QUERIES.SalesFilter(date(2020, 1, 1), date(2020, 12, 31), ("Brazil",))
    assert year.previous() == QUERIES.SalesFilter(
        date(2018, 12, 31), date(2019, 12, 31), ("Brazil",)
    )
    day = QUERIES.SalesFilter(date(2021, 3, 1), date(2021, 3, 1))
    assert (day.previous().start, day.previous().end) == (date(2021, 2, 28), date(2021, 2, 28))


def test_personal_columns_are_hashed_or_left_out() -> None:
    select = queries.masked_select(
        ["customer_id", "email", "first_name", "last_name", "segment"], PERSONAL, "h({})"
    )
    assert select == '"customer_id", h("email") AS "email", "segment"'


def test_compressed_copies_are_made_once_and_only_of_the_static_files(tmp_path: Path) -> None:
    from armazem.dashboard.assets import Compressed

    root, cache = tmp_path / "site", tmp_path / "cache"
    (root / "static" / "js").mkdir(parents=True)
    script = root / "static" / "js" / "index.abc123.js"
    script.write_text("console.log('armazem');\n" * 200)
    (root / "static" / "js" / "tiny.js").write_text("1")  # too small to be worth it
    (cache / "static").mkdir(parents=True)
    (cache / "secret.gz").write_bytes(b"not a static file")
    compressed = Compressed(root, cache)
    assert compressed.get("static/js/index.abc123.js") is None  # not made yet: served as it is
    compressed.make_all()
    assert gzip.decompress(compressed.get("static/js/index.abc123.js")) == script.read_bytes()
    assert compressed.get("static/js/tiny.js") is None
    assert compressed.get("static/../secret") is None  # nothing but the static files' copies
