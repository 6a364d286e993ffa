"""The filters every TechCo page has: a period of whole months and a department."""

from __future__ import annotations

from datetime import date

import _queries as queries
import streamlit as st

from armazem.dashboard import ui
from armazem.dashboard.db import Reader

ALL_DEPARTMENTS = "All departments"


def period_and_department(
    reader: Reader, months: list[date], key: str
) -> tuple[ui.Months, str | None]:
    """From, To and Department in one row; the caption under it says what is compared."""
    start, end, department = st.columns([1, 1, 2])
    period = ui.month_period(months, key=key, places=(start, end))
    with department:
        chosen = ui.one_of(
            "Department", ui.query(reader, queries.departments), "department", ALL_DEPARTMENTS
        )
    previous = period.previous()
    st.caption(
        f"{period.label()} ({period.count} month{'s' if period.count > 1 else ''}), compared "
        f"with {previous.label()} · {chosen or ALL_DEPARTMENTS.lower()}."
    )
    return period, chosen
