"""One writer per warehouse: `armazem run`, `ingest`, `transform` and `publish` hold a lock for
as long as they run, and a second one refuses at once with a line naming the holder.

DuckDB: an exclusive `flock` on `<data_dir>/.armazem-writer.lock` (an export takes it shared, so
it never reads a file a run is half-way through writing). PostgreSQL: a session advisory lock in
the warehouse's database, held by a connection of its own; the server releases it when that
session ends, so a killed process never leaves a stale lock behind (nor does a closed file).
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from armazem.errors import ArmazemError
from armazem.settings import Settings, redact_url

LOCK_FILE = ".armazem-writer.lock"
_ADVISORY_KEY = 0x61726D7772  # "armwr": the writer lock, beside postgres.py's `_armazem` lock
_APPLICATION = "armazem writer"


@contextmanager
def writer_lock(settings: Settings, command: str) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block; ArmazemError if another process has it."""
    holder = f"`armazem {command}` (pid {os.getpid()} on {socket.gethostname()})"
    if settings.warehouse_kind == "postgresql":
        with _advisory(settings.warehouse_url, holder):
            yield
        return
    with _flock(settings.data_path / LOCK_FILE, fcntl.LOCK_EX, holder):
        yield


@contextmanager
def reader_lock(settings: Settings, command: str) -> Iterator[None]:
    """For readers of a DuckDB file (exports): refuse while a writer runs. PostgreSQL readers
    need no lock: they see the last committed state."""
    if settings.warehouse_kind == "postgresql":
        yield
        return
    holder = f"`armazem {command}` (pid {os.getpid()} on {socket.gethostname()})"
    with _flock(settings.data_path / LOCK_FILE, fcntl.LOCK_SH, holder):
        yield


@contextmanager
def _flock(path: Path, mode: int, holder: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            other = Path(path).read_text(encoding="utf-8", errors="replace").strip()
            raise _busy(
                f"the warehouse in {path.parent}", other or "another armazem process"
            ) from None
        os.ftruncate(fd, 0)  # who holds it, for the message of the one refused
        os.pwrite(fd, holder.encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def _advisory(url: str, holder: str) -> Iterator[None]:
    import psycopg

    from armazem.warehouse.postgres import PostgresWarehouse

    with PostgresWarehouse(url).connect():  # creates the database on first use; or one error
        pass
    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=5,
                              application_name=f"{_APPLICATION}: {holder}"[:63])  # fmt: skip
    except psycopg.OperationalError as exc:
        raise ArmazemError(
            f"cannot take the writer lock on {redact_url(url)}: {' '.join(str(exc).split())}",
            "check that the warehouse server runs, then run this command again",
        ) from None
    try:
        if not con.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_KEY]).fetchone()[0]:
            other = con.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.objid = %s AND l.granted "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [_ADVISORY_KEY & 0xFFFFFFFF],
            ).fetchone()
            shown = other[0].removeprefix(f"{_APPLICATION}: ") if other else "another session"
            raise _busy(f"the warehouse {redact_url(url)}", shown)
        yield
    finally:
        con.close()  # ends the session: the lock goes with it


def _busy(warehouse: str, holder: str) -> ArmazemError:
    return ArmazemError(
        f"{holder} is using {warehouse}: two writers (or a writer and an export) never run at once",
        "wait until it has finished (or stop it), then run this command again",
    )
