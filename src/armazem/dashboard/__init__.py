"""Dashboards and BI access on the production warehouse.

- `queries`: every SQL statement the dashboards run (one place to change when the marts change);
- `db`: read-only connections to the warehouse (DuckDB file or PostgreSQL);
- `app` and `views`: the Streamlit app, one page per subject; `charts` and `fmt` draw and format;
- `bi`: the PostgreSQL login role for BI tools, with personal data masked; `export`: table files;
- `commands`: the `armazem dashboard`, `armazem bi` and `armazem export` commands.

Only `app`, `views` and `ui` import Streamlit, so the CLI and the capstone module stay light.
"""
