"""Spark reads a PostgreSQL warehouse over JDBC (Debian's driver, which `make test` installs):
the forecast's input on the services profile."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from armazem.errors import START_POSTGRES
from armazem.settings import Settings
from armazem.spark import JDBC_JARS
from armazem.spark.jobs import read_warehouse

SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.mark.services
def test_a_query_on_postgresql_reaches_spark_over_jdbc(spark: Any, lake_settings: Settings) -> None:
    missing = [str(j) for j in JDBC_JARS if not j.is_file()]
    if missing:
        pytest.fail(f"JDBC driver {missing[0]} is missing; get it: make jdbc "
                    "(apt-get install libpostgresql-jdbc-java libmariadb-java)")  # fmt: skip
    name = f"armazem_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: {START_POSTGRES}"
        )
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"{SERVER}/{name}", autocommit=True) as con:
            con.execute("CREATE SCHEMA production")
            con.execute("CREATE TABLE production.sales (category text, month date, "
                        "amount numeric(12,2))")  # fmt: skip
            con.execute("INSERT INTO production.sales VALUES ('a', '2021-01-01', 10.50), "
                        "('a', '2021-02-01', 20.25), ('b', '2021-01-01', 7.00)")  # fmt: skip
        settings = lake_settings.model_copy(update={"warehouse_url": f"{SERVER}/{name}"})
        frame = read_warehouse(
            spark, settings,
            "SELECT category AS series, month, sum(amount) AS value FROM production.sales "
            "GROUP BY 1, 2",
        )  # fmt: skip
        assert sorted(tuple(r) for r in frame.collect()) == [
            ("a", date(2021, 1, 1), Decimal("10.50")), ("a", date(2021, 2, 1), Decimal("20.25")),
            ("b", date(2021, 1, 1), Decimal("7.00")),
        ]  # fmt: skip
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
