"""Read-only connections to the warehouse, for the dashboards, exports and the capstone module.

DuckDB lets many processes read a file at once, but none while a writer (`armazem run`, `ingest`,
a capstone load) holds it, and an open reader keeps writers out. So connections here are short:
one per query, or one per page render inside `session()`, opened only when a query really runs
(a page served from the cache does not touch the file at all).

PostgreSQL: the marts are read as the BI role (`SET ROLE`, so the role's grants are what is
checked, and the BI tools see exactly what the dashboards see); the platform's own tables
(`_armazem`) and the capstone's raw table, which that role must not read, are read with the
warehouse URL's user in read-only transactions.

SQL is written with `$name` parameters (DuckDB's own style); PostgreSQL gets them as `%(name)s`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from armazem.errors import ArmazemError
from armazem.settings import Settings, redact_url

BI_ROLE = "armazem_bi"
BI_SCHEMA = "bi"
PRODUCTION_SCHEMA = "production"
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Rows:
    """A query's result: column names and rows of Python values (Decimal for money)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class Reader(Protocol):
    """Runs read-only SQL. `key` names what it reads (for caches), `label` says it to people;
    `marts` is the schema where this reader finds the marts."""

    key: str
    label: str
    marts: str

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> Rows: ...

    def session(self) -> Any:
        """A context in which queries of this thread share one connection, opened lazily."""
        ...


class NotPublished(ArmazemError):
    """A table the dashboards read is not in the warehouse (nothing built or published yet)."""


class _LazyReader:
    """Connection handling shared by both engines: per query, or one per `session()`."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def session(self) -> Iterator[None]:
        if getattr(self._local, "active", False):
            yield
            return
        self._local.active, self._local.connection = True, None
        try:
            yield
        finally:
            connection, self._local.connection = self._local.connection, None
            self._local.active = False
            if connection is not None:
                connection.close()

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
        if getattr(self._local, "active", False):
            if self._local.connection is None:
                self._local.connection = self._open()
            return self._run(self._local.connection, sql, params or {})
        connection = self._open()
        try:
            return self._run(connection, sql, params or {})
        finally:
            connection.close()

    def _open(self) -> Any:
        raise NotImplementedError

    def _run(self, connection: Any, sql: str, params: Mapping[str, Any]) -> Rows:
        raise NotImplementedError


class DuckDBReader(_LazyReader):
    """The embedded warehouse file, opened read-only."""

    marts = PRODUCTION_SCHEMA

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.key = f"duckdb:{path}"
        self.label = str(path)

    def _open(self) -> Any:
        import duckdb

        from armazem.warehouse.store import DUCKDB_CONFIG

        if not self.path.exists():
            raise ArmazemError(
                f"the warehouse {self.path} does not exist yet",
                "build it with `armazem run`",
            )
        try:
            # The platform's config: DuckDB refuses a second, different one in a process.
            return duckdb.connect(str(self.path), read_only=True, config=DUCKDB_CONFIG)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            raise ArmazemError(
                f"the warehouse {self.path} is being written by another process "
                "(an `armazem run`, `ingest` or `capstone` load): DuckDB lets nobody read a file "
                "while it is written",
                "wait until that process finishes, then try again",
            ) from None

    def _run(self, connection: Any, sql: str, params: Mapping[str, Any]) -> Rows:
        import duckdb

        # DuckDB refuses parameters the statement does not use; PostgreSQL's driver ignores them.
        used = set(_PARAMETER.findall(sql))
        params = {name: value for name, value in params.items() if name in used}
        try:
            cursor = connection.execute(sql, params) if params else connection.execute(sql)
        except duckdb.CatalogException as exc:
            raise _not_published(str(exc)) from None
        columns = tuple(d[0] for d in cursor.description)
        return Rows(columns, cursor.fetchall())


class PostgresReader(_LazyReader):
    """A PostgreSQL warehouse in read-only transactions, as `role` when one is given."""

    def __init__(self, url: str, role: str | None, marts: str) -> None:
        super().__init__()
        self.url, self.role, self.marts = url, role, marts
        self.key = f"{redact_url(url)}#{role or ''}"
        self.label = redact_url(url) + (f" as {role}" if role else "")

    def _open(self) -> Any:
        import psycopg

        try:
            connection = psycopg.connect(
                self.url, connect_timeout=5, options="-c default_transaction_read_only=on"
            )
        except psycopg.OperationalError as exc:
            from armazem.errors import START_POSTGRES

            reason = " ".join(str(exc).split())
            raise ArmazemError(
                f"cannot connect to the PostgreSQL warehouse at {redact_url(self.url)}: {reason}",
                f"start it (`{START_POSTGRES}`) or set ARMAZEM_WAREHOUSE_URL",
            ) from None
        if self.role:
            try:
                connection.execute(f'SET ROLE "{self.role}"')
            except psycopg.Error:
                connection.close()
                raise ArmazemError(
                    f"the BI role {self.role} does not exist (or this user may not act as it)",
                    "create it with `armazem bi` (services profile)",
                ) from None
        return connection

    def _run(self, connection: Any, sql: str, params: Mapping[str, Any]) -> Rows:
        import psycopg

        text = _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%")) if params else sql
        try:
            with connection.cursor() as cursor:
                cursor.execute(text, dict(params) if params else None)
                columns = tuple(d.name for d in cursor.description)
                rows = cursor.fetchall()
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName) as exc:
            connection.rollback()
            raise _not_published(str(exc).splitlines()[0], postgres=True) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            connection.rollback()
            raise ArmazemError(
                f"the BI role may not read this: {str(exc).splitlines()[0]}",
                "refresh its views and grants with `armazem bi`",
            ) from None
        connection.rollback()  # read-only: end the transaction, keep the connection
        return Rows(columns, [tuple(r) for r in rows])


def _not_published(detail: str, postgres: bool = False) -> NotPublished:
    fix = "build and publish the marts with `armazem run`"
    if postgres:
        fix += " (and `armazem bi`, whose views publishing replaces)"
    return NotPublished(f"the warehouse lacks a table the dashboards read ({detail})", fix)


@dataclass(frozen=True)
class Readers:
    """What the dashboards read: the marts (as the BI role on PostgreSQL), and the platform's
    own tables and raw capstone data (as the warehouse's user, read-only)."""

    marts: Reader
    platform: Reader


def readers(settings: Settings, bi_role: str = BI_ROLE) -> Readers:
    if settings.warehouse_kind == "postgresql":
        return Readers(
            marts=PostgresReader(settings.production_server_url, bi_role, BI_SCHEMA),
            platform=PostgresReader(settings.warehouse_url, None, PRODUCTION_SCHEMA),
        )
    path = settings.local_file(settings.warehouse_url)
    if path is None:
        raise ArmazemError(
            f"no dashboard reader for a {settings.warehouse_kind} warehouse",
            "use a duckdb:/// or postgresql:// warehouse_url",
        )
    reader = DuckDBReader(path)
    return Readers(marts=reader, platform=reader)
