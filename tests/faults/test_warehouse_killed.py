"""The PostgreSQL warehouse (a private server) killed -9 while a load is about to commit: the load
fails with one line, nothing of it is visible after the restart, and the rerun loads every row
exactly once. (Killed mid-publish: tests/warehouse/test_production.py.)"""

from __future__ import annotations

import psycopg
import pytest
from tests.faults.process import armazem_env, one_error_line, resume, run, start, wait_until_stopped
from tests.servers import PrivatePostgres
from tests.softcart import SOURCES

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart

pytestmark = pytest.mark.services
SCALE = 0.005


def rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url, connect_timeout=5) as con:
        return con.execute(sql).fetchall()


def raw_tables(url: str) -> dict[str, list[tuple]]:
    return {t.name: sorted(rows(url, f"SELECT * FROM raw_{t.source}.{t.table}"), key=repr)
            for t in SOURCES}  # fmt: skip


def test_the_warehouse_killed_mid_load_loses_and_duplicates_nothing(
    settings: Settings, private_postgres: PrivatePostgres
) -> None:
    company = settings.model_copy(update={"scale": SCALE})
    softcart.create(company)
    url = private_postgres.url("armazem")
    env = armazem_env(data_dir=company.data_path, scale=SCALE, warehouse_url=url)
    names = [t.name for t in SOURCES]
    nth = names.index("shop.order_lines") + 1  # the tables before it commit; it is cut off

    loading = start(env, "ingest", "--json", failpoint=f"warehouse-before-commit:{nth}:stop")
    wait_until_stopped(loading)
    private_postgres.kill()
    code, output = resume(loading)
    assert code == 2, output  # a user error, said in one line
    line = one_error_line(output)
    assert "PostgreSQL warehouse" in line and "order_lines" in line, line

    private_postgres.start()  # crash recovery from the WAL
    committed = rows(url, "SELECT source || '.' || table_name FROM _armazem.loads")
    assert sorted(t for (t,) in committed) == sorted(names[: nth - 1])
    assert not rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'order_lines'")

    rerun = run(env, "ingest", "--json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    clean = company.model_copy(
        update={"warehouse_url": f"postgresql://postgres@127.0.0.1:{private_postgres.port}/clean"}
    )
    ingest(clean, full_refresh=True)
    assert raw_tables(url) == raw_tables(clean.warehouse_url)  # none lost, none duplicated
    for t in SOURCES:
        keys = ", ".join(t.contract.key)
        assert not rows(url, f"SELECT {keys} FROM raw_{t.source}.{t.table} "
                             f"GROUP BY {keys} HAVING count(*) > 1"), t.name  # fmt: skip
    loads = rows(url, "SELECT source || '.' || table_name FROM _armazem.loads")
    assert sorted(t for (t,) in loads).count("shop.order_lines") == 1
