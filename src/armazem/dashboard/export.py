"""`armazem export TABLE`: one production table to a CSV or Parquet file.

DuckDB writes the file itself (COPY ... TO) from a read-only connection. PostgreSQL's rows come
as Arrow batches over ADBC and are written batch by batch, so memory stays bounded; its NUMERIC
columns (which ADBC hands over as text) become exact decimals of the column's precision.
Either way the file is written beside its destination and renamed into place when complete.
"""

from __future__ import annotations

import os
from pathlib import Path

from armazem.dashboard import queries
from armazem.dashboard.db import PRODUCTION_SCHEMA, DuckDBReader, PostgresReader, Reader
from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.warehouse.plan import quote

FORMATS = ("csv", "parquet")


def export_table(
    settings: Settings, table: str, fmt: str, out: Path | None = None
) -> tuple[Path, int]:
    """Write production.<table> to `out` (default <data_dir>/exports/<table>.<fmt>); returns
    the file and its rows."""
    if fmt not in FORMATS:
        raise ArmazemError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    name = table.removeprefix(f"{PRODUCTION_SCHEMA}.")
    reader = _reader(settings)
    tables = queries.schema_tables(reader, PRODUCTION_SCHEMA)
    if name not in tables:
        shown = ", ".join(tables) or "none yet: run `armazem run`"
        raise ArmazemError(f"production has no table {name!r}", f"export one of: {shown}")
    path = (out or settings.data_path / "exports" / f"{name}.{fmt}").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    source = f"{quote(PRODUCTION_SCHEMA)}.{quote(name)}"
    try:
        if isinstance(reader, DuckDBReader):
            rows = _duckdb(reader, source, fmt, partial)
        else:
            rows = _postgres(settings.production_server_url, source, fmt, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path, rows


def _reader(settings: Settings) -> Reader:
    if settings.warehouse_kind == "postgresql":
        return PostgresReader(settings.production_server_url, None, PRODUCTION_SCHEMA)
    path = settings.local_file(settings.warehouse_url)
    assert path is not None
    return DuckDBReader(path)


def _duckdb(reader: DuckDBReader, source: str, fmt: str, target: Path) -> int:
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
    escaped = str(target).replace("'", "''")
    with reader.session():
        copied = reader.fetch(f"COPY (SELECT * FROM {source}) TO '{escaped}' ({options})")
    return int(copied.rows[0][0]) if copied.rows else 0


def _postgres(url: str, source: str, fmt: str, target: Path) -> int:
    import pyarrow as pa

    from armazem.warehouse.arrow import exact_column, exact_field
    from armazem.warehouse.postgres import PostgresWarehouse

    with PostgresWarehouse(url).connect(read_only=True) as con, con.cursor() as cur:
        cur.execute(f"SELECT * FROM {source}")
        batches = cur.fetch_record_batch()
        schema = pa.schema([exact_field(f) for f in batches.schema])
        writer = _writer(fmt, target, schema)
        rows = 0
        try:
            for batch in batches:
                converted = pa.RecordBatch.from_arrays(
                    [exact_column(c, f) for c, f in zip(batch.columns, schema, strict=True)],
                    schema=schema,
                )
                writer.write_batch(converted)
                rows += batch.num_rows
        finally:
            writer.close()
    return rows


def _writer(fmt: str, target: Path, schema):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "csv":
        options = pacsv.WriteOptions(quoting_style="needed")  # as DuckDB writes it
        return pacsv.CSVWriter(str(target), schema, write_options=options)
    return pq.ParquetWriter(str(target), schema, compression="zstd")
