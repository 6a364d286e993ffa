"""Capstone module 4: the BI dashboard's data, loaded as a source and reported by the queries
behind the dashboard's Sales page.

`softcart-dashboard/ecommerce.csv` (day, month, quarter, year, category, item, price: one sale a
row, all of 2020) goes through the ingestion engine like any source (contract, lake, quarantine,
ledger) into `raw_capstone.ecommerce`, replaced on every run. The figures are then computed by
the same functions that draw the SoftCart example's Sales page when it is opened with
`armazem dashboard --dataset capstone`, over the page's default filters (all of the data):

- `monthly_2020`: month number -> total sales in 2020 (the line chart);
- `by_category`: category -> total sales (the pie chart);
- `mobile_by_quarter`: quarter number -> total sales of the item "Mobile" (the bar chart).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from armazem.capstone import capstone_file
from armazem.dashboard.db import readers
from armazem.dashboard.pages import helper
from armazem.errors import ArmazemError
from armazem.ingest import files
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract
from armazem.ingest.pipeline import load_table, new_load_id
from armazem.ingest.sources import SourceTable
from armazem.project.scaffold import example_dir
from armazem.settings import Settings
from armazem.warehouse import open_warehouse

CSV_NAME = "softcart-dashboard/ecommerce.csv"
COLUMNS = ("day", "month", "quarter", "year", "category", "item", "price")
# The queries of the SoftCart example's Sales page (examples/softcart/dashboards/_queries.py).
queries = helper(example_dir("softcart") / "dashboards", "_queries")
SOURCE, TABLE = queries.CAPSTONE_TABLE[0].removeprefix("raw_"), queries.CAPSTONE_TABLE[1]
DATASET = "capstone"
YEAR = 2020

# Prices in the file are whole numbers (7 to 1500), but they are money: DECIMAL(10,2) holds them
# exactly, keeps cents should they come, and sums exactly. (file, row) is the key: a sale has no
# id of its own, and two sales of the same item on the same day at the same price are two rows.
CONTRACT = Contract(
    columns={
        "source_file": "VARCHAR",
        "row_number": "BIGINT",
        "day": "INTEGER",
        "month": "INTEGER",
        "quarter": "INTEGER",
        "year": "INTEGER",
        "category": "VARCHAR",
        "item": "VARCHAR",
        "price": "DECIMAL(10,2)",
    },
    key=("source_file", "row_number"),
    required=COLUMNS,
    rules={
        "not a real date": "try(make_date(year, month, day)) IS NOT NULL",
        "quarter does not match month": "quarter = (month + 2) // 3",
        "price is negative": "price >= 0",
    },
)


def run(settings: Settings) -> dict[str, Any]:
    """Load the CSV (full refresh), then the three figures of the capstone's dashboard."""
    path = ecommerce_file(settings)
    load_table(settings, open_warehouse(settings), source(path), new_load_id(), full_refresh=True)
    return figures(settings)


def source(path: Path) -> SourceTable:
    def read(settings: Settings, since: str | None) -> Reader:
        return files.read_csv([path], list(COLUMNS), header=True)

    return SourceTable(SOURCE, TABLE, CONTRACT, read, "full")


def figures(settings: Settings) -> dict[str, Any]:
    """The Sales page's figures on the capstone data set, with its default filters."""
    reader = readers(settings).platform  # the raw capstone table: read as the platform
    with reader.session():
        bounds = queries.sales_date_range(reader, DATASET)
        if bounds is None:
            raise ArmazemError(f"{CSV_NAME} loaded no rows", "check the file and the quarantine")
        everything = queries.SalesFilter(*bounds)
        monthly = queries.monthly_sales(reader, DATASET, everything)
        categories = queries.sales_by_category(reader, DATASET, everything)
        mobile = queries.quarterly_item_sales(reader, DATASET, everything, queries.CAPSTONE_ITEM)
    return {
        "monthly_2020": {m: number(t) for y, m, t in monthly.rows if y == YEAR},
        "by_category": {c: number(t) for c, t in categories.rows},
        "mobile_by_quarter": {q: number(t) for y, q, t in mobile.rows if y == YEAR},
    }


def number(total: Decimal) -> int | float:
    """A total as JSON prints it best: an int when whole (every total of this file), else the
    float whose shortest form is the decimal's (to the cent)."""
    return int(total) if total == total.to_integral_value() else float(total)


def ecommerce_file(settings: Settings) -> Path:
    """The capstone's ecommerce.csv, with the header this module reads."""
    path = capstone_file(settings, CSV_NAME)
    with path.open(encoding="utf-8-sig") as handle:
        header = tuple(f.strip() for f in handle.readline().rstrip("\r\n").split(","))
    if header != COLUMNS:
        raise ArmazemError(
            f"{path} has header {','.join(header)!r}, expected {','.join(COLUMNS)!r}",
            "use the capstone's ecommerce.csv, or change COLUMNS in capstone/dashboard.py",
        )
    return path
