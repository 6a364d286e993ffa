"""The command line as a user meets it: one-line errors, JSON output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOFTCART = REPO / "examples" / "softcart"


def armazem(*args: str, data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    environment.update({"ARMAZEM_DATA_DIR": str(data), "ARMAZEM_SCALE": "0.002",
                        "COLUMNS": "120", **env})  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "armazem", *args],
        cwd=SOFTCART, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "fix:" in lines[0]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    assert_one_line_error(armazem("status", data=tmp_path), "does not exist yet", "armazem run")
    assert_one_line_error(armazem("ingest", data=tmp_path), "armazem simulate")
    assert_one_line_error(armazem("--profile", "nope", "status", data=tmp_path), "profiles.nope")
    assert_one_line_error(armazem("status", data=tmp_path, ARMAZEM_SCALE="lots"), "ARMAZEM_SCALE")
    assert_one_line_error(armazem("capstone", "nosuch", data=tmp_path), "oltp")
    assert_one_line_error(armazem("simulate", "--advance", "1", data=tmp_path), "simulate")
    unreachable = armazem("--profile", "services", "simulate", data=tmp_path,
                          ARMAZEM_OLTP_URL="mysql://root:hunter2@127.0.0.1:1/softcart")  # fmt: skip
    assert_one_line_error(unreachable, "cannot reach MySQL/MariaDB", "mariadbd")
    assert "hunter2" not in unreachable.stderr


def test_simulate_then_ingest_json(tmp_path: Path) -> None:
    assert armazem("simulate", data=tmp_path).returncode == 0
    result = armazem("ingest", "shop.orders", "catalog", "--json", data=tmp_path)
    assert result.returncode == 0, result.stderr
    loads = json.loads(result.stdout)["loads"]
    assert [load["table"] for load in loads] == ["shop.orders", "catalog.products"]
    assert all(load["read"] == load["loaded"] + load["quarantined"] > 0 for load in loads)
