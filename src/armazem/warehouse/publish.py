"""Publish: copy the marts that dbt built, tested and the audit reconciled in `staging` to
`production`, atomically, and record what production now holds and from which loads.

Readers of `production` (dashboards, BI, exports) see either the previous publication or the new
one, never a mix: the whole swap is one transaction (DuckDB's, or PostgreSQL's, whose DDL is
transactional too). The SQL is portable; each warehouse only provides the transaction.
"""

from __future__ import annotations

import json
from typing import Any

from armazem.warehouse import Warehouse
from armazem.warehouse.plan import META_SCHEMA, quote
from armazem.warehouse.store import utcnow

BUILD_SCHEMA = "staging"
PRODUCTION_SCHEMA = "production"
_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_catalog = current_database() AND table_schema = $1 ORDER BY 1"
)
_LATEST_LOADS = (
    f"SELECT source || '.' || table_name, max(load_id) FROM {META_SCHEMA}.loads "
    "GROUP BY source, table_name ORDER BY 1"
)


def publish(warehouse: Warehouse, prefixes: tuple[str, ...], run_id: str = "") -> dict[str, int]:
    """Replace production with the current marts; returns rows per published table."""
    names = [n for (n,) in warehouse.query(_TABLES, [BUILD_SCHEMA]) if n.startswith(prefixes)]
    production = quote(PRODUCTION_SCHEMA)
    published: dict[str, int] = {}
    with warehouse.transaction() as execute:
        execute(f"DROP SCHEMA IF EXISTS {production} CASCADE")
        execute(f"CREATE SCHEMA {production}")
        for name in names:
            table = f"{production}.{quote(name)}"
            execute(f"CREATE TABLE {table} AS SELECT * FROM {quote(BUILD_SCHEMA)}.{quote(name)}")
            published[name] = execute(f"SELECT count(*) FROM {table}")[0][0]
        loads = dict(execute(_LATEST_LOADS))
        execute(
            f"INSERT INTO {META_SCHEMA}.publications VALUES ($1, $2, $3, $4)",
            [utcnow(), run_id, json.dumps(published), json.dumps(loads)],
        )
    return published


def last_publication(warehouse: Warehouse) -> dict[str, Any] | None:
    """When production was built, by which run, its tables and rows, and the loads it came from."""
    rows = warehouse.query(
        f"SELECT published_at, run_id, tables, loads FROM {META_SCHEMA}.publications "
        "ORDER BY published_at DESC LIMIT 1"
    )
    if not rows:
        return None
    published_at, run_id, tables, loads = rows[0]
    return {
        "published_at": str(published_at),
        "run_id": run_id,
        "tables": json.loads(tables),
        "loads": json.loads(loads),
    }
