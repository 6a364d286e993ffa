"""`armazem sources discover`: reflect a system and write the source YAML a user then edits.

SQL databases are read from their catalog (columns, types, nullability, primary keys, and an
auto-increment key or an `updated_at`-like timestamp as the likely cursor); a MongoDB collection
and files are sampled. Discovery proposes; the user owns the file afterwards, so an existing
declaration is never overwritten, only completed with tables it does not have yet.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from armazem.errors import ArmazemError
from armazem.ingest import files
from armazem.names import IDENTIFIER
from armazem.settings import Settings, expand, redact_url

CURSOR_NAMES = ("updated_at", "modified_at", "last_modified", "last_updated", "changed_at")
SAMPLE = 1_000
_SQL_TYPES = (
    (r"^(big|int8)", "BIGINT"),
    (r"^(tiny|small|medium)?int|^integer|^int[24]?$|^serial", "INTEGER"),
    (r"^(decimal|numeric)\((\d+),\s*(\d+)\)", "DECIMAL"),
    (r"^(decimal|numeric)", "DECIMAL(38,10)"),
    (r"^(float|double|real)", "DOUBLE"),
    (r"^bool", "BOOLEAN"),
    (r"^(datetime|timestamp)", "TIMESTAMP"),
    (r"^date", "DATE"),
    (r"^time", "TIME"),
    (r"^(blob|bytea|binary|varbinary|longblob|mediumblob)", "BLOB"),
)


def discover(
    settings: Settings, source: str, connection: str, tables: list[str] | None = None
) -> dict[str, Any]:
    """The declaration of `source` as found at `connection` (a URL, a setting or a path)."""
    if _is_path(connection) and "://" not in connection:
        return _files(settings, connection, tables)
    url = settings.connection(connection)
    if url is not None:
        url = expand(url, "--connection")
    if url is None:
        return _files(settings, connection, tables)
    scheme = urlsplit(url).scheme
    if scheme in {"sqlite", "mysql", "mariadb", "postgresql"}:
        return _sql(settings, url, _connection_text(connection, source), tables)
    if scheme == "mongodb":
        return _mongodb(url, _connection_text(connection, source), tables)
    raise ArmazemError(f"cannot discover a {scheme}:// source", "write its YAML by hand")


def render(source: str, declaration: dict[str, Any]) -> str:
    header = (
        f"# The source {source}, as `armazem sources discover` found it: check the modes, keys,\n"
        "# cursors and types, add rules, then run `armazem sources check`.\n"
    )
    return header + yaml.safe_dump(declaration, sort_keys=False, width=100, allow_unicode=True)


def write(path: Path, source: str, declaration: dict[str, Any]) -> list[str]:
    """Write the declaration, or add its new tables to an existing one; the tables added."""
    if path.is_file():
        existing = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        added = [name for name in declaration["tables"] if name not in existing.get("tables", {})]
        if not added:
            return []
        if list(existing)[-1:] != ["tables"]:
            raise ArmazemError(f"{path} does not end with its tables:",
                               "move `tables:` to the end of the file, then retry")  # fmt: skip
        more = yaml.safe_dump({"tables": {n: declaration["tables"][n] for n in added}},
                              sort_keys=False, width=100)  # fmt: skip
        with path.open("a", encoding="utf-8") as handle:  # under the file's own `tables:`
            handle.write(f"  # added by `armazem sources discover {source}`:\n")
            handle.write(more.split("\n", 1)[1])
        return added
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(source, declaration), encoding="utf-8")
    return list(declaration["tables"])


# SQL ------------------------------------------------------------------------------------------


def _sql(settings: Settings, url: str, connection: str, wanted: list[str] | None) -> dict:
    from armazem.ingest import sql

    address = sql.connectorx_url(url, settings.local_file(url))
    scheme = urlsplit(url).scheme
    found: dict[str, list[dict[str, Any]]] = {}
    if scheme == "sqlite":
        found = _sqlite_catalog(address.removeprefix("sqlite://"))
    else:
        for row in _query(address, _CATALOG["postgresql" if scheme == "postgresql" else "mysql"]):
            found.setdefault(row["table_name"], []).append(row)
    tables = {}
    for name in sorted(found):
        if wanted and name not in wanted:
            continue
        if not IDENTIFIER.match(name):
            continue  # a name armazem would refuse: leave it for the user to map
        tables[name] = _sql_table(found[name])
    _check_wanted(wanted, tables)
    return {"kind": "sql", "connection": connection, "tables": tables}


_CATALOG = {
    "mysql": """SELECT table_name AS table_name, column_name AS column_name,
        column_type AS data_type, is_nullable AS is_nullable, column_key AS column_key,
        extra AS extra FROM information_schema.columns WHERE table_schema = database()
        ORDER BY table_name, ordinal_position""",
    "postgresql": """SELECT c.table_name::text AS table_name, c.column_name::text AS column_name,
        CASE WHEN c.data_type = 'numeric' AND c.numeric_precision IS NOT NULL
             THEN 'numeric(' || c.numeric_precision || ',' || c.numeric_scale || ')'
             ELSE c.data_type::text END AS data_type,
        c.is_nullable::text AS is_nullable,
        CASE WHEN k.column_name IS NOT NULL THEN 'PRI' ELSE '' END AS column_key,
        CASE WHEN c.column_default LIKE 'nextval(%' OR c.is_identity = 'YES'
             THEN 'auto_increment' ELSE '' END AS extra
        FROM information_schema.columns c
        LEFT JOIN (SELECT u.table_name, u.column_name FROM information_schema.table_constraints t
                   JOIN information_schema.key_column_usage u
                     ON u.constraint_name = t.constraint_name AND u.table_schema = t.table_schema
                   WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = current_schema())
             k ON k.table_name = c.table_name AND k.column_name = c.column_name
        WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position""",
}


def _sqlite_catalog(path: str) -> dict[str, list[dict[str, Any]]]:
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        tables = con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        columns = "SELECT * FROM pragma_table_info(?) ORDER BY cid"
        return {
            name: _sqlite_columns([dict(r) for r in con.execute(columns, [name])])
            for (name,) in tables.fetchall()
        }
    except sqlite3.Error as exc:
        raise ArmazemError(f"cannot read the catalog of {path}: {exc}",
                           "check that the file is a SQLite database") from None  # fmt: skip
    finally:
        con.close()


def _sqlite_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = [r for r in rows if r["pk"]]
    return [
        {
            "column_name": r["name"],
            # SQLite stores any integer in 64 bits
            "data_type": "bigint" if "int" in (r["type"] or "").lower() else (r["type"] or ""),
            "is_nullable": "NO" if r["notnull"] or r["pk"] else "YES",
            "column_key": "PRI" if r["pk"] else "",
            # a lone INTEGER PRIMARY KEY (exactly so spelled) is the rowid: it grows on insert
            "extra": "auto_increment"
            if len(keys) == 1 and r["pk"] and (r["type"] or "").upper() == "INTEGER"
            else "",
        }
        for r in rows
    ]


def _sql_table(columns: list[dict[str, Any]]) -> dict[str, Any]:
    usable = [c for c in columns if IDENTIFIER.match(c["column_name"])]
    types = {c["column_name"]: _sql_type(c["data_type"]) for c in usable}
    key = [c["column_name"] for c in usable if c["column_key"] == "PRI"]
    required = [c["column_name"] for c in usable if c["is_nullable"] == "NO"]
    table: dict[str, Any] = {}
    timestamp = next((n for n in CURSOR_NAMES if types.get(n) == "TIMESTAMP"), None)
    increments = [c["column_name"] for c in usable if "auto_increment" in (c["extra"] or "")]
    increment = next((name for name in increments if name in key), None)
    if key and timestamp:
        table.update(mode="merge", cursor=timestamp, lookback="1h")
    elif increment:
        table.update(mode="append", cursor=increment)
    else:
        table.update(mode="full")
    if key:
        table["key"] = key
    table["columns"] = types
    if required:
        table["required"] = required
    return table


def _sql_type(declared: str) -> str:
    text = (declared or "").strip().lower()
    for pattern, kind in _SQL_TYPES:
        match = re.match(pattern, text)
        if match:
            if kind == "DECIMAL":
                precision, scale = int(match.group(2)), int(match.group(3))
                return f"DECIMAL({min(precision, 38)},{min(scale, precision, 38)})"
            return kind
    return "VARCHAR"


def _query(address: str, query: str) -> list[dict[str, Any]]:
    import connectorx as cx

    try:
        return cx.read_sql(address, query, return_type="arrow").to_pylist()
    except RuntimeError as exc:
        raise ArmazemError(
            f"cannot read the catalog of {redact_url(address)}: {str(exc).splitlines()[0]}",
            "check that the database is running and the connection is right",
        ) from None


# MongoDB --------------------------------------------------------------------------------------


def _mongodb(url: str, connection: str, wanted: list[str] | None) -> dict:
    from armazem.ingest.mongodb import connect, database_of

    client = connect(url)
    try:
        database = client[database_of(url)]
        tables = {}
        for name in sorted(wanted or database.list_collection_names()):
            if not IDENTIFIER.match(name):
                continue
            sample = list(database[name].find().limit(SAMPLE))
            tables[name] = _document_table(sample, collection=name)
    finally:
        client.close()
    _check_wanted(wanted, tables)
    return {"kind": "mongodb", "connection": connection, "tables": tables}


def _document_table(documents: list[dict[str, Any]], **where: str) -> dict[str, Any]:
    """Scalar top-level fields become columns; everything else goes to `attributes` (JSON)."""
    kinds: dict[str, str] = {}
    for document in documents:
        for name, value in document.items():
            kind = _value_type(value)
            if name not in kinds or kinds[name] == kind:
                kinds[name] = kind
            elif {kinds[name], kind} == {"BIGINT", "DOUBLE"}:
                kinds[name] = "DOUBLE"
            else:
                kinds[name] = "VARCHAR"
    fields = {"_id": "document_id"} if "_id" in kinds else {}
    columns = {"document_id": "VARCHAR"} if fields else {}
    for name, kind in kinds.items():
        column = re.sub(r"\W+", "_", name).strip("_").lower()
        if name == "_id" or kind == "JSON" or not IDENTIFIER.match(column) or column in columns:
            continue
        fields[name] = column
        columns[column] = kind
    columns["attributes"] = "VARCHAR"
    table: dict[str, Any] = {**where, "mode": "full"}
    if fields.get("_id"):
        table["key"] = ["document_id"]
    table.update(fields=fields, rest="attributes", columns=columns)
    return table


def _value_type(value: object) -> str:
    from datetime import datetime

    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, datetime):
        return "TIMESTAMP"
    if isinstance(value, dict | list):
        return "JSON"
    return "VARCHAR"


# Files ----------------------------------------------------------------------------------------

_FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".parquet": "parquet", ".log": "access_log"}  # fmt: skip
_ACCESS_LOG = {**files.ORIGIN_TYPES, "ip": "VARCHAR",
               "time": "TIMESTAMP", "method": "VARCHAR", "path": "VARCHAR", "protocol": "VARCHAR",
               "status": "SMALLINT", "bytes": "BIGINT", "referrer": "VARCHAR",
               "user_agent": "VARCHAR"}  # fmt: skip


def _is_path(text: str) -> bool:
    return "/" in text or "*" in text or text.startswith(".")


def _files(settings: Settings, where: str, wanted: list[str] | None) -> dict:
    """A folder (every file in it, by extension) or a glob: one table per extension found."""
    import duckdb

    path = Path(settings.expand(where))
    absolute = path if path.is_absolute() else settings.base_dir / path
    folder, pattern = (absolute, None) if absolute.is_dir() else (absolute.parent, absolute.name)
    if not folder.is_dir():
        raise ArmazemError(f"folder {folder} does not exist", "pass an existing folder or glob")
    by_format: dict[str, list[Path]] = {}
    for file in sorted(folder.glob(pattern or "*")):
        if file.suffix.lower() in _FORMATS:
            by_format.setdefault(_FORMATS[file.suffix.lower()], []).append(file)
    if len(by_format) != 1:
        raise ArmazemError(
            f"{where}: found {', '.join(by_format) or 'no files of a known format'}",
            "point discover at files of one format (csv, jsonl, parquet, log), e.g. 'dir/*.csv'",
        )
    ((fmt, found),) = by_format.items()
    suffix = found[0].suffix
    glob = pattern or f"*{suffix}"
    name = re.sub(r"\W+", "_", folder.name).strip("_").lower() or "files"
    if not IDENTIFIER.match(name):
        name = "files"
    shown = where if pattern else f"{where.rstrip('/')}/{glob}"
    table: dict[str, Any] = {"path": shown, "mode": "append", "cursor": "source_file",
                             "key": ["source_file", "row_number"]}  # fmt: skip
    con = duckdb.connect()
    try:
        sample = str(found[0]).replace("'", "''")
        if fmt == "access_log":
            table["columns"] = dict(_ACCESS_LOG)
        else:
            read = {"csv": f"read_csv('{sample}', all_varchar=false, sample_size={SAMPLE})",
                    "jsonl": f"read_json('{sample}', format='newline_delimited')",
                    "parquet": f"read_parquet('{sample}')"}[fmt]  # fmt: skip
            described = con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()
            columns = dict(files.ORIGIN_TYPES)
            for column, kind, *_ in described:
                clean = re.sub(r"\W+", "_", column).strip("_").lower() or "column"
                if clean[0].isdigit():
                    clean = f"c_{clean}"
                columns[clean] = _file_type(kind)
            table["columns"] = columns
    finally:
        con.close()
    if wanted and name not in wanted:
        raise ArmazemError(f"no table {wanted[0]!r} here", f"the files make the table {name!r}")
    return {"kind": "files", "format": fmt, "tables": {name: table}}


def _file_type(kind: str) -> str:
    kind = kind.upper()
    if kind.startswith(("STRUCT", "MAP")) or kind.endswith("[]"):
        return "VARCHAR"
    return kind if re.match(r"^(BOOLEAN|BIGINT|INTEGER|SMALLINT|DOUBLE|DATE|TIMESTAMP|"
                            r"DECIMAL\(\d+,\s*\d+\)|VARCHAR)$", kind) else "VARCHAR"  # fmt: skip


def _check_wanted(wanted: list[str] | None, tables: dict[str, Any]) -> None:
    missing = [t for t in wanted or [] if t not in tables]
    if missing:
        raise ArmazemError(f"no table {missing[0]!r} at the source", "check the name")


def _connection_text(connection: str, source: str) -> str:
    """The connection as the YAML keeps it: a password written out becomes `${<SOURCE>_PASSWORD}`
    (to export), one given as a variable stays one."""
    if "://" not in connection:
        return connection
    password = urlsplit(connection).password
    if password and not password.startswith("${"):
        variable = "${" + f"{source.upper()}_PASSWORD" + "}"
        return connection.replace(f":{password}@", f":{variable}@", 1)
    return connection
