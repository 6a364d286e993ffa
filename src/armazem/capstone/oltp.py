"""Capstone module 1: the SoftCart OLTP database on MySQL/MariaDB.

Creates database `sales` with table `sales_data`, loads `softcart-oltp/oltpdata.csv` into it
(validating every row), indexes `timestamp` as `ts`, exports the table with
`scripts/datadump.sh` (mysqldump), and proves the export restores by loading it into a scratch
database and counting its rows.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
from pymysql.connections import Connection

from armazem.errors import START_MARIADB, ArmazemError
from armazem.settings import Settings

DATABASE = "sales"
TABLE = "sales_data"
CSV_NAME = "softcart-oltp/oltpdata.csv"
COLUMNS = ("product_id", "customer_id", "price", "quantity", "timestamp")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
BATCH_ROWS = 1_000
MAX_REASONS = 5  # how many rejected rows are described in the result
SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "datadump.sh"

# price is money: DECIMAL keeps cents exact where the reference dump's DOUBLE would not.
CREATE_TABLE = f"""
CREATE TABLE `{TABLE}` (
  `product_id` INT NOT NULL,
  `customer_id` INT DEFAULT NULL,
  `price` DECIMAL(10,2) DEFAULT NULL,
  `quantity` INT DEFAULT NULL,
  `timestamp` DATETIME DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""
_COLUMN_LIST = ", ".join(f"`{c}`" for c in COLUMNS)
INSERT = f"INSERT INTO `{TABLE}` ({_COLUMN_LIST}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_PRICE_MAX = Decimal("99999999.99")  # DECIMAL(10,2)


@dataclass(frozen=True)
class Server:
    """Where and as whom to connect; `safe_url` is the URL without its password."""

    host: str
    port: int
    user: str
    password: str
    safe_url: str


@dataclass
class Parsed:
    """The rows of the CSV that fit the table, and why the others did not."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(f"line {line}: {reason}")


def run(settings: Settings, *, database: str = DATABASE) -> dict[str, Any]:
    """Build, load, index, export and verify the `sales` OLTP database; return what was done.

    `database` exists so tests can work on a database of their own; the capstone uses `sales`.
    """
    server = parse_server(settings.mysql_url)
    parsed = read_csv(settings.capstone_path / CSV_NAME)
    export_file = settings.data_path / "capstone" / "sales_data.sql"
    check_database = f"{database}_dumpcheck"
    with connect(server) as conn:
        create_table(conn, database)
        load_rows(conn, parsed.rows)
        create_index(conn)
        rows = count_rows(conn, database)
        indexes = index_names(conn, database)
    dump(server, database, export_file)
    export_rows = restore_and_count(server, export_file, check_database)
    return {
        "rows": rows,
        "indexes": indexes,
        "export_file": str(export_file),
        "export_rows": export_rows,
        "rejected": parsed.rejected,
        "rejected_reasons": parsed.reasons,
    }


# --- connection ---------------------------------------------------------------------------------


def parse_server(url: str) -> Server:
    """Host, port and credentials from a `mysql://user:password@host:port` URL."""
    parts = urlsplit(url)
    netloc = parts.hostname or "127.0.0.1"
    port = parts.port or 3306
    user = unquote(parts.username or "root")
    safe = f"{parts.scheme}://{user}@{netloc}:{port}{parts.path}"
    return Server(netloc, port, user, unquote(parts.password or ""), safe)


@contextmanager
def connect(server: Server, database: str | None = None) -> Iterator[Connection]:
    """A pymysql connection; an unreachable server or refused login becomes an ArmazemError."""
    try:
        conn = pymysql.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            database=database,
            charset="utf8mb4",
            autocommit=False,
            connect_timeout=5,
        )
    except pymysql.err.OperationalError as exc:
        raise _connect_error(server, exc) from None
    try:
        yield conn
    except pymysql.MySQLError as exc:
        conn.rollback()
        raise ArmazemError(
            f"MySQL error on {server.safe_url}: {exc.args[-1] if exc.args else exc}",
            "check the server's log and the user's privileges, then run again",
        ) from exc
    finally:
        conn.close()


def _connect_error(server: Server, exc: pymysql.err.OperationalError) -> ArmazemError:
    code = exc.args[0] if exc.args else None
    if code == 1045:  # access denied
        return ArmazemError(
            f"MySQL at {server.safe_url} refused the login: {exc.args[-1]}",
            "put the right user and password in mysql_url (armazem.toml) or ARMAZEM_MYSQL_URL",
        )
    return ArmazemError(
        f"cannot reach MySQL/MariaDB at {server.safe_url}: {exc.args[-1] if exc.args else exc}",
        f"start MariaDB with `{START_MARIADB}`, or point ARMAZEM_MYSQL_URL at a running server",
    )


# --- reading and validating the CSV -------------------------------------------------------------


def read_csv(path: Path) -> Parsed:
    """Parse the header-less CSV; rows that do not fit the table are counted, not loaded."""
    if not path.is_file():
        raise ArmazemError(
            f"capstone file {path} not found",
            "set capstone_dir in armazem.toml (or ARMAZEM_CAPSTONE_DIR) to the folder that holds "
            f"{CSV_NAME}",
        )
    parsed = Parsed()
    # utf-8-sig drops a byte-order mark if one appears; csv copes with the missing final newline.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, fields in enumerate(csv.reader(handle), start=1):
            if not fields or all(not f.strip() for f in fields):
                continue  # a blank line carries no row
            try:
                parsed.rows.append(parse_row(fields))
            except ValueError as exc:
                parsed.reject(line, str(exc))
    return parsed


def parse_row(fields: Sequence[str]) -> tuple[int, int, Decimal, int, datetime]:
    """One CSV row as typed values; ValueError says which field is wrong."""
    if len(fields) != len(COLUMNS):
        raise ValueError(f"expected {len(COLUMNS)} fields, got {len(fields)}")
    product, customer, price, quantity, stamp = (f.strip() for f in fields)
    return (
        _int("product_id", product),
        _int("customer_id", customer),
        _price(price),
        _int("quantity", quantity),
        _timestamp(stamp),
    )


def _int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not an integer") from None
    if not _INT_MIN <= value <= _INT_MAX:
        raise ValueError(f"{name} {text!r} does not fit an INT column")
    return value


def _price(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"price {text!r} is not a number") from None
    if not value.is_finite() or abs(value) > _PRICE_MAX or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"price {text!r} does not fit DECIMAL(10,2)")
    return value


def _timestamp(text: str) -> datetime:
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT)
    except ValueError:
        raise ValueError(f"timestamp {text!r} is not YYYY-MM-DD HH:MM:SS") from None


# --- the database -------------------------------------------------------------------------------


def create_table(conn: Connection, database: str) -> None:
    """Create the database if needed and the table afresh, so reruns never duplicate rows."""
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        cur.execute(f"USE `{database}`")
        cur.execute(f"DROP TABLE IF EXISTS `{TABLE}`")
        cur.execute(CREATE_TABLE)


def load_rows(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert all rows in one transaction, in multi-row batches."""
    with conn.cursor() as cur:
        for start in range(0, len(rows), BATCH_ROWS):
            cur.executemany(INSERT, rows[start : start + BATCH_ROWS])
    conn.commit()


def create_index(conn: Connection) -> None:
    """Index after loading: one sorted build is cheaper than maintaining it row by row."""
    with conn.cursor() as cur:
        cur.execute(f"CREATE INDEX `ts` ON `{TABLE}` (`timestamp`)")


def count_rows(conn: Connection, database: str) -> int:
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM `{database}`.`{TABLE}`")
        return int(cur.fetchone()[0])


def index_names(conn: Connection, database: str) -> list[str]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT index_name FROM information_schema.statistics"
            " WHERE table_schema = %s AND table_name = %s",
            (database, TABLE),
        )
        return sorted(str(r[0]) for r in cur.fetchall())


