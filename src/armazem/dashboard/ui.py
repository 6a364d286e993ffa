"""What every page shares: the settings and readers, cached queries, and how problems show.

Queries are cached by `st.cache_data` for TTL_SECONDS, keyed by the reader's location, the
query's name and its arguments: a page seen once is served without touching the warehouse until
the TTL passes (or someone presses "Reload data").
"""

from __future__ import annotations

import argparse
import re
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


@dataclass(frozen=True)
class Months:
    """A period of whole months: `start` and `end` are first days of months, both included."""

    start: date
    end: date

    @property
    def count(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def last_day(self) -> date:
        """The period's last day (the end month's last day)."""
        following = shift_month(self.end, 1)
        return date.fromordinal(following.toordinal() - 1)

    def previous(self) -> Months:
        """The period of as many months just before this one."""
        return Months(shift_month(self.start, -self.count), shift_month(self.start, -1))

    def label(self) -> str:
        first, last = f"{self.start:%Y-%m}", f"{self.end:%Y-%m}"
        return first if first == last else f"{first} to {last}"


def shift_month(month: date, months: int) -> date:
    """The first day of the month `months` after (or before, if negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_period(
    months: Sequence[date], key: str, default_months: int = 12, places: Sequence[Any] = ()
) -> Months:
    """Two select boxes, From and To, among `months` (first days, ascending), in `places` (two
    containers, e.g. columns; else two new columns); by default the last `default_months` of
    them. A reversed choice is read the right way round."""
    labels = [f"{m:%Y-%m}" for m in months]
    start_index = max(0, len(labels) - default_months)
    first, last = places if places else st.columns(2)
    with first:
        start = st.selectbox("From", labels, index=start_index, key=f"{key}_from")
    with last:
        end = st.selectbox("To", labels, index=len(labels) - 1, key=f"{key}_to")
    low, high = sorted((months[labels.index(start)], months[labels.index(end)]))
    return Months(low, high)


def one_of(label: str, options: Sequence[str], key: str, everything: str) -> str | None:
    """A select box of `options` led by `everything` (e.g. "All departments"); None for that.
    Bound to the address, so a filtered view can be shared."""
    chosen = st.selectbox(label, [everything, *options], key=key, bind="query-params")
    return None if chosen == everything else chosen


def not_filtered(what: str, by: str, reason: str) -> None:
    """Say that a filter does not apply to some figures, rather than ignore it silently."""
    st.caption(f":material/filter_alt_off: {what}: the {by} filter does not apply ({reason}).")


def figures(title: str, rows: list[dict[str, Any]]) -> None:
    """The exact figures behind a chart, in a collapsed table (also what tests read). The table
    is sent only once opened: a page's first view loads no table (nor the code that draws one)
    that nobody looks at."""
    key = "figures_" + re.sub(r"\W+", "_", title.lower()).strip("_")
    with st.expander(title, expanded=False, icon=":material/table:", key=key,
                     on_change="rerun") as box:  # fmt: skip
        if not box.open:
            return
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
