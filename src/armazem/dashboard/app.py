"""The Streamlit app: `streamlit run app.py -- [--dataset NAME]`: the project's
pages, then the engine's (see `pages`).

`armazem dashboard` starts it with the settings in ARMAZEM_PROJECT / ARMAZEM_PROFILE /
ARMAZEM_DATA_DIR. A problem the user can fix (no warehouse, nothing published, the file locked by
a running load, PostgreSQL down) is shown as a message and its fix, never as a traceback.
"""

from __future__ import annotations

import streamlit as st

from armazem.dashboard import pages, ui
from armazem.errors import ArmazemError


def main() -> None:
    st.set_page_config(page_title="armazem", page_icon=":material/warehouse:", layout="wide")
    try:
        ctx = ui.context()
    except ArmazemError as exc:
        ui.sidebar(None)
        ui.show_problem(exc)
        return
    found = [*pages.project_pages(ctx.project.dashboards_dir), *pages.engine_pages()]
    page = st.navigation(
        [
            st.Page(p.render, title=p.title, url_path=p.url_path, icon=p.icon, default=i == 0)
            for i, p in enumerate(found)
        ]
    )
    ui.sidebar(ctx)
    try:
        # One connection per reader for the whole page, opened only if a query misses the cache.
        with ctx.readers.marts.session(), ctx.readers.platform.session():
            page.run()
    except ArmazemError as exc:
        ui.show_problem(exc)


main()
