"""Publishing on PostgreSQL: the marts are copied into a new schema first, checked, and then
swapped in by ONE short transaction, with the BI role's views recreated inside it.

Production is the warehouse's own `production` schema, or, with `production_url`, the
`production` schema of a separate PostgreSQL server. Either way:

1. leftovers of a publish that died (`production_incoming_*` schemas) are dropped;
2. every mart is copied into `production_incoming_<id>` and committed there, out of sight
   (on one server `CREATE TABLE AS`; across servers a binary COPY streamed from staging);
3. each copy's row count and checksum (a sum of per-row hashes, so row order does not matter)
   must equal staging's, or the publish stops;
4. one transaction drops the old `production`, renames the new schema to `production`, records
   the publication and recreates the BI views: readers see the old marts or the new ones, and
   the BI role never finds its views missing.

A failure or a crash anywhere before the commit of step 4 leaves production as it was.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from armazem import failpoints
from armazem.errors import START_POSTGRES, ArmazemError
from armazem.settings import redact_url
from armazem.warehouse.plan import META_DDL, META_SCHEMA, quote
from armazem.warehouse.store import utcnow

if TYPE_CHECKING:
    import psycopg

    from armazem.project.privacy import Privacy

PRODUCTION_SCHEMA = "production"
INCOMING_PREFIX = "production_incoming_"
# Same text for the same row on both servers: the checksum hashes each row's text form.
_SESSION = ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET extra_float_digits = 1")
_PUBLICATIONS_DDL = (META_DDL[0], next(d for d in META_DDL if ".publications" in d))


def publish_postgres(
    staging_url: str,
    build_schema: str,
    names: list[str],
    run_id: str,
    loads: dict[str, str],
    personal: Mapping[str, str],
    production_url: str | None = None,
    key: str | None = None,
    privacy: Privacy | None = None,
) -> dict[str, int]:
    """Copy, check and swap in the marts `names` of `build_schema`; returns rows per table."""
    remote = production_url is not None and production_url != staging_url
    target_url = production_url if remote else staging_url
    incoming = f"{INCOMING_PREFIX}{run_id or secrets.token_hex(6)}"
    with _connect(staging_url, "staging") as staging, _connect(target_url, "production") as prod:
        _drop_leftovers(prod)
        try:
            _execute(prod, f"CREATE SCHEMA {quote(incoming)}")
            for name in names:
                source = f"{quote(build_schema)}.{quote(name)}"
                if remote:
                    _copy(staging, prod, source, incoming, name)
                else:
                    _execute(prod, f"CREATE TABLE {quote(incoming)}.{quote(name)} AS "
                                   f"SELECT * FROM {source}")  # fmt: skip
            prod.commit()
            failpoints.reach("publish-before-verify")
            published = _verify(staging, build_schema, prod, incoming, names)
            failpoints.reach("publish-before-swap")
            _swap(prod, incoming, run_id, published, loads, personal, remote, key, privacy)
            failpoints.reach("publish-before-commit")
            prod.commit()
        except BaseException:
            _abandon(prod, incoming)
            raise
    if remote:  # staging's record of what production now holds (read by `publish --status`)
        _record_on_staging(staging_url, run_id, published, loads)
    return published


def _record_on_staging(
    url: str, run_id: str, published: dict[str, int], loads: dict[str, str]
) -> None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as con:
            _record(con, run_id, published, loads)
    except psycopg.OperationalError as exc:
        raise ArmazemError(
            f"production was published (run {run_id}), but the staging server "
            f"{redact_url(url)} failed before recording it: {' '.join(str(exc).split())}",
            "start it; production's own `_armazem.publications` has the record",
        ) from None


def _swap(
    prod: psycopg.Connection,
    incoming: str,
    run_id: str,
    published: dict[str, int],
    loads: dict[str, str],
    personal: Mapping[str, str],
    remote: bool,
    key: str | None,
    privacy: Privacy | None = None,
) -> None:
    """The one transaction readers notice (not committed here)."""
    from armazem.dashboard.bi import recreate_views
    from armazem.dashboard.db import BI_SCHEMA

    # Lock in the order readers do (a BI view, then the table under it), or a reader and the
    # swap could each hold what the other waits for (a deadlock the test found).
    views = _execute(
        prod,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('v', 'r') ORDER BY 1",
        [BI_SCHEMA],
    )
    if views:
        names = ", ".join(f"{quote(BI_SCHEMA)}.{quote(v)}" for (v,) in views)
        _execute(prod, f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
    _execute(prod, f"DROP SCHEMA IF EXISTS {quote(PRODUCTION_SCHEMA)} CASCADE")
    _execute(prod, f"ALTER SCHEMA {quote(incoming)} RENAME TO {quote(PRODUCTION_SCHEMA)}")
    if remote:
        for statement in _PUBLICATIONS_DDL:
            _execute(prod, statement)
    _record(prod, run_id, published, loads)
    with prod.cursor() as cur:
        recreate_views(cur, personal, key=key, privacy=privacy)


def _copy(
    staging: psycopg.Connection, prod: psycopg.Connection, source: str, schema: str, name: str
) -> None:
    """One table, same column types, streamed in PostgreSQL's binary COPY format."""
    with staging.cursor() as cur:
        cur.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum",
            [source],
        )
        columns = cur.fetchall()
    target = f"{quote(schema)}.{quote(name)}"
    _execute(prod, f"CREATE TABLE {target} ({', '.join(f'{quote(c)} {t}' for c, t in columns)})")
    with (
        staging.cursor() as out_cur,
        prod.cursor() as in_cur,
        out_cur.copy(f"COPY (SELECT * FROM {source}) TO STDOUT (FORMAT binary)") as out,
        in_cur.copy(f"COPY {target} FROM STDIN (FORMAT binary)") as into,
    ):
        for block in out:
            into.write(block)


