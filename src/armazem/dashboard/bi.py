"""BI access to a PostgreSQL warehouse: a login role that reads the production marts only, with
personal data masked, and a Power BI data-source file (.pbids) for it.

What the role can read is a schema `bi` with one relation per production mart, showing its
columns with personal data (the project's `[project] personal`) pseudonymised or left out. A mart
without a hashed column is a view (it runs with its owner's rights, which is how the role reads
production without being able to read it directly); a mart with one is a table materialised
here, its pseudonyms computed with HMAC-SHA256 under the `pseudonym_key` setting, whose pads are
parameters of the INSERT and so never stored in the warehouse (see pseudonym.py).

The role gets USAGE on `bi` and SELECT on its relations, and nothing else: every privilege it, or
PUBLIC (every role is a member), may hold on the tables of any other schema (raw_*, staging,
snapshots, production, `_armazem`, public) is revoked, default privileges grant it nothing on
tables created later, and it may create nothing, not even TEMP tables. Its sessions are read-only
by default. The role is cluster-wide and may be set up by several processes at once (on other
databases): creating it tolerates a concurrent creation, and it is altered only where it differs.

A mart about people (the project's `[project.privacy]`) is either left out of `bi` (`hidden`) or
shown only for groups of at least `min_group` people (`groups`): such a mart is also a table here,
holding only the rows (or the figures) allowed, so no plan the role runs, no view it could see
through and no statistic of the table can reach the rest.

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

from armazem.dashboard import pseudonym
from armazem.dashboard.db import BI_ROLE, BI_SCHEMA, PRODUCTION_SCHEMA
from armazem.dashboard.queries import guarded_select, masked_select
from armazem.errors import ArmazemError
from armazem.project.privacy import Privacy
from armazem.settings import redact_url

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
    key: str | None = None,
    privacy: Privacy | None = None,
) -> BiAccess:
    """Create or refresh the role, its masked relations and its grants, in one transaction.

    A new role gets `password`, or a generated one; an existing role keeps its password unless
    one is given. `key` is the pseudonym key (needed when a column is declared `hash`);
    `privacy` what the role may see of marts about people."""
    _check_identifier(role, "role")
    _check_identifier(schema, "schema")
    parts = urlsplit(warehouse_url)
    database = unquote(parts.path.strip("/"))
    with _connect(warehouse_url) as con, con.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        generated = None
        if cur.fetchone() is None and password is None:
            generated = secrets.token_urlsafe(18)
        created = _upsert_role(cur, role, password or generated, schema)
        if not created and generated:  # another process created it meanwhile: its password
            generated = None
        views = _refresh(cur, role, schema, source, personal, key, privacy)
        cur.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        cur.execute(
            "SELECT rolsuper OR pg_has_role(current_user, %s, 'MEMBER') FROM pg_roles "
            "WHERE rolname = current_user",
            [role],
        )
        if not cur.fetchone()[0]:  # the dashboards act as the role with SET ROLE
            cur.execute(f'GRANT "{role}" TO current_user')
        password = password or generated
    return BiAccess(role, parts.hostname or "127.0.0.1", parts.port or 5432, database, schema,
                    password, created, views)  # fmt: skip


def refresh_views(
    warehouse_url: str,
    personal: Mapping[str, str],
    role: str = BI_ROLE,
    schema: str = BI_SCHEMA,
    key: str | None = None,
    privacy: Privacy | None = None,
) -> list[str] | None:
    """Rebuild the masked relations after a publish; None (nothing done) when the role does not
    exist, i.e. BI access was never set up on this warehouse."""
    with _connect(warehouse_url) as con, con.cursor() as cur:
        return recreate_views(cur, personal, role, schema, key, privacy)


def recreate_views(
    cur,
    personal: Mapping[str, str],
    role: str = BI_ROLE,
    schema: str = BI_SCHEMA,
    key: str | None = None,
    privacy: Privacy | None = None,
) -> list[str] | None:
    """`refresh_views` on a cursor whose transaction the caller commits: the publish swaps
    production and recreates the relations in one transaction. None when the role does not
    exist."""
    _check_identifier(role, "role")
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cur.fetchone() is None:
        return None
    return _refresh(cur, role, schema, PRODUCTION_SCHEMA, personal, key, privacy)


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


def _upsert_role(cur, role: str, password: str | None, schema: str) -> bool:
    """Create the role, or bring an existing one to what it must be; whether this call created
    it. Only what differs is altered: ALTER ROLE on a role another process alters at the same
    moment fails with 'tuple concurrently updated'."""
    import psycopg
    from psycopg import sql

    name = sql.Identifier(role)
    options = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    cur.execute(
        "SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication "
        "OR rolbypassrls), coalesce(rolconfig, '{}') FROM pg_roles WHERE rolname = %s",
        [role],
    )
    found = cur.fetchone()
    created = False
    if found is None:
        statement = sql.SQL("CREATE ROLE {} {}").format(name, options)
        if password is not None:  # DDL takes no parameters: the password goes in as a literal
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        try:
            with cur.connection.transaction():
                cur.execute(statement)
            created = True
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            found = (False, [])  # created by another process meanwhile: check it like any other
    if not created:
        assert found is not None
        options_ok, config = found
        if not options_ok:
            _alter(cur, sql.SQL("ALTER ROLE {} {}").format(name, options))
        if password is not None:
            _alter(cur, sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(password)))
    else:
        config = []
    wanted = {"default_transaction_read_only": "on", "search_path": schema}
    for setting, value in wanted.items():
        if not any(item in (f"{setting}={value}", f'{setting}="{value}"') for item in config):
            _alter(cur, f'ALTER ROLE "{role}" SET {setting} = "{value}"')
    return created


def _alter(cur, statement) -> None:
    """An ALTER ROLE that another process may be running on the same role at this moment: if it
    loses that race, the other one made the same change."""
    import psycopg

    try:
        with cur.connection.transaction():
            cur.execute(statement)
    except psycopg.errors.InternalError_ as exc:
        if "concurrently updated" not in str(exc):
            raise


def _refresh(
    cur,
    role: str,
    schema: str,
    source: str,
    personal: Mapping[str, str],
    key: str | None,
    privacy: Privacy | None = None,
) -> list[str]:
    """Drop and recreate the masked relations, revoke everything else, grant them."""
    privacy = privacy or Privacy()
    cur.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) AND nspname NOT LIKE 'pg\\_%%'",
        [list(_SYSTEM)],
    )
    for (other,) in cur.fetchall():
        if other != schema:
            cur.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{other}" FROM "{role}", PUBLIC')
            cur.execute(f'REVOKE ALL ON SCHEMA "{other}" FROM "{role}"')
    # Tables created later (by this user, in any schema) grant nothing to the role or to PUBLIC,
    # and the role can create nothing: no table in public, no TEMP table.
    cur.execute(f'ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM "{role}", PUBLIC')
    cur.execute("SELECT to_regnamespace('public') IS NOT NULL")
    if cur.fetchone()[0]:
        cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    cur.execute("SELECT current_database()")
    database = cur.fetchone()[0]
    cur.execute(f'GRANT TEMPORARY ON DATABASE "{database}" TO current_user')  # dbt needs them
    cur.execute(f'REVOKE TEMPORARY ON DATABASE "{database}" FROM "{role}", PUBLIC')
    cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    cur.execute(f'CREATE SCHEMA "{schema}"')
    cur.execute(
        "SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_schema = %s "
        "GROUP BY table_name ORDER BY table_name",
        [source],
    )
    if key is None:  # no pseudonyms without a key: the columns are left out instead
        personal = {c: "drop" if p == "hash" else p for c, p in personal.items()}
    marts = {table: list(columns) for table, columns in cur.fetchall()}
    privacy.check_columns(marts)
    views = []
    for table, columns in marts.items():
        if not privacy.shown(table):
            continue
        target, origin = f'"{schema}"."{table}"', f'"{source}"."{table}"'
        hashed = [c for c in columns if personal.get(c) == "hash"]
        rule = privacy.groups.get(table)
        if not hashed and rule is None:
            select = masked_select(columns, personal, "{}")
            cur.execute(f"CREATE VIEW {target} AS SELECT {select} FROM {origin}")
        else:
            assert key is not None or not hashed
            shape = masked_select(columns, personal, "CAST(NULL AS text)")
            cur.execute(f"CREATE TABLE {target} AS SELECT {shape} FROM {origin} WITH NO DATA")
            select, where = guarded_select(
                columns, personal, pseudonym.POSTGRES_SQL, rule, privacy.min_group
            )
            params = pseudonym.pads(key) if hashed and key is not None else None
            cur.execute(f"INSERT INTO {target} SELECT {select} FROM {origin}{where}", params)
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
