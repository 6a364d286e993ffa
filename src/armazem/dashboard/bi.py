"""BI access to a PostgreSQL warehouse: a login role that reads the production marts only, with
personal data masked, and a Power BI data-source file (.pbids) for it.

What the role can read is a schema `bi` of views over `production`: each view shows its table's
columns with personal data (the project's `[project] personal`) hashed or left out. The role
gets USAGE on that schema and SELECT on its views, and nothing anywhere else: every privilege it
may hold on any other schema (raw_*, staging, production, `_armazem`, public) is revoked. The
views run with their owner's rights, which is how the role reads production without being able
to read it directly. The role's sessions are read-only by default.

Publishing replaces `production` (DROP SCHEMA ... CASCADE), which drops the views over it too:
the publish recreates them with `recreate_views` inside its own transaction
(warehouse/production.py), so the role never finds them missing.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote as url_quote
from urllib.parse import unquote, urlsplit

from armazem.dashboard.db import BI_ROLE, BI_SCHEMA, PRODUCTION_SCHEMA
from armazem.dashboard.queries import masked_select
from armazem.errors import ArmazemError
from armazem.settings import redact_url

HASH_SQL = "encode(sha256(convert_to({}, 'UTF8')), 'hex')"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SYSTEM = ("pg_catalog", "information_schema", "pg_toast")


@dataclass(frozen=True)
class BiAccess:
    """How a BI tool connects. `password` is set only when it was set or generated now."""

    role: str
    host: str
    port: int
    database: str
    schema: str
    password: str | None
    created: bool
    views: list[str] = field(default_factory=list)

    def url(self, with_password: bool = False) -> str:
        secret = f":{url_quote(self.password, safe='')}" if with_password and self.password else ""
        return f"postgresql://{self.role}{secret}@{self.host}:{self.port}/{self.database}"


def setup(
    warehouse_url: str,
    personal: Mapping[str, str],
    role: str = BI_ROLE,
    password: str | None = None,
    schema: str = BI_SCHEMA,
    source: str = PRODUCTION_SCHEMA,
) -> BiAccess:
    """Create or refresh the role, its masked views and its grants, in one transaction.

    A new role gets `password`, or a generated one; an existing role keeps its password unless
    one is given."""
    _check_identifier(role, "role")
    _check_identifier(schema, "schema")
    parts = urlsplit(warehouse_url)
    database = unquote(parts.path.strip("/"))
    with _connect(warehouse_url) as con, con.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        created = cur.fetchone() is None
        if created and password is None:
            password = secrets.token_urlsafe(18)
        _upsert_role(cur, role, password, created, schema)
        views = _refresh(cur, role, schema, source, personal)
        cur.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cur.fetchone()[0]:  # the dashboards act as the role with SET ROLE
            cur.execute(f'GRANT "{role}" TO current_user')
    return BiAccess(role, parts.hostname or "127.0.0.1", parts.port or 5432, database, schema,
                    password, created, views)  # fmt: skip


def refresh_views(
    warehouse_url: str, personal: Mapping[str, str], role: str = BI_ROLE, schema: str = BI_SCHEMA
) -> list[str] | None:
    """Rebuild the masked views after a publish; None (nothing done) when the role does not
    exist, i.e. BI access was never set up on this warehouse."""
    with _connect(warehouse_url) as con, con.cursor() as cur:
        return recreate_views(cur, personal, role, schema)


def recreate_views(
    cur, personal: Mapping[str, str], role: str = BI_ROLE, schema: str = BI_SCHEMA
) -> list[str] | None:
    """`refresh_views` on a cursor whose transaction the caller commits: the publish swaps
    production and recreates the views in one transaction. None when the role does not exist."""
    _check_identifier(role, "role")
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cur.fetchone() is None:
        return None
    return _refresh(cur, role, schema, PRODUCTION_SCHEMA, personal)


def drop(warehouse_url: str, role: str, schema: str = BI_SCHEMA) -> None:
    """Remove the views and the role (its privileges in this database first)."""
    _check_identifier(role, "role")
    with _connect(warehouse_url) as con, con.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is not None:
            cur.execute(f'DROP OWNED BY "{role}"')  # also revokes its privileges here
            cur.execute(f'DROP ROLE "{role}"')


def write_pbids(path: Path, access: BiAccess) -> Path:
    """A Power BI data-source file: opening it starts Get Data on this connection."""
    document = {
        "version": "0.1",
        "connections": [
            {
                "details": {
                    "protocol": "postgresql",
                    "address": {
                        "server": f"{access.host}:{access.port}",
                        "database": access.database,
                    },
                },
                "mode": "DirectQuery",
            }
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def _upsert_role(cur, role: str, password: str | None, created: bool, schema: str) -> None:
    from psycopg import sql

    options = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    verb = "CREATE ROLE" if created else "ALTER ROLE"
    statement = sql.SQL("{} {} {}").format(sql.SQL(verb), sql.Identifier(role), options)
    if password is not None:  # DDL takes no parameters: the password goes in as a literal
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    cur.execute(statement)
    cur.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
    cur.execute(f'ALTER ROLE "{role}" SET search_path = "{schema}"')


def _refresh(cur, role: str, schema: str, source: str, personal: Mapping[str, str]) -> list[str]:
    """Drop and recreate the views, revoke everything else, grant the views."""
    cur.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) AND nspname NOT LIKE 'pg\\_%%'",
        [list(_SYSTEM)],
    )
    for (other,) in cur.fetchall():
        if other != schema:
            cur.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{other}" FROM "{role}"')
            cur.execute(f'REVOKE ALL ON SCHEMA "{other}" FROM "{role}"')
    cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    cur.execute(f'CREATE SCHEMA "{schema}"')
    cur.execute(
        "SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_schema = %s "
        "GROUP BY table_name ORDER BY table_name",
        [source],
    )
    views = []
    for table, columns in cur.fetchall():
        select = masked_select(list(columns), personal, HASH_SQL)
        cur.execute(
            f'CREATE VIEW "{schema}"."{table}" AS SELECT {select} FROM "{source}"."{table}"'
        )
        views.append(table)
    cur.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    cur.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
    return views


def _connect(url: str):
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=5)
    except psycopg.OperationalError as exc:
        from armazem.errors import START_POSTGRES

        reason = " ".join(str(exc).split())
        raise ArmazemError(
            f"cannot connect to the PostgreSQL warehouse at {redact_url(url)}: {reason}",
            f"start it (`{START_POSTGRES}`) or set ARMAZEM_WAREHOUSE_URL",
        ) from None


def _check_identifier(name: str, what: str) -> None:
    if not _IDENTIFIER.fullmatch(name):
        raise ArmazemError(
            f"{what} name {name!r} is not a plain identifier",
            "use lower-case letters, digits and underscores",
        )
