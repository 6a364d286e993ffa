"""SQL databases (MySQL/MariaDB, PostgreSQL, SQLite) read with ConnectorX as Arrow batches."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

# ConnectorX's Rust side logs its connection pool's errors to stderr on its own; armazem says
# what failed in one line of its own (unless the user asks for Rust's logs with RUST_LOG).
os.environ.setdefault("RUST_LOG", "off")

import connectorx as cx
import pyarrow as pa

from armazem.errors import ArmazemError
from armazem.ingest.batches import Batch, Reader
from armazem.settings import redact_url


def connectorx_url(url: str, sqlite_path: Path | None) -> str:
    """ConnectorX wants an absolute path after `sqlite://`, and `mysql://` for MariaDB."""
    if sqlite_path is not None:
        if not sqlite_path.exists():
            raise ArmazemError(
                f"database file {sqlite_path} does not exist",
                "check the source's connection, or run `armazem simulate` if the project has one",
            )
        return f"sqlite://{sqlite_path}"
    return url.replace("mariadb://", "mysql://", 1)


def read_table(
    url: str,
    table: str,
    columns: Iterable[str],
    order_by: Iterable[str],
    batch_size: int,
    where: str | None = None,
    partition_on: str | None = None,
    partitions: int = 1,
) -> Reader:
    """Stream a table (or its rows matching `where`); memory holds a batch per partition.

    With `partition_on` (an integer column) and more than one partition, ConnectorX reads
    ranges of that column in parallel; row order is then not defined, which merges do not need.
    """
    query = f"SELECT {_names(url, columns)} FROM {quote(url, table)}"
    if where:
        query += f" WHERE {where}"
    options: dict[str, object] = {}
    if partition_on and partitions > 1:
        options = {"partition_on": partition_on, "partition_num": partitions}
    elif order_by:
        query += f" ORDER BY {_names(url, order_by)}"
    for record_batch in _open(url, table, query, batch_size, options):
        yield Batch(pa.Table.from_batches([record_batch]))


def read_column(url: str, table: str, columns: Iterable[str], batch_size: int) -> Reader:
    """Only some columns of every row, e.g. the key set for delete detection."""
    query = f"SELECT {_names(url, columns)} FROM {quote(url, table)}"
    for record_batch in _open(url, table, query, batch_size, {}):
        yield Batch(pa.Table.from_batches([record_batch]))


def quote(url: str, name: str) -> str:
    """A table or column name quoted for the database behind `url` (MySQL uses backticks)."""
    if url.startswith(("mysql://", "mariadb://")):
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _names(url: str, names: Iterable[str]) -> str:
    return ", ".join("*" if n == "*" else quote(url, n) for n in names)


def _open(
    url: str, table: str, query: str, batch_size: int, options: dict[str, object]
) -> Iterator[pa.RecordBatch]:
    """The query's record batches; the server failing at any point, also mid-read (a lost
    connection), is one ArmazemError."""
    try:
        stream = cx.read_sql(
            url, query, return_type="arrow_stream", batch_size=batch_size, **options
        )
        yield from stream
    except (RuntimeError, OSError) as exc:
        raise _unreadable(url, table, exc) from None
    except BaseException as exc:
        # A server lost mid-stream panics in ConnectorX's Rust code: pyo3's PanicException
        # derives from BaseException, so it would pass `except Exception` as a traceback.
        if type(exc).__name__ != "PanicException":
            raise
        raise _unreadable(url, table, exc) from None


def _unreadable(url: str, table: str, exc: BaseException) -> ArmazemError:
    return ArmazemError(
        f"cannot read {table} from {redact_url(url)}: {_first_line(exc)}",
        "check that the database is running and the source's connection points at it; "
        "nothing of this table was committed, so the rerun reads it again",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
