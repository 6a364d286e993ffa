"""A read-only query on the warehouse as a stream of Arrow batches, with the same column types on
both engines: DuckDB hands its own types over; PostgreSQL's NUMERIC, which ADBC hands over as
text, becomes an exact decimal of the column's precision (unconstrained NUMERIC stays text).
Memory stays bounded by the batch size, not the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.warehouse.postgres import PostgresWarehouse
from armazem.warehouse.store import DUCKDB_CONFIG

BATCH_ROWS = 65_536
_NUMERIC_KEYS = (b"POSTGRESQL:type", b"ADBC:postgresql:typname")


@contextmanager
def query_batches(settings: Settings, sql: str) -> Iterator[pa.RecordBatchReader]:
    """The rows of `sql` (read-only) as a RecordBatchReader, open for the block."""
    if settings.warehouse_kind == "postgresql":
        warehouse = PostgresWarehouse(settings.warehouse_url)
        with warehouse.connect(read_only=True) as con, con.cursor() as cur:
            cur.execute(sql)
            yield exact_batches(cur.fetch_record_batch())
        return
    import duckdb

    path = settings.local_file(settings.warehouse_url)
    if path is None or not path.exists():
        raise ArmazemError(f"warehouse {path} does not exist yet", "run `armazem run`")
    con = duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG)
    try:
        yield con.execute(sql).to_arrow_reader(BATCH_ROWS)
    finally:
        con.close()


def exact_batches(batches: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """PostgreSQL's batches with exact decimals and without ADBC's extension types."""
    schema = pa.schema([exact_field(f) for f in batches.schema])

    def converted() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield pa.RecordBatch.from_arrays(
                [exact_column(c, f) for c, f in zip(batch.columns, schema, strict=True)],
                schema=schema,
            )

    return pa.RecordBatchReader.from_batches(schema, converted())


def exact_field(field: pa.Field) -> pa.Field:
    """NUMERIC(p,s) arrives as text (an opaque Arrow extension type): a decimal128(p,s) field."""
    metadata = field.metadata or {}
    if any(metadata.get(key) == b"numeric" for key in _NUMERIC_KEYS):
        typmod = int(metadata.get(b"POSTGRESQL:typmod", b"-1"))
        if typmod >= 4:
            precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
            return pa.field(field.name, pa.decimal128(precision, scale))
        return pa.field(field.name, pa.string())  # unconstrained: keep every digit, as text
    if isinstance(field.type, pa.ExtensionType):
        return pa.field(field.name, field.type.storage_type)
    return pa.field(field.name, field.type, metadata=None)


def exact_column(array: pa.Array, field: pa.Field) -> pa.Array:
    if isinstance(array.type, pa.ExtensionType):
        array = array.storage
    return array if array.type == field.type else pc.cast(array, field.type)
