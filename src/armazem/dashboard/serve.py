"""The dashboard server's entry point: `python -m armazem.dashboard.serve run app.py ...`.

The same as `streamlit run`, after warming what the first page view would otherwise pay for
(1-2 s on a busy laptop): Plotly's per-trace validators, and pandas, which DuckDB's Python API
imports at its first query with parameters (and Streamlit at its first table); the modules the
app imports; the stack walk of Streamlit's first element. Nothing of the app itself (its caches)
is touched here.
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

    # The app's first run imported the settings (pydantic), the project's declarations and the
    # readers: 0.3 s. Not ui.py, whose caches must be made by the server's runtime.
    import inspect

    import streamlit.web.cli  # noqa: F401

    import armazem.dashboard.db
    import armazem.dashboard.fmt
    import armazem.dashboard.pages
    import armazem.dashboard.queries
    import armazem.project
    import armazem.settings  # noqa: F401

    # Streamlit's first element checks whether it runs in a REPL by walking the stack, and
    # inspect then maps every loaded module to its file (0.15 s); mapped now, once.
    inspect.stack()


def main(argv: list[str]) -> None:
    warm()
    from streamlit.web import cli

    cli.main(args=argv, prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
