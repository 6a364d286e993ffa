"""A source server killed -9 in the middle of a read (the ingest stopped after its second batch
while the server is killed, then let go): the load fails with one line, nothing of the table is
committed (no lake load, no ledger row, no rows), and after a restart the rerun loads every row
exactly once: the warehouse equals a clean full load of the same source."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pytest
from tests.faults.process import armazem_env, one_error_line, resume, run, start, wait_until_stopped
from tests.servers import PrivateMariaDB, children

from armazem.ingest.pipeline import ingest
from armazem.servers.mongo import local_mongo
from armazem.settings import Settings
from armazem.simulate import softcart

pytestmark = pytest.mark.services
SCALE = 0.01
BATCH = 1000  # the smallest batch: a table of a few thousand rows is read in several


def table_rows(warehouse: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def ledger(warehouse: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT load_id FROM _armazem.loads WHERE source || '.' || table_name = ?", [table]
        ).fetchall()


def killed_mid_read(
    company: Settings, env: dict[str, str], table: str, kill: Callable[[], None]
) -> str:
    """Ingest `table`, kill its server after the second batch; the error line."""
    reading = start(env, "ingest", table, "--json", failpoint="after-batch:2:stop")
    wait_until_stopped(reading)
    kill()
    code, output = resume(reading)
    assert code == 2, output
    source, name = table.split(".")
    lake = company.lake_path / "raw" / source / name
    assert not list(lake.glob("*load_id=*"))  # nothing committed: no lake load, no temporary one
    warehouse = company.data_path / "warehouse.duckdb"
    if warehouse.exists():  # (a full load does not open the warehouse before its read)
        assert not ledger(warehouse, table)  # ... no ledger row
        with duckdb.connect(str(warehouse), read_only=True) as con:  # ... and no rows
            assert not con.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [f"raw_{source}", name],
            ).fetchall()
    return one_error_line(output)


def assert_loaded_exactly_once(company: Settings, table: str, key: str) -> None:
    clean = company.model_copy(
        update={"warehouse_url": f"duckdb:///{company.data_path}/clean.duckdb"}
    )
    ingest(clean, [table], full_refresh=True)
    source, name = table.split(".")
    loaded = table_rows(company.data_path / "warehouse.duckdb", f"raw_{source}.{name}")
    assert loaded == table_rows(company.data_path / "clean.duckdb", f"raw_{source}.{name}")
    keys = [row for row in table_rows(company.data_path / "warehouse.duckdb",
                                      f"(SELECT {key} FROM raw_{source}.{name})")]  # fmt: skip
    assert len(keys) == len(set(keys)) > 3 * BATCH  # several batches, no key twice
    assert len(ledger(company.data_path / "warehouse.duckdb", table)) == 1


def grow(server: PrivateMariaDB, table: str, key: str, times: int) -> None:
    """Double a table `times` times under new keys: a result too large for the client to have
    read ahead (into its memory and the socket's buffers) when it is stopped."""
    import pymysql

    with pymysql.connect(host="127.0.0.1", port=server.port, user="root", database="shop",
                         autocommit=True) as con, con.cursor() as cur:  # fmt: skip
        cur.execute(f"SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    f"'shop' AND table_name = '{table}' ORDER BY ordinal_position")  # fmt: skip
        columns = [c for (c,) in cur.fetchall()]
        for _ in range(times):
            cur.execute(f"SELECT max({key}) FROM {table}")
            (offset,) = cur.fetchone()
            shifted = ", ".join(f"{c} + {offset}" if c == key else c for c in columns)
            cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {shifted} FROM {table}")


def test_the_source_mariadb_killed_mid_read(
    settings: Settings, private_mariadb: PrivateMariaDB
) -> None:
    server = private_mariadb
    company = settings.model_copy(update={"scale": SCALE, "oltp_url": server.url("shop")})
    softcart.create(company)
    grow(server, "order_lines", "order_line_id", times=5)
    env = armazem_env(data_dir=company.data_path, scale=SCALE, batch_size=BATCH,
                      read_partitions=1, oltp_url=company.oltp_url)  # fmt: skip
    line = killed_mid_read(company, env, "shop.order_lines", server.kill)
    assert f"cannot read order_lines from mysql://root@127.0.0.1:{server.port}/shop" in line

    server.start()
    rerun = run(env, "ingest", "shop.order_lines", "--json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert_loaded_exactly_once(company, "shop.order_lines", "order_line_id")


def kill_server_of(storage: Path) -> None:
    """kill -9 the MongoDB-protocol server (a child of this test) that stores in `storage`."""
    for pid in children(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if str(storage / "storage").encode() in command:
            os.kill(pid, signal.SIGKILL)
            return
    raise AssertionError(f"no server with storage {storage} among this test's processes")


def test_the_mongodb_server_killed_mid_read(settings: Settings, tmp_path: Path) -> None:
    import pymongo

    storage = tmp_path / "mongo"
    with ExitStack() as first:
        url = first.enter_context(local_mongo(storage))
        company = settings.model_copy(
            update={"scale": SCALE, "profile": "documents", "mongodb_url": url}
        )
        softcart.create(company)
        with pymongo.MongoClient(url) as client:  # enough documents for several batches
            catalog = client.softcart.catalog
            template = catalog.find_one({}, {"_id": 0})
            catalog.insert_many([{**template, "product_id": 100_000 + i} for i in range(4 * BATCH)])
        env = armazem_env(data_dir=company.data_path, scale=SCALE, batch_size=BATCH,
                          profile="documents", mongodb_url=url)  # fmt: skip
        line = killed_mid_read(company, env, "catalog.products", lambda: kill_server_of(storage))
        assert "lost MongoDB at" in line, line

    with local_mongo(storage) as url:  # restarted on the same storage (another port)
        company = company.model_copy(update={"mongodb_url": url})
        rerun = run({**env, "ARMAZEM_MONGODB_URL": url}, "ingest", "catalog.products", "--json")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert_loaded_exactly_once(company, "catalog.products", "document_id")
