"""Shared fixtures: settings pointed at a temporary data directory, and a small company."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import (  # noqa: F401  (servers the tests start themselves)
    aws_env,
    mongo_url,
    private_mariadb,
    private_postgres,
    s3_endpoint,
)

from armazem.errors import START_MARIADB
from armazem.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SMALL = 0.01  # about 10,000 order lines


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of the repository's armazem.toml, with data in a fresh temporary directory."""
    for name in list(os.environ):
        if name.startswith("ARMAZEM_"):
            monkeypatch.delenv(name)
    return load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": tmp_path / "data", "scale": SMALL}
    )


@pytest.fixture(scope="session")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A company simulated once per test session and advanced two days. Tests may ingest it;
    none may change its sources."""
    from armazem.simulate import softcart

    data = tmp_path_factory.mktemp("company") / "data"
    settings = load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": data, "scale": SMALL}
    )
    softcart.create(settings)
    softcart.advance(settings, 2)
    return settings


MARIADB_URL = "mysql://root@127.0.0.1:3306"


@pytest.fixture
def mariadb_database() -> Iterator[str]:
    """A fresh, empty MariaDB database URL; fails (never skips) when MariaDB is down."""
    import pymysql

    name = f"armazem_test_{uuid.uuid4().hex[:8]}"
    try:
        con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    except pymysql.err.OperationalError as exc:
        pytest.fail(f"MariaDB at 127.0.0.1:3306 is not reachable ({exc}); start: {START_MARIADB}")
    try:
        yield f"{MARIADB_URL}/{name}"
    finally:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
        con.close()
