"""What every page shares: the settings and readers, cached queries, and how problems show.

Queries are cached by `st.cache_data` for TTL_SECONDS, keyed by the reader's location, the
query's name and its arguments: a page seen once is served without touching the warehouse until
the TTL passes (or someone presses "Reload data").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from armazem.dashboard import queries
from armazem.dashboard.db import Reader, Readers, readers
from armazem.errors import ArmazemError
from armazem.project import Project, load_project
from armazem.settings import Settings, load_settings

TTL_SECONDS = 120


@dataclass(frozen=True)
class Context:
    settings: Settings
    dataset: str
    readers: Readers
    project: Project


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The app's own arguments, given after `--` on the `streamlit run` command line."""
    parser = argparse.ArgumentParser(prog="armazem dashboard app")
    parser.add_argument("--dataset", default="production")  # checked by `armazem dashboard`
    known, _ = parser.parse_known_args(list(argv))
    return known


@st.cache_resource(show_spinner=False)
def _context(argv: tuple[str, ...]) -> Context:
    settings = load_settings()  # ARMAZEM_PROJECT / ARMAZEM_PROFILE / ARMAZEM_DATA_DIR from the CLI
    return Context(
        settings, parse_arguments(argv).dataset, readers(settings), load_project(settings)
    )


def context() -> Context:
    return _context(tuple(sys.argv[1:]))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=2_000)
def _cached(
    _reader: Reader, _function: Callable[..., Any], reader_key: str, name: str, args: tuple
) -> Any:
    return _function(_reader, *args)


def query(reader: Reader, function: Callable[..., Any], *args: Any) -> Any:
    """function(reader, *args), cached by the reader's location, the function and the args."""
    return _cached(reader, function, reader.key, _name(function), args)


def _name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def show_problem(exc: ArmazemError) -> None:
    """A user-facing problem as a message and its fix, never a traceback."""
    st.warning(exc.problem[:1].upper() + exc.problem[1:], icon=":material/warning:")
    st.info(f"How to fix: {exc.fix}", icon=":material/build:")


def require(reader: Reader, schema: str, tables: tuple[str, ...], fix: str) -> bool:
    """Whether the tables exist; if not, say which are missing and how to build them."""
    missing = query(reader, queries.missing_tables, schema, tables)
    if missing:
        # Not remembered: once `armazem run` has built them, the next view must see them.
        function = queries.missing_tables
        _cached.clear(reader, function, reader.key, _name(function), (schema, tables))
        show_problem(ArmazemError(f"the warehouse has no {schema}.{missing[0]} yet", fix))
        return False
    return True


def period_input(label: str, bounds: tuple[date, date], key: str) -> tuple[date, date]:
    """A date-range picker within bounds (defaulting to all of it); a half-picked range runs to
    the last day."""
    low, high = bounds
    picked = st.date_input(
        label, value=(low, high), min_value=low, max_value=high, key=key, format="YYYY-MM-DD"
    )
    if not isinstance(picked, tuple | list) or not picked:
        return low, high
    start = picked[0]
    end = picked[1] if len(picked) > 1 else high
    return start, end


def figures(title: str, rows: list[dict[str, Any]]) -> None:
    """The exact figures behind a chart, in a collapsed table (also what tests read)."""
    with st.expander(title, expanded=False, icon=":material/table:"):
        if rows:
            st.table(rows, hide_index=True)
        else:
            st.caption("No rows.")


def chart(figure: Any, key: str) -> None:
    st.plotly_chart(figure, key=key, config={"displayModeBar": False, "responsive": True})


def sidebar(ctx: Context | None) -> None:
    with st.sidebar:
        if ctx is not None:
            st.caption(f"Profile **{ctx.settings.profile}** · data set **{ctx.dataset}**")
            st.caption(f"Warehouse `{ctx.readers.marts.label}`")
        st.caption(f"Figures are cached for {TTL_SECONDS} s.")
        if st.button("Reload data", icon=":material/refresh:"):
            st.cache_data.clear()
