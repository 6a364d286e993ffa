"""Capstone module 1 (OLTP) against the real MariaDB/MySQL server named by the settings.

These tests fail, never skip, when the server is down: a skipped capstone check reads as a pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.capstone.conftest import reachable_mysql

from armazem.capstone import oltp
from armazem.errors import ArmazemError
from armazem.settings import Settings, load_settings

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "datadump.sh"
GOOD_ROWS = 2605
TEST_DATABASE = "armazem_test_sales"  # the malformed-file test keeps away from the real `sales`


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The repository's settings, with data written to a temporary folder."""
    base = load_settings(config=REPO / "examples/softcart/armazem.toml")
    return base.model_copy(update={"data_dir": tmp_path_factory.mktemp("data")})


@pytest.fixture(scope="module")
def server(settings: Settings) -> oltp.Server:
    """The MySQL server, or a failure that says how to start it."""
    return reachable_mysql(settings)


@pytest.fixture
def test_database(server: oltp.Server) -> Iterator[str]:
    """A database of the test's own, dropped afterwards even when the test fails."""
    yield TEST_DATABASE
    with oltp.connect(server) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{TEST_DATABASE}`")


@pytest.fixture(scope="module")
def result(settings: Settings, server: oltp.Server) -> dict[str, Any]:
    return oltp.run(settings)


def test_run_loads_indexes_and_exports_every_row(result: dict[str, Any]) -> None:
    assert result["rows"] == GOOD_ROWS
    assert result["rejected"] == 0
    assert "ts" in result["indexes"]
    assert result["export_rows"] == result["rows"]


def test_run_is_idempotent(settings: Settings, result: dict[str, Any]) -> None:
    again = oltp.run(settings)
    assert again["rows"] == GOOD_ROWS
    assert again["export_rows"] == GOOD_ROWS
    assert again["indexes"] == result["indexes"]


def test_dump_file_holds_schema_and_data(settings: Settings, result: dict[str, Any]) -> None:
    export = Path(result["export_file"])
    assert export == settings.data_path / "capstone" / "sales_data.sql"
    text = export.read_text()
    assert "CREATE TABLE `sales_data`" in text
    assert "INSERT INTO `sales_data`" in text
    assert "(6739,76305,230.00,1,'2020-09-05 16:20:03')" in text  # the file's first row


def test_malformed_rows_are_rejected_with_reasons(
    settings: Settings, test_database: str, tmp_path: Path
) -> None:
    folder = tmp_path / "capstone" / "softcart-oltp"
    folder.mkdir(parents=True)
    good = "6739,76305,230,1,2020-09-05 16:20:03\n7460,81008,1455,4,2020-09-05 16:20:04\n"
    bad = (
        "1,2,3,4\n"  # a field short
        "x,2,3,4,2020-09-05 16:20:05\n"  # product_id not a number
        "1,2,3,4,2020-13-45 99:00:00\n"  # impossible timestamp
        "1,2,3,4,2020-09-05 16:20:06,extra"  # one field too many, and no final newline
    )
    (folder / "oltpdata.csv").write_text(good + bad)
    varied = settings.model_copy(
        update={"capstone_dir": tmp_path / "capstone", "data_dir": tmp_path / "data"}
    )

    out = oltp.run(varied, database=test_database)

    assert out["rows"] == 2
    assert out["export_rows"] == 2
    assert out["rejected"] == 4
    reasons = out["rejected_reasons"]
    assert reasons[0] == "line 3: expected 5 fields, got 4"
    assert "product_id 'x' is not an integer" in reasons[1]
    assert "timestamp" in reasons[2]
    assert reasons[3] == "line 6: expected 5 fields, got 6"


def test_unreachable_server_names_the_fix(settings: Settings) -> None:
    down = settings.model_copy(update={"mysql_url": "mysql://root:s3cret@127.0.0.1:1"})
    with pytest.raises(ArmazemError) as caught:
        oltp.run(down)
    message = str(caught.value)
    assert "mysql://root@127.0.0.1:1" in message
    assert "mariadbd" in message
    assert "ARMAZEM_MYSQL_URL" in message
    assert "s3cret" not in message


def test_missing_capstone_file_names_the_fix(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ArmazemError) as caught:
        oltp.run(settings.model_copy(update={"capstone_dir": tmp_path}))
    message = str(caught.value)
    assert str(tmp_path / "softcart-oltp" / "oltpdata.csv") in message
    assert "ARMAZEM_CAPSTONE_DIR" in message


def test_script_reports_missing_mysqldump(tmp_path: Path) -> None:
    env = {**os.environ, "MYSQLDUMP": str(tmp_path / "no-mysqldump")}
    done = _script(["--output", str(tmp_path / "out.sql")], env)
    assert done.returncode != 0
    assert "mysqldump not found" in done.stderr
    assert not (tmp_path / "out.sql").exists()


def test_script_fails_cleanly_without_echoing_the_password(tmp_path: Path) -> None:
    args = ["--port", "1", "--password", "s3cret", "--output", str(tmp_path / "out.sql")]
    done = _script(args, dict(os.environ))
    assert done.returncode != 0
    assert "datadump: error:" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # no half-written export left behind


def _script(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash, "bash is needed to run scripts/datadump.sh"
    return subprocess.run(
        [bash, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
