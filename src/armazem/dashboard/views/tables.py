"""Tables: a browser of the published marts and the raw tables, for any project. Personal data is
masked as the project declares it (`[project] personal` in armazem.toml), and marts about people
are shown as the BI role sees them (`[project.privacy]`): on PostgreSQL the page reads the role's
relations; on DuckDB it applies the same rules to production."""

from __future__ import annotations

import streamlit as st

from armazem.dashboard import fmt, queries, ui
from armazem.dashboard.db import BI_SCHEMA, Reader
from armazem.project.dbt_sources import raw_schema


def render() -> None:
    ctx = ui.context()
    st.title("Tables")
    # The marts as the dashboards' reader sees them; raw tables as the platform reads them.
    places: dict[str, Reader] = {ctx.readers.marts.marts: ctx.readers.marts}
    places.update({raw_schema(s): ctx.readers.platform for s in ctx.project.sources})
    left, right = st.columns([1, 2])
    with left:
        schema = st.selectbox("Schema", list(places), key="table_schema")
    reader = places[schema]
    tables = ui.query(reader, queries.schema_tables, schema)
    privacy = ctx.project.section.privacy
    guarded = schema == ctx.readers.marts.marts and schema != BI_SCHEMA
    if guarded:
        tables = [t for t in tables if privacy.shown(t)]
    if not tables:
        st.info(f"{schema} has no tables yet: run `armazem run`.", icon=":material/info:")
        return
    with right:
        table = st.selectbox("Table", tables, key="table_name")
    rule = privacy.groups.get(table) if guarded else None
    rows = ui.query(reader, queries.row_count, schema, table, rule, privacy.min_group)
    personal = dict(ctx.project.section.personal)
    masks = tuple(sorted(personal.items()))
    preview = ui.query(reader, queries.preview, schema, table, masks, ctx.settings.pseudonym,
                       rule, privacy.min_group)  # fmt: skip
    st.caption(
        f"{schema}.{table}: {fmt.count(rows)} rows; the first {len(preview)} shown"
        + (f", personal columns masked ({', '.join(sorted(personal))})" if personal else "")
        + (f"; groups of fewer than {privacy.min_group} people withheld" if rule else "")
    )
    st.table(preview.records(), hide_index=True)
