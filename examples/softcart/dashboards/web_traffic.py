"""Web traffic: requests, visits (from the Spark job's mart), requests per day, status codes,
top pages, top client IPs, bytes served."""

from __future__ import annotations

import _queries as queries
import streamlit as st

from armazem.dashboard import charts, fmt, ui
from armazem.dashboard.queries import key_date

TITLE = "Web traffic"
ICON = ":material/language:"
ORDER = 3


def render() -> None:
    reader = ui.context().readers.marts
    st.title("Web traffic")
    if not ui.require(
        reader, reader.marts, queries.WEB_MARTS, "build and publish the marts with `armazem run`"
    ):
        return
    bounds = ui.query(reader, queries.web_date_range)
    if bounds is None:
        st.info("There are no web requests in the warehouse yet.", icon=":material/info:")
        return
    start, end = ui.period_input("Period", bounds, key="web_period")
    requests, errors, served, clients, pages = ui.query(
        reader, queries.web_totals, start, end
    ).rows[0]
    a, b, c, d = st.columns(4)
    a.metric("Requests", fmt.count(requests), border=True)
    b.metric(
        "Errors (status ≥ 400)",
        fmt.count(errors),
        f"{errors / requests:.1%} of requests" if requests else None,
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    c.metric("Bytes served", fmt.size(served), help=f"{fmt.count(served)} bytes", border=True)
    d.metric(
        "Clients",
        fmt.count(clients),
        f"{fmt.count(pages)} pages",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    visits = ui.query(reader, queries.visit_totals, start, end)
    if visits is not None:
        count, pages_per_visit, bounce = visits
        e, f, g, _ = st.columns(4)
        e.metric("Visits", fmt.count(count), help="a client's requests with no 30-minute gap",
                 border=True)  # fmt: skip
        f.metric("Pages per visit", f"{pages_per_visit:.2f}" if count else "n/a", border=True)
        g.metric("Bounce rate", f"{bounce:.1%}" if count else "n/a", help="visits of one page",
                 border=True)  # fmt: skip

    daily = ui.query(reader, queries.requests_per_day, start, end)
    days = [key_date(k) for k in daily.column("date_key")]
    left, right = st.columns([3, 2])
    with left:
        series = {"requests": daily.column("requests"), "errors": daily.column("errors")}
        ui.chart(charts.lines(days, series, "Requests per day"), key="daily")
    with right:
        codes = ui.query(reader, queries.status_codes, start, end)
        ui.chart(
            charts.bars(
                codes.column("status"),
                codes.column("requests"),
                "Status codes",
                value_title="requests",
            ),
            key="status",
        )
    left, right = st.columns(2)
    with left:
        top = ui.query(reader, queries.top_pages, start, end)
        ui.chart(
            charts.bars(
                top.column("path"),
                top.column("requests"),
                "Top pages",
                horizontal=True,
                value_title="requests",
            ),
            key="pages",
        )
    with right:
        ips = ui.query(reader, queries.top_clients, start, end)
        ui.chart(
            charts.bars(
                ips.column("ip"),
                ips.column("requests"),
                "Top client IPs",
                horizontal=True,
                value_title="requests",
            ),
            key="ips",
        )
    megabytes = [b / 1_048_576 for b in daily.column("bytes")]
    ui.chart(
        charts.bars(days, megabytes, "Bytes served per day (MiB)", value_title="MiB"), key="bytes"
    )
    ui.figures(
        "Daily figures",
        [
            {"Day": str(d), "Requests": fmt.count(r), "Errors": fmt.count(e), "Bytes": fmt.count(b)}
            for d, (_, r, e, b) in zip(days, daily.rows, strict=True)
        ],
    )
    ui.figures(
        "Top pages",
        [{"Path": p, "Requests": fmt.count(r), "Bytes": fmt.count(b)} for p, r, b in top.rows],
    )
    ui.figures(
        "Top client IPs",
        [
            {"IP": i, "Requests": fmt.count(r), "Errors": fmt.count(e), "Bytes": fmt.count(b)}
            for i, r, e, b in ips.rows
        ],
    )
