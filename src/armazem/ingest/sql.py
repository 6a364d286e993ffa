"""SQL databases (MySQL/MariaDB, PostgreSQL, SQLite) read with ConnectorX as Arrow batches."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import connectorx as cx
import pyarrow as pa

from armazem.errors import ArmazemError
from armazem.ingest.batches import Batch, Reader
from armazem.settings import redact_url


def connectorx_url(url: str, sqlite_path: Path | None) -> str:
    """ConnectorX wants an absolute path after `sqlite://` and `mysql://` for MariaDB."""
    if sqlite_path is not None:
        if not sqlite_path.exists():
            raise ArmazemError(
                f"shop database {sqlite_path} does not exist", "run `armazem simulate` first"
            )
        return f"sqlite://{sqlite_path}"
    return url.replace("mariadb://", "mysql://", 1)


def read_table(
    url: str, table: str, columns: Iterable[str], order_by: Iterable[str], batch_size: int
) -> Reader:
    """Stream a whole table in key order; memory holds one batch at a time."""
    query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(order_by)}"
    try:
        stream = cx.read_sql(url, query, return_type="arrow_stream", batch_size=batch_size)
    except RuntimeError as exc:
        raise ArmazemError(
            f"cannot read {table} from {redact_url(url)}: {str(exc).splitlines()[0]}",
            "check that the database is running and ARMAZEM_OLTP_URL points at it",
        ) from None
    for record_batch in stream:
        yield Batch(pa.Table.from_batches([record_batch]))
