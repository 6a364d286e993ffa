"""Sales: KPIs against the previous period, month-wise sales, sales by category, quarterly sales
of one item, sales by country. The filters at the top apply to every figure on the page."""

from __future__ import annotations

import _queries as queries
import streamlit as st
from _queries import Kpis, SalesFilter

from armazem.dashboard import charts, fmt, ui
from armazem.dashboard.db import Reader

TOP_COUNTRIES = 20

TITLE = "Sales"
ICON = ":material/payments:"
ORDER = 1


def render() -> None:
    ctx = ui.context()
    dataset = ctx.dataset
    capstone = dataset == "capstone"
    # The capstone's data is a raw table, which the BI role may not read: read it as the platform.
    reader = ctx.readers.platform if capstone else ctx.readers.marts
    st.title("Sales" + (" · capstone e-commerce data (2020)" if capstone else ""))
    if not _ready(reader, dataset):
        return
    bounds = ui.query(reader, queries.sales_date_range, dataset)
    if bounds is None:
        st.info("There are no sales in the warehouse yet.", icon=":material/info:")
        return
    options = ui.query(reader, queries.sales_options, dataset)
    f = _filters(bounds, options)

    _kpis(ui.query(reader, queries.kpis, dataset, f), f)
    left, right = st.columns([3, 2])
    with left:
        _monthly(reader, dataset, f)
    with right:
        _categories(reader, dataset, f)
    left, right = st.columns(2)
    with left:
        _item_quarters(reader, dataset, f)
    with right:
        _countries(reader, dataset, f)
    if dataset == "production":
        _forecast(reader)


def _ready(reader: Reader, dataset: str) -> bool:
    if dataset == "capstone":
        schema, table = queries.CAPSTONE_TABLE
        return ui.require(
            reader, schema, (table,), "load the capstone data with `armazem capstone dashboard`"
        )
    return ui.require(
        reader, reader.marts, queries.SALES_MARTS, "build and publish the marts with `armazem run`"
    )


def _filters(bounds: tuple, options: dict[str, list[str]]) -> SalesFilter:
    period, country, category = st.columns([2, 3, 3])
    with period:
        start, end = ui.period_input("Period", bounds, key="period")
    with country:
        countries = st.multiselect(
            "Country",
            options["countries"],
            key="country",
            bind="query-params",
            placeholder="All countries" if options["countries"] else "No countries in this data",
            disabled=not options["countries"],
        )
    with category:
        categories = st.multiselect(
            "Category",
            options["categories"],
            key="category",
            bind="query-params",
            placeholder="All categories",
        )
    return SalesFilter(start, end, tuple(countries), tuple(categories))


def _kpis(k: Kpis, f: SalesFilter) -> None:
    previous = f.previous()
    st.caption(f"{f.start} to {f.end}, compared with {previous.start} to {previous.end}.")
    revenue, orders, average = st.columns(3)
    revenue.metric(
        "Revenue",
        fmt.money(k.revenue),
        fmt.change(k.revenue, k.previous_revenue),
        help=f"Previous period: {fmt.money(k.previous_revenue)}",
        border=True,
    )
    orders.metric(
        "Orders",
        fmt.count(k.orders),
        fmt.change(k.orders, k.previous_orders),
        help=f"Previous period: {fmt.count(k.previous_orders)}",
        border=True,
    )
    average.metric(
        "Average order value",
        fmt.money(k.average_order),
        fmt.change(k.average_order, k.previous_average_order),
        help=f"Previous period: {fmt.money(k.previous_average_order)}",
        border=True,
    )


def _monthly(reader: Reader, dataset: str, f: SalesFilter) -> None:
    rows = ui.query(reader, queries.monthly_sales, dataset, f)
    labels = [fmt.month_label(y, m) for y, m, _ in rows.rows]
    ui.chart(charts.line(labels, rows.column("total"), "Sales by month", "sales"), key="monthly")
    ui.figures(
        "Monthly figures",
        [
            {"Month": label, "Sales": fmt.money(total)}
            for label, (_, _, total) in zip(labels, rows.rows, strict=True)
        ],
    )


def _categories(reader: Reader, dataset: str, f: SalesFilter) -> None:
    rows = ui.query(reader, queries.sales_by_category, dataset, f)
    ui.chart(
        charts.donut(rows.column("category"), rows.column("total"), "Sales by category"),
        key="categories",
    )
    ui.figures("Category figures", [{"Category": c, "Sales": fmt.money(t)} for c, t in rows.rows])


def _item_quarters(reader: Reader, dataset: str, f: SalesFilter) -> None:
    items = ui.query(reader, queries.items_by_sales, dataset, f)
    if not items:
        st.info("No item sold with these filters.")
        return
    preferred = queries.DEFAULT_ITEM.get(dataset)
    item = st.selectbox(
        "Item",
        items,
        index=items.index(preferred) if preferred in items else 0,
        key="item",
        bind="query-params",
    )
    rows = ui.query(reader, queries.quarterly_item_sales, dataset, f, item)
    labels = [fmt.quarter_label(y, q) for y, q, _ in rows.rows]
    ui.chart(
        charts.bars(
            labels, rows.column("total"), f"Quarterly sales of {item}", value_title="sales"
        ),
        key="item_quarters",
    )
    ui.figures(
        "Quarterly figures",
        [
            {"Quarter": label, "Sales": fmt.money(total)}
            for label, (_, _, total) in zip(labels, rows.rows, strict=True)
        ],
    )


def _countries(reader: Reader, dataset: str, f: SalesFilter) -> None:
    rows = ui.query(reader, queries.sales_by_country, dataset, f)
    if not rows.rows:
        st.info(
            "This data set has no countries."
            if dataset == "capstone"
            else "No sales with these filters."
        )
        return
    top = rows.rows[:TOP_COUNTRIES]
    title = "Sales by country" + (f" (top {TOP_COUNTRIES})" if len(rows) > TOP_COUNTRIES else "")
    ui.chart(
        charts.bars(
            [c for c, _, _ in top],
            [t for _, t, _ in top],
            title,
            horizontal=True,
            value_title="sales",
        ),
        key="countries",
    )
    ui.figures(
        "Country figures",
        [{"Country": c, "Sales": fmt.money(t), "Orders": fmt.count(o)} for c, t, o in rows.rows],
    )


def _forecast(reader: Reader) -> None:
    """The Spark ML forecast of one category (whole history; the page's filters do not apply)."""
    categories = ui.query(reader, queries.forecast_categories)
    if not categories:
        return
    st.subheader("Forecast")
    category = st.selectbox("Forecast category", categories, key="forecast_category")
    rows = ui.query(reader, queries.sales_forecast, category)
    months = rows.column("month")
    figure = charts.forecast(
        months, rows.column("actual"), rows.column("predicted"), rows.column("lower"),
        rows.column("upper"), f"{category}: monthly sales and the next 12 months",
    )  # fmt: skip
    ui.chart(figure, key="forecast")
    mape = next((m for m in rows.column("holdout_mape") if m is not None), None)
    if mape is not None:
        st.caption(f"Error on the last 6 months held out: {mape:.1%} (mean absolute percentage).")
    ui.figures(
        "Forecast figures",
        [
            {"Month": fmt.month_label(m.year, m.month), "Forecast": fmt.money(p),
             "Low": fmt.money(lo), "High": fmt.money(hi)}
            for m, p, lo, hi, ahead in zip(months, rows.column("predicted"), rows.column("lower"),
                                          rows.column("upper"), rows.column("is_forecast"),
                                          strict=True)
            if ahead
        ],
    )  # fmt: skip
