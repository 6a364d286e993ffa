"""A simulated system's database in a SQLite file (the embedded profile): Arrow tables written
whole, with a primary key on the first column and types a SQL reader maps back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

INSERT_BATCH = 50_000


def _sql_type(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return "INTEGER"
    if pa.types.is_floating(kind):
        return "REAL"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "DATETIME"
    return "TEXT"


def _values(column: pa.ChunkedArray) -> list:
    if pa.types.is_timestamp(column.type):
        column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    elif pa.types.is_date(column.type):
        column = pc.strftime(column, format="%Y-%m-%d")
    return column.to_pylist()


def write_sqlite(path: Path, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Replace the database file with these tables, in one transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = sqlite3.connect(partial)
    try:
        for name, rows in tables.items():
            fields = [f"{f.name} {_sql_type(f.type)}" for f in rows.schema]
            fields[0] += " PRIMARY KEY"
            con.execute(f"CREATE TABLE {name} ({', '.join(fields)})")
            marks = ", ".join("?" * rows.num_columns)
            for batch in rows.to_batches(INSERT_BATCH):
                values = [_values(pa.chunked_array([c])) for c in batch.columns]
                con.executemany(f"INSERT INTO {name} VALUES ({marks})", zip(*values, strict=True))
        con.commit()
    finally:
        con.close()
    partial.replace(path)  # readers see the old database or the new one, never half of it
    return {name: rows.num_rows for name, rows in tables.items()}
