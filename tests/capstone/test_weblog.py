"""Capstone module 5b: `armazem capstone weblog --json` runs the lab's `process_web_log` DAG
through Airflow on the real access log; its three files, line by line, against an independent
computation here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from tests.softcart import CONFIG, PROJECT_DIR

from armazem.settings import load_settings

DROPPED = "198.46.149.143"


@pytest.mark.slow
def test_process_web_log_through_airflow(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARMAZEM_", "AIRFLOW"))}
    env["ARMAZEM_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "armazem", "capstone", "weblog", "--json"], cwd=PROJECT_DIR,
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.stdout.splitlines()) == 1  # exactly one JSON object, nothing else
    figures = json.loads(result.stdout)

    log = load_settings(CONFIG).capstone_path / "softcart-airflow" / "accesslog.txt"
    lines = log.read_text(encoding="utf-8").splitlines()
    ips = [line.split()[0] for line in lines]  # the first field: the client's address
    kept = [ip for ip in ips if ip != DROPPED]
    assert len(kept) < len(ips)  # the dropped address is in the log
    folder = tmp_path / "capstone" / "weblog"
    assert (folder / "extracted_data.txt").read_text().splitlines() == ips
    assert (folder / "transformed_data.txt").read_text().splitlines() == kept
    with tarfile.open(folder / "weblog.tar") as archive:
        assert archive.getnames() == ["transformed_data.txt"]
        inside = archive.extractfile("transformed_data.txt")
        assert inside is not None and inside.read().decode().splitlines() == kept
    assert figures == {
        "lines_in": len(lines),
        "lines_out": len(kept),
        "distinct_ips": len(set(kept)),
        "archive": str(folder / "weblog.tar"),
        "archive_members": ["transformed_data.txt"],
    }