# --- export and restore check -------------------------------------------------------------------


def dump(server: Server, database: str, output: Path) -> None:
    """Export the table with scripts/datadump.sh; the password travels in the environment."""
    if not SCRIPT.is_file():
        raise ArmazemError(
            f"export script {SCRIPT} not found",
            "run from a complete checkout of the repository (scripts/datadump.sh)",
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        *("bash", str(SCRIPT)),
        *("--host", server.host, "--port", str(server.port), "--user", server.user),
        *("--database", database, "--table", TABLE, "--output", str(output)),
    ]
    _run(command, "scripts/datadump.sh", env={**os.environ, "MYSQL_PWD": server.password})


def restore_and_count(server: Server, dump_file: Path, scratch: str) -> int:
    """Load the dump into a scratch database with the mysql client and count what arrived."""
    client = shutil.which("mysql") or shutil.which("mariadb")
    if client is None:
        raise ArmazemError(
            "the mysql client is not installed, so the export cannot be checked",
            "install the MariaDB/MySQL client (apt-get install mariadb-client)",
        )
    with connect(server) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
        cur.execute(f"CREATE DATABASE `{scratch}`")
        try:
            with _defaults_file(server) as defaults, dump_file.open("rb") as sql:
                command = [client, f"--defaults-extra-file={defaults}", f"--database={scratch}"]
                _run(command, "restoring the export", stdin=sql)
            cur.execute(f"SELECT COUNT(*) FROM `{scratch}`.`{TABLE}`")
            return int(cur.fetchone()[0])
        finally:
            cur.execute(f"DROP DATABASE IF EXISTS `{scratch}`")


@contextmanager
def _defaults_file(server: Server) -> Iterator[Path]:
    """A private option file, so the password never appears on a command line."""
    lines = [
        "[client]",
        f"host={server.host}",
        f"port={server.port}",
        f"user={server.user}",
        "protocol=TCP",
    ]
    if server.password:
        escaped = server.password.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'password="{escaped}"')
    fd, name = tempfile.mkstemp(prefix="armazem-my-", suffix=".cnf")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _run(command: list[str], what: str, **kwargs: Any) -> None:
    try:
        result = subprocess.run(command, capture_output=True, check=False, timeout=300, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArmazemError(
            f"{what} could not run: {exc}", "check that bash and the client exist"
        ) from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        detail = "; ".join(lines[-3:]) if lines else f"exit status {result.returncode}"
        raise ArmazemError(
            f"{what} failed: {detail}",
            "check the server and the client named above, then run again",
        )
