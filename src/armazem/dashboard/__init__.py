"""Dashboards and BI access on the production warehouse.

- `app` and `pages`: the Streamlit app: the project's pages (`<project>/dashboards/*.py`), then
  the engine's (`views/`: Tables, Data health), which work for any project;
- `ui`, `charts`, `fmt`: what every page uses (cached queries, problems shown, charts, numbers);
- `queries`: the SQL of the engine's pages, and helpers for any page (tables present, date keys,
  personal data masked);
- `db`: read-only connections to the warehouse (DuckDB file or PostgreSQL);
- `bi`: the PostgreSQL login role for BI tools, with personal data masked; `export`: table files;
- `commands`: the `armazem dashboard`, `armazem bi` and `armazem export` commands.

Only `app`, `views`, `ui` and the pages import Streamlit, so the CLI and the capstone stay light.
"""
