"""Data health: the last runs and their steps, freshness per source, rows read / loaded /
quarantined per load, failing checks, and a browser of the quarantined records."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from armazem.dashboard import charts, fmt, queries, ui
from armazem.dashboard.db import Reader


def render() -> None:
    reader = ui.context().readers.platform
    st.title("Data health")
    if not ui.require(
        reader,
        queries.META_SCHEMA,
        queries.PLATFORM_TABLES,
        "run `armazem run` (or `armazem ingest`) to create and fill it",
    ):
        return
    runs = ui.query(reader, queries.recent_runs)
    failed = ui.query(reader, queries.failed_runs)
    sources = ui.query(reader, queries.freshness)
    totals = ui.query(reader, queries.load_totals)
    _summary(runs, failed, sources, totals)

    st.subheader("Runs")
    left, right = st.columns([3, 2])
    with left:
        _run_chart(runs)
    with right:
        _freshness(sources)
    ui.figures(
        "Steps of the last runs",
        [
            {
                "Run": r,
                "Step": s,
                "Started (UTC)": _time(a),
                "Seconds": _seconds(a, b),
                "Rows": fmt.count(n),
                "Status": status,
                "Error": _short(e),
            }
            for r, s, a, b, n, status, e in runs.rows
        ],
    )

    st.subheader("Loads")
    _loads(reader, totals)

    st.subheader("Failing checks")
    if failed.rows:
        st.table(
            [
                {"Run": r, "Step": s, "Started (UTC)": _time(a), "Error": e}
                for r, s, a, e in failed.rows
            ],
            hide_index=True,
        )
    else:
        st.success("No step of any recorded run has failed.", icon=":material/check_circle:")

    st.subheader("Quarantine")
    _quarantine(reader)


def _summary(runs, failed, sources, totals) -> None:
    a, b, c, d = st.columns(4)
    if runs.rows:
        run_id = runs.rows[0][0]
        statuses = {s for r, _, _, _, _, s, _ in runs.rows if r == run_id}
        status = "failed" if "failed" in statuses else "success"
        a.metric(
            "Last run",
            status,
            f"run {run_id}",
            delta_color="green" if status == "success" else "red",
            delta_arrow="off",
            border=True,
        )
    else:
        a.metric("Last run", "none", border=True)
    last = max(sources.column("last_committed_at"), default=None)
    b.metric(
        "Last load",
        _age(last),
        f"at {_time(last)} UTC" if last else None,
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    quarantined = sum(totals.column("rows_quarantined") or [0])
    c.metric(
        "Rows quarantined",
        fmt.count(quarantined),
        f"in the last {len(totals)} loads",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    d.metric(
        "Failed steps",
        fmt.count(len(failed)),
        "recorded",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )


def _run_chart(runs) -> None:
    order = list(dict.fromkeys(r for r, *_ in runs.rows))[::-1]  # oldest first, left to right
    steps = list(dict.fromkeys(s for _, s, *_ in runs.rows))
    seconds = {s: [0.0] * len(order) for s in steps}
    for run_id, step, started, ended, *_ in runs.rows:
        seconds[step][order.index(run_id)] += _seconds(started, ended) or 0.0
    ui.chart(
        charts.grouped_bars(order, seconds, "Seconds per step of the last runs", stacked=True),
        key="runs",
    )


def _freshness(sources) -> None:
    now = _utcnow()
    hours = [(now - t).total_seconds() / 3600 for t in sources.column("last_committed_at")]
    ui.chart(
        charts.bars(
            sources.column("source"),
            hours,
            "Hours since each source's last load",
            value_title="hours",
        ),
        key="freshness",
    )
    ui.figures(
        "Freshness per source",
        [
            {"Source": s, "Last load (UTC)": _time(t), "Age": _age(t), "Tables": n, "Loads": loads}
            for s, t, n, loads in sources.rows
        ],
    )


def _loads(reader: Reader, totals) -> None:
    series = {
        "read": totals.column("rows_read"),
        "loaded": totals.column("rows_loaded"),
        "quarantined": totals.column("rows_quarantined"),
    }
    ui.chart(
        charts.grouped_bars(
            totals.column("load_id"), series, "Rows read, loaded and quarantined per load"
        ),
        key="loads",
    )
    loads = ui.query(reader, queries.recent_loads)
    ui.figures(
        "Table loads",
        [
            {
                "Load": i,
                "Table": f"{s}.{t}",
                "Mode": m,
                "Committed (UTC)": _time(c),
                "Read": fmt.count(r),
                "Loaded": fmt.count(ld),
                "Quarantined": fmt.count(q),
                "Deleted": fmt.count(d),
            }
            for i, s, t, m, c, r, ld, q, d in loads.rows
        ],
    )


def _quarantine(reader: Reader) -> None:
    summary = ui.query(reader, queries.quarantine_summary)
    if not summary.rows:
        st.success("No quarantined records.", icon=":material/check_circle:")
        return
    choices = summary.rows
    picked = st.selectbox(
        "Source table and reason",
        range(len(choices)),
        key="quarantine",
        format_func=lambda i: (
            f"{choices[i][0]}.{choices[i][1]}: {choices[i][2]} ({_records(choices[i][3])})"
        ),
    )
    source, table, reason, rows, last = choices[picked or 0]
    samples = ui.query(reader, queries.quarantine_samples, source, table, reason)
    st.caption(
        f"{_records(rows)}, the latest quarantined at {_time(last)} UTC; the last "
        f"{len(samples)} shown."
    )
    st.table(
        [{"Load": i, "Quarantined (UTC)": _time(t), "Record": r} for i, t, r in samples.rows],
        hide_index=True,
    )


def _records(count: int) -> str:
    return f"{count:,} record" + ("" if count == 1 else "s")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # the ledger's times are naive UTC


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(started: datetime | None, ended: datetime | None) -> float | None:
    if started is None or ended is None:
        return None
    return round((ended - started).total_seconds(), 2)


def _age(value: datetime | None) -> str:
    if value is None:
        return "never"
    seconds = max((_utcnow() - value).total_seconds(), 0)
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _short(text: str | None, limit: int = 160) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