def _verify(
    staging: psycopg.Connection,
    build_schema: str,
    prod: psycopg.Connection,
    incoming: str,
    names: list[str],
) -> dict[str, int]:
    """Row counts of the copies, after checking them and their checksums against staging."""
    published = {}
    for name in names:
        expected = _fingerprint(staging, f"{quote(build_schema)}.{quote(name)}")
        copied = _fingerprint(prod, f"{quote(incoming)}.{quote(name)}")
        if copied != expected:
            raise ArmazemError(
                f"the copy of {name} on the production server differs from staging "
                f"(rows, checksum: {copied} against {expected}); production left as it was",
                "check both servers' versions and settings, then run `armazem publish` again",
            )
        published[name] = expected[0]
    return published


def _fingerprint(con: psycopg.Connection, table: str) -> tuple[int, int]:
    """(rows, sum of a 60-bit hash of each row's text): equal tables give equal pairs."""
    rows = _execute(
        con,
        f"SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0) "
        f"FROM {table} t",
    )
    return int(rows[0][0]), int(rows[0][1])


def _record(
    con: psycopg.Connection, run_id: str, published: dict[str, int], loads: dict[str, str]
) -> None:
    _execute(
        con,
        f"INSERT INTO {META_SCHEMA}.publications VALUES (%s, %s, %s, %s)",
        [utcnow(), run_id, json.dumps(published), json.dumps(loads)],
    )


def _drop_leftovers(prod: psycopg.Connection) -> None:
    """Schemas of publishes that died before their swap: never visible, never needed."""
    rows = _execute(
        prod,
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
        [INCOMING_PREFIX],
    )
    for (schema,) in rows:
        _execute(prod, f"DROP SCHEMA {quote(schema)} CASCADE")
    prod.commit()


def _abandon(prod: psycopg.Connection, incoming: str) -> None:
    """Undo what can be undone; a server that went away keeps its leftovers for the next run."""
    import psycopg

    try:
        prod.rollback()
        _execute(prod, f"DROP SCHEMA IF EXISTS {quote(incoming)} CASCADE")
        prod.commit()
    except psycopg.Error:
        pass


def _execute(
    con: psycopg.Connection, sql: str, parameters: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    with con.cursor() as cur:
        cur.execute(sql, parameters)
        return cur.fetchall() if cur.description else []


@contextmanager
def _connect(url: str, role: str) -> Iterator[psycopg.Connection]:
    """A session with the settings the checksums need; a server lost on the way is one line."""
    import psycopg

    try:
        con = psycopg.connect(url, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise _lost(url, role, exc) from None
    try:
        for statement in _SESSION:
            con.execute(statement)
        con.commit()
        yield con
    except psycopg.OperationalError as exc:
        if not con.broken:  # the other server's, or not a lost connection: not ours to name
            raise
        raise _lost(url, role, exc) from None
    finally:
        con.close()


def _lost(url: str, role: str, exc: Exception) -> ArmazemError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return ArmazemError(
        f"publish stopped: the {role} server {redact_url(url)} failed: {reason}; "
        "production left as it was",
        f"start it (`{START_POSTGRES}` for the local one), then run `armazem publish` again",
    )
