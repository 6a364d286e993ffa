"""Declarations made runnable: each declared table becomes a `SourceTable` with its reader and
its contract, whatever the kind of its source."""

from __future__ import annotations

from pathlib import Path

from armazem.errors import ArmazemError
from armazem.ingest import files, object_store, sql
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract
from armazem.ingest.sources import SourceTable, sql_literal
from armazem.project import Project
from armazem.project.declarations import Source, Table
from armazem.settings import Settings

_TIME_TYPES = {"DATE", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"}


def source_tables(project: Project, after: str | None = None) -> list[SourceTable]:
    """The project's tables loaded at one stage of a run, source by source, in declaration
    order: those of ordinary sources (`after` None), or those loaded after the Spark step."""
    return [
        compile_table(name, source, table_name, table, project.root)
        for name, source in project.sources.items()
        if source.after == after
        for table_name, table in source.tables.items()
    ]


def all_tables(project: Project) -> list[SourceTable]:
    return [*source_tables(project), *source_tables(project, "spark"),
            *source_tables(project, "build")]  # fmt: skip


def compile_table(
    source_name: str, source: Source, name: str, table: Table, root: Path
) -> SourceTable:
    contract = Contract(
        table.columns, tuple(table.key), tuple(table.required), table.rules,
        on_new_column=table.drift.new_column, on_missing_column=table.drift.missing_column,
        on_bad_type=table.drift.bad_type,
        # A database's primary key is unique already; files and documents must be checked.
        key_enforced_by_source=source.kind == "sql" and bool(table.key),
    )  # fmt: skip
    read, read_keys = _readers(source, table, name, root)
    return SourceTable(
        source_name, name, contract, read, table.mode, table.cursor, table.lookback,
        table.deletes.soft_delete, read_keys if table.deletes.compare_keys else None,
        dated=_dated(source, table),
    )  # fmt: skip


def _dated(source: Source, table: Table) -> bool:
    """Whether the table can read a data interval: a database or document table by its time
    cursor, files by the `{date}` in their names. (An HTTP API has no upper bound to ask for.)"""
    if source.kind == "files":
        return table.path is not None and files.DATE in table.path
    time_cursor = table.cursor is not None and table.columns[table.cursor] in _TIME_TYPES
    return source.kind in {"sql", "mongodb"} and time_cursor


def _batch_size(settings: Settings, table: Table) -> int:
    return table.batch_size or settings.batch_size


def _readers(source: Source, table: Table, name: str, root: Path):
    if source.kind == "sql":
        return _sql_readers(source, table, name)
    if source.kind == "files":
        return _file_reader(source, table, root), None
    if source.kind == "mongodb":
        return _mongodb_reader(source, table), None
    return _http_reader(source, table), None


def _sql_readers(source: Source, table: Table, name: str):
    at_source = table.source_table or name
    key = tuple(table.key)

    def url(settings: Settings) -> str:
        value = _connection(settings, source)
        return sql.connectorx_url(value, settings.local_file(value))

    def read(settings: Settings, since: str | None, until: str | None = None) -> Reader:
        where = None
        address = url(settings)
        if since is not None and table.cursor is not None:
            cursor, kind = sql.quote(address, table.cursor), table.columns[table.cursor]
            where = f"{cursor} {'>=' if until else '>'} {sql_literal(since, kind)}"
            if until is not None:
                where += f" AND {cursor} < {sql_literal(until, kind)}"
        # Every column, not only the contract's: a column the source adds evolves the table.
        return sql.read_table(
            address, at_source, ["*"], key, _batch_size(settings, table), where,
            partition_on=key[0] if table.partitioned else None,
            partitions=settings.read_partitions,
        )  # fmt: skip

    def read_keys(settings: Settings) -> Reader:
        return sql.read_column(url(settings), at_source, key, _batch_size(settings, table))

    return read, read_keys


def _file_reader(source: Source, table: Table, root: Path):
    assert table.path is not None and source.format is not None
    fmt, pattern = source.format, table.path
    columns = [c for c in table.columns if c not in files.ORIGIN]

    def read(settings: Settings, since: str | None, until: str | None = None) -> Reader:
        where = settings.expand(pattern)
        dates = files.DateRange.of(since, until) if until is not None else None
        size = _batch_size(settings, table)
        if where.startswith("s3://"):
            folder, glob = where.rsplit("/", 1)
            remote = object_store.ObjectStore(folder, settings.s3_endpoint_url)
            found = remote.matching("", glob, None if dates else since, dates)
            if fmt == "csv":
                return object_store.read_csv_s3(found, columns, table.header, table.delimiter,
                                                table.encoding)  # fmt: skip
            if fmt == "jsonl":
                return object_store.read_documents_s3(found, _fields(table), table.rest, size)
            if fmt == "access_log":
                return object_store.read_access_logs_s3(found, size)
            raise ArmazemError(
                f"{fmt} files are read from local paths only",
                "copy them to a local folder, or read them from the lake",
            )
        path = Path(where) if Path(where).is_absolute() else root / where
        paths = files.matching(path.parent, path.name, None if dates else since, dates)
        if fmt == "csv":
            return files.read_csv(paths, columns, table.header, table.delimiter, table.encoding)
        if fmt == "jsonl":
            return files.read_documents(paths, _fields(table), table.rest, size)
        if fmt == "json":
            return files.read_json(paths, _fields(table), table.rest, size, table.records_key)
        if fmt == "parquet":
            return files.read_parquet(paths, size)
        return files.read_access_logs(paths, size)

    return read


def _fields(table: Table) -> dict[str, str]:
    """Document fields to columns: as declared, else every column but `rest` by its own name."""
    if table.fields:
        return dict(table.fields)
    return {c: c for c in table.columns if c != table.rest and c not in files.ORIGIN}


def _mongodb_reader(source: Source, table: Table):
    def read(settings: Settings, since: str | None, until: str | None = None) -> Reader:
        from armazem.ingest import mongodb  # pymongo: imported only by a project that reads it

        url = _connection(settings, source)
        database = table.database or mongodb.database_of(url)
        assert table.collection is not None
        query = None
        if since is not None and table.cursor is not None:
            bounds = {"$gte": since, "$lt": until} if until is not None else {"$gt": since}
            query = {_field_of(table, table.cursor): bounds}
        return mongodb.read_collection(url, database, table.collection, _fields(table),
                                       table.rest, _batch_size(settings, table), query)  # fmt: skip

    return read


def _http_reader(source: Source, table: Table):
    def read(settings: Settings, since: str | None) -> Reader:
        from armazem.ingest import http_api  # httpx: imported only by a project that reads it

        base = _connection(settings, source).rstrip("/")
        assert table.endpoint is not None
        params = dict(table.params)
        if since is not None and table.since_param:
            params[table.since_param] = since
        return http_api.read_api(
            f"{base}/{table.endpoint.lstrip('/')}", _fields(table), table.rest,
            _batch_size(settings, table), table.pagination, table.records_key, params,
        )  # fmt: skip

    return read


def _field_of(table: Table, column: str) -> str:
    return next((f for f, c in table.fields.items() if c == column), column)


def _connection(settings: Settings, source: Source) -> str:
    assert source.connection is not None
    url = settings.connection(source.connection)
    if url is None:
        raise ArmazemError(
            f"connection {source.connection!r} is not set on profile {settings.profile!r}",
            f"set {source.connection} in armazem.toml or ARMAZEM_{source.connection.upper()}",
        )
    return url
