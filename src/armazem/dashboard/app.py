"""The Streamlit app: `streamlit run app.py -- [--dataset production|capstone]`.

`armazem dashboard` starts it with the settings in ARMAZEM_PROJECT / ARMAZEM_PROFILE /
ARMAZEM_DATA_DIR. A problem the user can fix (no warehouse, nothing published, the file locked by
a running load, PostgreSQL down) is shown as a message and its fix, never as a traceback.
"""

from __future__ import annotations

import streamlit as st

from armazem.dashboard import ui
from armazem.dashboard.views import catalog, health, sales, web
from armazem.errors import ArmazemError

PAGES = (
    (sales.render, "Sales", "sales", ":material/payments:"),
    (catalog.render, "Catalog", "catalog", ":material/inventory_2:"),
    (web.render, "Web traffic", "web_traffic", ":material/language:"),
    (health.render, "Data health", "data_health", ":material/monitor_heart:"),
)


def main() -> None:
    st.set_page_config(page_title="armazem", page_icon=":material/warehouse:", layout="wide")
    page = st.navigation(
        [
            st.Page(render, title=title, url_path=path, icon=icon, default=index == 0)
            for index, (render, title, path, icon) in enumerate(PAGES)
        ]
    )
    try:
        ctx = ui.context()
    except ArmazemError as exc:
        ui.sidebar(None)
        ui.show_problem(exc)
        return
    ui.sidebar(ctx)
    try:
        # One connection per reader for the whole page, opened only if a query misses the cache.
        with ctx.readers.marts.session(), ctx.readers.platform.session():
            page.run()
    except ArmazemError as exc:
        ui.show_problem(exc)


main()
