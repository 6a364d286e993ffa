"""Publish: copy the marts that dbt built, tested and the audit reconciled in `staging` to
`production`, atomically, and record what production now holds and from which loads.

Readers of `production` (dashboards, BI, exports) see either the previous publication or the new
one, never a mix. On DuckDB the whole swap is one transaction. On PostgreSQL (production.py) the
marts are copied into a new schema and checked first, and one short transaction swaps it in with
the BI role's views; `production_url` puts production on a separate PostgreSQL server that way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from armazem.errors import ArmazemError
from armazem.warehouse import Warehouse
from armazem.warehouse.plan import META_SCHEMA, quote
from armazem.warehouse.postgres import PostgresWarehouse
from armazem.warehouse.production import PRODUCTION_SCHEMA, publish_postgres
from armazem.warehouse.store import utcnow

if TYPE_CHECKING:
    from armazem.project.privacy import Privacy

BUILD_SCHEMA = "staging"
_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_catalog = current_database() AND table_schema = $1 ORDER BY 1"
)
_LATEST_LOADS = (
    f"SELECT source || '.' || table_name, max(load_id) FROM {META_SCHEMA}.loads "
    "GROUP BY source, table_name ORDER BY 1"
)


def publish(
    warehouse: Warehouse,
    prefixes: tuple[str, ...],
    run_id: str = "",
    personal: Mapping[str, str] | None = None,
    production_url: str | None = None,
    key: str | None = None,
    privacy: Privacy | None = None,
) -> dict[str, int]:
    """Replace production with the current marts; returns rows per published table.
    `personal` is what the BI role's relations mask, pseudonymised under `key`, and `privacy`
    what they show of marts about people (PostgreSQL only)."""
    names = [n for (n,) in warehouse.query(_TABLES, [BUILD_SCHEMA]) if n.startswith(prefixes)]
    if isinstance(warehouse, PostgresWarehouse):
        loads = dict(warehouse.query(_LATEST_LOADS))
        return publish_postgres(warehouse.url, BUILD_SCHEMA, names, run_id, loads,
                                personal or {}, production_url, key, privacy)  # fmt: skip
    if production_url is not None:
        raise ArmazemError(
            "production_url needs a PostgreSQL warehouse to copy from; this one is DuckDB",
            "unset production_url, or use a postgresql:// warehouse_url (e.g. --profile services)",
        )
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
