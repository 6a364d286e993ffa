"""`armazem sources check`: every declaration parsed, every rule compiled, every table reached.

Each problem is one line; a project with none is ready to ingest."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from armazem.errors import ArmazemError
from armazem.ingest.sources import SourceTable
from armazem.names import quote
from armazem.project import SOURCES_DIR, Project
from armazem.project.declarations import load_source
from armazem.project.published import load_published
from armazem.project.tables import compile_table
from armazem.settings import Settings


def problems(project: Project, settings: Settings, connect: bool = True) -> Iterator[str]:
    try:
        load_published(project.root)  # [published] in armazem.toml
    except ArmazemError as exc:
        yield str(exc)
    for name, path in project.source_files().items():
        try:
            source = load_source(path, project.root, settings.profile)
        except ArmazemError as exc:
            yield str(exc)
            continue
        for table_name, table in source.tables.items():
            where = f"{SOURCES_DIR}/{path.name}: {name}.{table_name}"
            compiled = compile_table(name, source, table_name, table, project.root)
            yield from (f"{where}: {p}" for p in _rule_problems(compiled))
            if connect and source.after is None:  # job outputs exist only once jobs ran
                problem = _unreachable(compiled, settings)
                if problem:
                    yield f"{where}: {problem}"


def _rule_problems(table: SourceTable) -> Iterator[str]:
    """Each rule compiled by DuckDB over an empty row of the table's types."""
    columns = ", ".join(
        f"NULL::{kind} AS {quote(name)}" for name, kind in table.contract.columns.items()
    )
    con = duckdb.connect()
    try:
        for reason, condition in table.contract.rules.items():
            try:
                con.execute(f"SELECT ({condition}) FROM (SELECT {columns}) LIMIT 0")
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                yield f"rule {reason!r} does not compile: {first} (fix: correct its SQL)"
    finally:
        con.close()


def _unreachable(table: SourceTable, settings: Settings) -> str | None:
    """None if the first batch of the table can be read, else why not."""
    try:
        batches = table.read(settings.model_copy(update={"batch_size": 1_000}), None)
        next(iter(batches), None)
        close = getattr(batches, "close", None)
        if close:
            close()
    except ArmazemError as exc:
        return str(exc)
    except Exception as exc:
        return f"cannot be read: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None
