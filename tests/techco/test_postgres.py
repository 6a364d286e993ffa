"""TechCo's marts are the same on a PostgreSQL warehouse as on DuckDB: the same simulated company,
built once into each, every published mart compared row by row. Needs the machine's PostgreSQL
(127.0.0.1:5432); the test fails, never skips, when it is down."""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from armazem.errors import START_POSTGRES
from armazem.orchestrate import steps
from armazem.orchestrate.runner import Runner
from armazem.settings import load_settings
from armazem.warehouse import open_warehouse

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco"
SERVER = "postgresql://postgres@127.0.0.1:5432"
pytestmark = pytest.mark.services


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"armazem_techco_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: {START_POSTGRES}"
        )
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def normal(value: object) -> object:
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    return value


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def test_every_mart_is_the_same_on_postgresql_and_duckdb(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    embedded = load_settings(PROJECT, "embedded", data_dir=data, scale=0.05)
    steps.run_all(Runner(embedded), resimulate=True)
    on_postgres = embedded.model_copy(update={"warehouse_url": postgres_url})
    runner = Runner(on_postgres)
    runner.step("ingest", lambda: steps.load(on_postgres))
    steps.transform_and_publish(runner)
    duck, pg = open_warehouse(embedded), open_warehouse(on_postgres)
    marts = [t for (t,) in duck.query("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'production' ORDER BY 1")]  # fmt: skip
    assert len(marts) >= 20
    for mart in marts:
        columns = [c for (c,) in duck.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            f"'production' AND table_name = '{mart}' ORDER BY ordinal_position")]  # fmt: skip
        sql = f"SELECT {', '.join(columns)} FROM production.{mart}"
        left = sorted((tuple(normal(v) for v in r) for r in duck.query(sql)), key=repr)
        right = sorted((tuple(normal(v) for v in r) for r in pg.query(sql)), key=repr)
        assert len(left) == len(right), mart
        for a, b in zip(left, right, strict=True):
            assert all(same(x, y) for x, y in zip(a, b, strict=True)), (mart, a, b)
