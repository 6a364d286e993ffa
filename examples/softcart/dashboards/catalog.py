"""Catalog: the product types and their attributes (screen sizes), and stock levels."""

from __future__ import annotations

import _queries as queries
import streamlit as st

from armazem.dashboard import charts, fmt, ui

TITLE = "Catalog"
ICON = ":material/inventory_2:"
ORDER = 2


def render() -> None:
    reader = ui.context().readers.marts
    st.title("Catalog")
    if not ui.require(
        reader,
        reader.marts,
        queries.CATALOG_MARTS,
        "build and publish the marts with `armazem run`",
    ):
        return
    types = ui.query(reader, queries.product_types)
    sizes = ui.query(reader, queries.screen_sizes)
    products = sum(types.column("products"))
    categories = len(set(types.column("category")))
    a, b, c = st.columns(3)
    a.metric("Products", fmt.count(products), border=True)
    b.metric("Product types", fmt.count(len(types)), border=True)
    c.metric("Categories", fmt.count(categories), border=True)

    left, right = st.columns(2)
    with left:
        labels = [f"{t} ({c})" for c, t, *_ in types.rows]
        ui.chart(
            charts.bars(
                labels,
                types.column("products"),
                "Products by type",
                horizontal=True,
                value_title="products",
            ),
            key="types",
        )
    with right:
        if sizes.rows:
            ui.chart(_screen_chart(sizes), key="screens")
        else:
            st.info("No product in the catalog has a screen size.")
    ui.figures(
        "Product types",
        [
            {
                "Category": c,
                "Type": t,
                "Products": fmt.count(p),
                "Models": fmt.count(m),
                "Lowest price": fmt.money(lo),
                "Highest price": fmt.money(hi),
            }
            for c, t, p, m, lo, hi in types.rows
        ],
    )
    ui.figures(
        "Screen sizes",
        [{"Type": t, "Screen size (in)": s, "Products": fmt.count(n)} for t, s, n in sizes.rows],
    )
    _stock(reader)


def _screen_chart(sizes):
    """Products per screen size, stacked by product type."""
    inches = sorted({size for _, size, _ in sizes.rows})
    series: dict[str, list[int | None]] = {}
    for product_type, size, products in sizes.rows:
        series.setdefault(product_type, [None] * len(inches))[inches.index(size)] = products
    labels = [f'{size:g}"' for size in inches]
    return charts.grouped_bars(labels, series, "Products by screen size", stacked=True)


def _stock(reader) -> None:
    st.subheader("Stock levels")
    stock = ui.query(reader, queries.stock_levels)
    if isinstance(stock, str):
        st.info(stock, icon=":material/inventory_2:")
        return
    day, rows = stock
    st.caption(f"Each product's latest count; the latest was on {day}.")
    ui.chart(
        charts.bars(
            rows.column("product_type"),
            rows.column("on_hand"),
            "Units on hand by product type",
            horizontal=True,
            value_title="units",
        ),
        key="stock",
    )
    ui.figures(
        "Stock figures",
        [
            {
                "Type": t,
                "On hand": fmt.count(q),
                "Products": fmt.count(p),
                "Out of stock": fmt.count(o),
            }
            for t, q, p, o in rows.rows
        ],
    )
