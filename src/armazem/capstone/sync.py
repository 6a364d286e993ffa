"""Capstone module 5a: the incremental sync from the staging OLTP database into the warehouse.

The capstone's staging MySQL table `sales_data(rowid, product_id, customer_id, quantity)` holds
every sale; the production warehouse's `sales_data` (`softcart-etl-sync/sales.csv`) stops at an
older rowid. The sync finds the last rowid in the warehouse, reads the newer rows from MySQL and
inserts them, with price 0 and the load time as timestamp (the staging table has neither).

Both steps go through the ingestion engine (contract, lake, quarantine, ledger, watermark) into
ONE warehouse table, `raw_sales.sales_data`, whose watermark on `rowid` is the "last rowid".

What a run does, and why a second run inserts nothing:

1. The staging database (`database`, default `sales_sync`, apart from module 1's `sales`) is
   dropped and rebuilt from `sales.sql` every run: it stands for the live OLTP system, and
   rebuilding it from the same dump always yields the same rows.
2. The warehouse table is seeded from `sales.csv` (a full load, which sets the watermark to the
   CSV's highest rowid) ONLY when the warehouse has no such table or no watermark for it: the
   first run. Reloading the CSV on every run would replace the table, throwing away the synced
   rows and rewinding the watermark, so every run would insert the same rows again.
3. The sync is an append load of staging rows with rowid above the watermark. The watermark is
   committed with the rows, so the next run starts at the staging table's highest rowid and, the
   staging rows being the same, `inserted` is 0 and the warehouse keeps its row count.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from armazem.capstone import capstone_file
from armazem.capstone.oltp import START_MARIADB, Server, connect, parse_server
from armazem.errors import ArmazemError
from armazem.ingest import files, sql
from armazem.ingest.batches import Batch, Reader
from armazem.ingest.contracts import Contract
from armazem.ingest.pipeline import LoadResult, load_table, new_load_id
from armazem.ingest.sources import SourceTable
from armazem.settings import Settings
from armazem.warehouse import Warehouse, open_warehouse
from armazem.warehouse.store import utcnow

DATABASE = "sales_sync"
SOURCE = "sales"  # warehouse table raw_sales.sales_data
TABLE = "sales_data"
DUMP_NAME = "softcart-etl-sync/sales.sql"
CSV_NAME = "softcart-etl-sync/sales.csv"
CURSOR = "rowid"
CSV_COLUMNS = ("rowid", "product_id", "customer_id", "price", "quantity", "timestamp")
STAGING_COLUMNS = ("rowid", "product_id", "customer_id", "quantity")
PRICE_TYPE = pa.decimal128(10, 2)

# Prices in sales.csv are whole numbers (51 to 4999), but they are money: DECIMAL(10,2) holds them
# exactly, keeps cents should they come, and is the type the platform gives money everywhere.
CONTRACT = Contract(
    columns={
        "rowid": "INTEGER",
        "product_id": "INTEGER",
        "customer_id": "INTEGER",
        "price": "DECIMAL(10,2)",
        "quantity": "INTEGER",
        "timestamp": "TIMESTAMP",
    },
    key=(CURSOR,),
    required=CSV_COLUMNS,  # every column is NOT NULL in the staging table
    rules={"price is negative": "price >= 0", "quantity is not positive": "quantity > 0"},
    on_new_column="ignore",  # the CSV reader's source_file and row_number stay out of the table
)

# MySQL 8's default collation; MariaDB 10.11 does not know it. UCA 5.2.0 is its nearest relative
# there (accent- and case-insensitive too), so the table behaves as it did on MySQL.
MYSQL8_COLLATION = re.compile(r"\butf8mb4_0900_ai_ci\b")
MARIADB_COLLATION = "utf8mb4_unicode_520_ci"


def run(settings: Settings, *, database: str = DATABASE) -> dict[str, Any]:
    """Rebuild the staging database, seed the warehouse on the first run, sync; the figures.

    `database` exists so tests can work on a staging database of their own.
    """
    dump_file = capstone_file(settings, DUMP_NAME)
    csv_file = capstone_file(settings, CSV_NAME)
    check_header(csv_file)
    server = parse_server(settings.mysql_url)
    staging_rows = load_staging(server, dump_file, database)
    warehouse = open_warehouse(settings)
    results: list[LoadResult] = []
    if not is_seeded(warehouse):
        seed = csv_source(csv_file)
        results.append(load_table(settings, warehouse, seed, new_load_id(), full_refresh=True))
    last_rowid, _ = warehouse_figures(warehouse)
    new_rows = count_newer(server, database, last_rowid)
    url = staging_url(settings.mysql_url, database)
    synced = load_table(settings, warehouse, staging_source(url, utcnow()), new_load_id())
    results.append(synced)
    _, warehouse_rows = warehouse_figures(warehouse)
    return {
        "last_rowid": last_rowid,
        "new_rows": new_rows,
        "inserted": synced.loaded,
        "warehouse_rows": warehouse_rows,
        "staging_rows": staging_rows,
        "quarantined": sum(r.quarantined for r in results),
    }


# --- capstone files -----------------------------------------------------------------------------


def check_header(path: Path) -> None:
    """The CSV is read by position, so its header must name the columns in the expected order."""
    with path.open(encoding="utf-8-sig") as handle:
        header = tuple(f.strip() for f in handle.readline().rstrip("\r\n").split(","))
    if header != CSV_COLUMNS:
        raise ArmazemError(
            f"{path} has header {','.join(header)!r}, expected {','.join(CSV_COLUMNS)!r}",
            "use the capstone's sales.csv, or change CSV_COLUMNS in capstone/sync.py",
        )


# --- the staging database -----------------------------------------------------------------------


def load_staging(server: Server, dump_file: Path, database: str) -> int:
    """Drop and recreate `database`, execute the dump in it; its row count."""
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    script = for_mariadb(dump_file.read_text(encoding="utf-8"))
    run_client(server, database, script.encode("utf-8"))
    with connect(server, database) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM `{TABLE}`")
        return int(cur.fetchone()[0])


def for_mariadb(script: str) -> str:
    """A MySQL 8 dump that MariaDB accepts: its collation rewritten to one MariaDB knows."""
    return MYSQL8_COLLATION.sub(MARIADB_COLLATION, script)


def run_client(server: Server, database: str, script: bytes) -> None:
    """Execute a dump with the mysql client.

    The dump is a script written for that client: `--` comments, `/*!40101 ... */` version
    comments, statements ended by `;`, a transaction around the inserts. The client is the
    parser the format is made for, so nothing here re-implements splitting statements (which
    breaks on a `;` or quote inside a string); it stops at the first failing statement and says
    which. The password travels in the environment (MYSQL_PWD), never on the command line.
    """
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        raise ArmazemError(
            "the mysql client is not installed, so sales.sql cannot be loaded",
            "install the MariaDB/MySQL client (apt-get install mariadb-client)",
        )
    command = [
        client,
        *("--host", server.host, "--port", str(server.port), "--user", server.user),
        "--protocol=TCP",
        "--default-character-set=utf8mb4",
        f"--database={database}",
    ]
    env = {**os.environ, "MYSQL_PWD": server.password}
    try:
        result = subprocess.run(
            command, input=script, capture_output=True, check=False, timeout=300, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArmazemError(
            f"loading {DUMP_NAME} could not run: {exc}",
            f"check the mysql client, and that MariaDB runs (`{START_MARIADB}`)",
        ) from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        detail = "; ".join(lines[-3:]) if lines else f"exit status {result.returncode}"
        raise ArmazemError(
            f"loading {DUMP_NAME} into {database} failed: {detail}",
            "check the server named above and the dump, then run again",
        )


def count_newer(server: Server, database: str, rowid: int) -> int:
    """Staging rows the warehouse does not have yet: rowid above its highest."""
    with connect(server, database) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM `{TABLE}` WHERE `{CURSOR}` > %s", (rowid,))
        return int(cur.fetchone()[0])


def staging_url(mysql_url: str, database: str) -> str:
    """The ConnectorX URL of the staging database: the server URL with `database` as its path."""
    parts = urlsplit(mysql_url)
    return sql.connectorx_url(urlunsplit(parts._replace(path=f"/{database}")), None)


# --- the two loads ------------------------------------------------------------------------------


def csv_source(path: Path) -> SourceTable:
    """The warehouse's rows before the sync. A full load; declaring the cursor makes it set the
    watermark the sync starts from."""

    def read(settings: Settings, since: str | None) -> Reader:
        return trimmed(files.read_csv([path], list(CSV_COLUMNS), header=True), CSV_COLUMNS)

    return SourceTable(SOURCE, TABLE, CONTRACT, read, "full", CURSOR)


def staging_source(url: str, loaded_at: datetime) -> SourceTable:
    """The staging rows above the watermark, with price 0 and `loaded_at` as their timestamp."""
    defaults = {
        "price": pa.scalar(Decimal(0), PRICE_TYPE),
        "timestamp": pa.scalar(loaded_at.replace(microsecond=0), pa.timestamp("s")),
    }

    def read(settings: Settings, since: str | None) -> Reader:
        where = None if since is None else f"{CURSOR} > {int(since)}"
        rows = sql.read_table(url, TABLE, STAGING_COLUMNS, [CURSOR], settings.batch_size, where)
        return with_defaults(rows, defaults)

    return SourceTable(SOURCE, TABLE, CONTRACT, read, "append", CURSOR)


def trimmed(reader: Reader, columns: Iterable[str]) -> Reader:
    """Batches with surrounding whitespace stripped from `columns` (text).

    sales.csv writes its timestamps as ' 2017-11-22 03:53:23'. DuckDB 1.5's TRY_CAST happens to
    accept the space, but that is leniency of one version, not a promise: trimming here means the
    contract never sees it. `source_file` and `row_number` from read_csv stay in the batch: the
    contract ignores them, yet a quarantined row's record then says where it came from.
    """
    for batch in reader:
        rows = batch.rows
        for name in columns:
            index = rows.schema.get_field_index(name)
            rows = rows.set_column(index, name, pc.utf8_trim_whitespace(rows.column(index)))
        yield Batch(rows, batch.unreadable)


def with_defaults(reader: Reader, defaults: dict[str, pa.Scalar]) -> Reader:
    """Batches with a constant column added for each default (the staging table lacks them)."""
    for batch in reader:
        rows = batch.rows
        for name, value in defaults.items():
            rows = rows.append_column(name, pa.repeat(value, rows.num_rows))
        yield Batch(rows, batch.unreadable)


# --- the warehouse ------------------------------------------------------------------------------


def is_seeded(warehouse: Warehouse) -> bool:
    """Whether the warehouse has the table and a watermark for it (committed together)."""
    if warehouse.watermark(SOURCE, TABLE) is None:
        return False
    ((found,),) = warehouse.query(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = $1 AND table_name = $2",
        [f"raw_{SOURCE}", TABLE],
    )
    return found > 0


def warehouse_figures(warehouse: Warehouse) -> tuple[int, int]:
    """(highest rowid, row count) of the warehouse table. `query` takes `$1` placeholders on
    DuckDB and PostgreSQL alike (the engines' own connections differ: `?` is DuckDB's only)."""
    ((top, rows),) = warehouse.query(
        f'SELECT coalesce(max("{CURSOR}"), 0), count(*) FROM "raw_{SOURCE}"."{TABLE}"'
    )
    return int(top), int(rows)
