"""Two commands on one warehouse at once: while a writer runs (stopped at a failpoint, so it
holds its lock for as long as the test needs), a second `armazem run`, `ingest` or `export` is
refused with one line naming the first; a writer killed -9 leaves no stale lock behind."""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator

import duckdb
import psycopg
import pytest
from tests.faults.process import armazem_env, one_error_line, resume, run, start, wait_until_stopped

from armazem.errors import START_POSTGRES
from armazem.settings import Settings
from armazem.simulate import softcart

pytestmark = pytest.mark.services
SCALE = 0.002
SERVER = "postgresql://postgres@127.0.0.1:5432"


def load_ids(settings: Settings, warehouse_url: str) -> set[str]:
    sql = "SELECT DISTINCT load_id FROM _armazem.loads"
    if warehouse_url.startswith("postgresql"):
        with psycopg.connect(warehouse_url) as con:
            return {r[0] for r in con.execute(sql).fetchall()}
    with duckdb.connect(str(settings.data_path / "warehouse.duckdb"), read_only=True) as con:
        return {r[0] for r in con.execute(sql).fetchall()}


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database on the shared server (the warehouse creates it); dropped at the end."""
    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: {START_POSTGRES}"
        )
    name = f"armazem_lock_{uuid.uuid4().hex[:10]}"
    yield f"{SERVER}/{name}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_a_second_writer_is_refused_while_the_first_runs(
    settings: Settings, engine: str, request: pytest.FixtureRequest
) -> None:
    company = settings.model_copy(update={"scale": SCALE})
    softcart.create(company)
    url = request.getfixturevalue("postgres_database") if engine == "postgresql" else None
    env = armazem_env(data_dir=company.data_path, scale=SCALE, warehouse_url=url)

    first = start(env, "ingest", "shop", "--json", failpoint="after-batch:2:stop")
    wait_until_stopped(first)
    refused = [run(env, "run"), run(env, "ingest", "catalog")]
    if engine == "duckdb":  # PostgreSQL readers see the last commit: an export needs no lock
        refused.append(run(env, "export", "fct_sales"))
    for second in refused:
        assert second.returncode == 2, second.stdout + second.stderr
        line = one_error_line(second.stdout + second.stderr)
        assert f"`armazem ingest` (pid {first.pid}" in line and "never run at once" in line, line
    code, output = resume(first)
    assert code == 0, output
    (only,) = load_ids(company, url or "") or {None}  # one writer wrote, once
    assert only is not None

    killed = start(env, "ingest", "shop", "--json", failpoint="after-batch:2:stop")
    wait_until_stopped(killed)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    again = run(env, "ingest", "shop", "--json")  # the dead writer's lock went with it
    assert again.returncode == 0, again.stdout + again.stderr
    (rerun_id,) = {load["load_id"] for load in json.loads(again.stdout)["loads"]}
    assert rerun_id in load_ids(company, url or "")
