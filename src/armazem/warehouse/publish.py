"""Publish: copy the marts that dbt built and tested in `staging` to `production`, atomically.

Readers of `production` (dashboards, BI, exports) see either the previous publication or the new
one, never a mix: the whole swap is one DuckDB transaction.
"""

from __future__ import annotations

from armazem.warehouse.store import DuckDBWarehouse

BUILD_SCHEMA = "staging"
PRODUCTION_SCHEMA = "production"


def publish(warehouse: DuckDBWarehouse, prefixes: tuple[str, ...]) -> dict[str, int]:
    """Replace production with the current marts; returns rows per published table."""
    with warehouse.connect() as con:
        names = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = ? AND table_catalog = current_database() ORDER BY 1",
                [BUILD_SCHEMA],
            ).fetchall()
            if name.startswith(prefixes)
        ]
        published = {}
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DROP SCHEMA IF EXISTS {PRODUCTION_SCHEMA} CASCADE")
            con.execute(f"CREATE SCHEMA {PRODUCTION_SCHEMA}")
            for name in names:
                con.execute(
                    f'CREATE TABLE {PRODUCTION_SCHEMA}."{name}" AS '
                    f'SELECT * FROM {BUILD_SCHEMA}."{name}"'
                )
                published[name] = con.execute(
                    f'SELECT count(*) FROM {PRODUCTION_SCHEMA}."{name}"'
                ).fetchone()[0]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return published
