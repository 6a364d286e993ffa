"""The dashboard server's entry point: `python -m armazem.dashboard.serve run app.py ...`.

The same as `streamlit run`, after warming what the first page view would otherwise pay for
(1-2 s on a busy laptop): Plotly's per-trace validators, and pandas, which DuckDB's Python API
imports at its first query with parameters (and Streamlit at its first table). Nothing of the
app itself (its caches) is touched here.
"""

from __future__ import annotations

import sys


def warm() -> None:
    import duckdb
    import pandas
    import plotly.io
    import pyarrow

    from armazem.dashboard import charts

    for figure in (
        charts.line(["2020-01"], [1], "warm"),
        charts.donut(["a"], [1], "warm"),
        charts.bars(["a"], [1], "warm"),
        charts.grouped_bars(["a"], {"a": [1]}, "warm", stacked=True),
    ):
        plotly.io.to_json(figure)
    with duckdb.connect() as con:
        con.execute("SELECT $value", {"value": 1}).fetchall()
    pyarrow.Table.from_pandas(pandas.DataFrame([{"a": "b"}]))  # what st.table does


def main(argv: list[str]) -> None:
    warm()
    from streamlit.web import cli

    cli.main(args=argv, prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
