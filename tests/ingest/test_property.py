"""Property: for any sequence of inserts, updates and deletes in a source table, interleaved with
incremental loads, the warehouse ends equal to the source. Updates may land in the same second
as the last watermark (the lookback window must catch them) and deletes are found by key sets."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from armazem.ingest import sql
from armazem.ingest.contracts import Contract
from armazem.ingest.pipeline import load_table, new_load_id
from armazem.ingest.sources import SourceTable, sql_literal
from armazem.settings import Settings
from armazem.warehouse.store import DuckDBWarehouse

COLUMNS = {"id": "INTEGER", "value": "VARCHAR", "updated_at": "TIMESTAMP"}
START = datetime(2022, 1, 1)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(1, 5)),
        st.tuples(st.just("update"), st.lists(st.integers(0, 8), max_size=4)),
        st.tuples(st.just("delete"), st.lists(st.integers(0, 8), max_size=3)),
        st.tuples(st.just("load"), st.just(0)),
        st.tuples(st.just("tick"), st.integers(0, 1)),  # the clock may stand still
    ),
    max_size=25,
)


def items_table(source: Path) -> SourceTable:
    url = f"sqlite://{source}"

    def read(settings: Settings, since: str | None):
        where = f"updated_at > {sql_literal(since, 'TIMESTAMP')}" if since else None
        return sql.read_table(url, "items", ["*"], ["id"], settings.batch_size, where)

    def read_keys(settings: Settings):
        return sql.read_column(url, "items", ["id"], settings.batch_size)

    contract = Contract(COLUMNS, key=("id",), required=("updated_at",))
    return SourceTable("test", "items", contract, read, "merge", "updated_at", lookback=1,
                       read_keys=read_keys)  # fmt: skip


@hypothesis_settings(max_examples=50, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(steps=operations)
@example(steps=[("insert", 1), ("load", 0), ("update", [0])])  # same second as the watermark
def test_warehouse_ends_equal_to_the_source(settings: Settings, steps) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        source = root / "source.sqlite"
        con = sqlite3.connect(source)
        con.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, value TEXT, updated_at DATETIME)")
        local = settings.model_copy(update={"data_dir": root, "batch_size": 1000})
        warehouse = DuckDBWarehouse(root / "warehouse.duckdb")
        table = items_table(source)
        clock, next_id = START, 0

        def stamp() -> str:
            return clock.isoformat(sep=" ")

        for kind, argument in steps:
            if kind == "insert":
                rows = [(next_id + i, f"v{next_id + i}", stamp()) for i in range(argument)]
                con.executemany("INSERT INTO items VALUES (?, ?, ?)", rows)
                next_id += argument
            elif kind == "update":
                con.executemany(
                    "UPDATE items SET value = value || '+', updated_at = ? WHERE id = ?",
                    [(stamp(), i) for i in argument],
                )
            elif kind == "delete":
                con.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in argument])
            elif kind == "tick":
                clock += timedelta(seconds=argument)
            con.commit()
            if kind == "load":
                load_table(local, warehouse, table, new_load_id())
        load_table(local, warehouse, table, new_load_id())

        expected = sorted(con.execute("SELECT id, value, updated_at FROM items").fetchall())
        con.close()
        with duckdb.connect(str(warehouse.path), read_only=True) as wh:
            loaded = wh.execute("SELECT id, value, strftime(updated_at, '%Y-%m-%d %H:%M:%S') "
                                "FROM raw_test.items ORDER BY id").fetchall()  # fmt: skip
        assert loaded == expected
