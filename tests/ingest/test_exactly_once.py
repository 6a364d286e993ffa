"""Exactly once under SIGKILL: kill `armazem ingest` at exact points (inside the extraction,
between the lake commit and the warehouse commit, just before the warehouse commits) and at
random moments, while the company keeps changing; rerun; the warehouse must equal a clean full
load of the same source, with no duplicate key and no missing row."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from tests.softcart import SOURCES

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart

REPO = Path(__file__).resolve().parents[2]
SHOP = [t for t in SOURCES if t.source == "shop"]
# Exact points first; then kills at random moments of a run until KILLS runs have died.
FAILPOINTS = [
    "after-batch:1", "after-batch:5", "after-batch:12", "after-batch:20",
    "after-lake-commit:1", "after-lake-commit:3", "after-lake-commit:7", "after-lake-commit:8",
    "warehouse-before-commit:2", "warehouse-before-commit:7", "warehouse-before-commit:8",
]  # fmt: skip
KILLS = 24
MAX_TRIALS = 45


def run_ingest(
    settings: Settings, failpoint: str | None = None, kill_after: float | None = None
) -> tuple[int, float]:
    """Exit code (-9 when killed) and wall seconds of one `armazem ingest shop`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({
        "ARMAZEM_DATA_DIR": str(settings.data_path), "ARMAZEM_SCALE": str(settings.scale),
        "ARMAZEM_BATCH_SIZE": "1000", "ARMAZEM_READ_PARTITIONS": "1",
    })  # fmt: skip
    if failpoint:
        env["ARMAZEM_FAILPOINT"] = failpoint
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "armazem", "ingest", "shop", "--json"],
        cwd=REPO / "examples/softcart", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    if kill_after is not None:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    process.wait(timeout=300)
    return process.returncode, time.perf_counter() - started


def shop_tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t.table: con.execute(f"SELECT * FROM raw_shop.{t.table} ORDER BY ALL").fetchall()
            for t in SHOP
        }
    finally:
        con.close()


def duplicate_keys(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t.table: con.execute(
                f"SELECT count(*) - count(DISTINCT {t.contract.key[0]}) FROM raw_shop.{t.table}"
            ).fetchone()[0]
            for t in SHOP
        }
    finally:
        con.close()


def assert_equals_a_clean_load(company: Settings, trial: int, what: str) -> None:
    warehouse = company.local_file(company.warehouse_url)
    clean = company.model_copy(
        update={"warehouse_url": f"duckdb:///{company.data_path}/clean-{trial}.duckdb"}
    )
    ingest(clean, ["shop"], full_refresh=True)
    assert duplicate_keys(warehouse) == dict.fromkeys(duplicate_keys(warehouse), 0), what
    assert shop_tables(warehouse) == shop_tables(clean.local_file(clean.warehouse_url)), what
    os.remove(clean.local_file(clean.warehouse_url))


@pytest.mark.slow
def test_sigkill_at_any_point_then_rerun_equals_a_clean_load(settings: Settings) -> None:
    company = settings.model_copy(update={"scale": 0.02, "batch_size": 1000})
    softcart.create(company)
    rng = random.Random(20261122)
    code, typical = run_ingest(company)  # the first load, uninterrupted: a run's length
    assert code == 0
    killed = 0
    for trial in range(MAX_TRIALS):
        if killed >= KILLS:
            break
        if trial % 3 == 1:
            softcart.advance(company, 1)  # the source moves on between crashes
        failpoint = FAILPOINTS[trial] if trial < len(FAILPOINTS) else None
        kill_after = None if failpoint else rng.uniform(0.25, 0.98) * typical
        code, _ = run_ingest(company, failpoint, kill_after)
        assert code in (0, -signal.SIGKILL), f"trial {trial}: exit {code}"
        killed += code == -signal.SIGKILL
        code, typical = run_ingest(company)
        assert code == 0, f"trial {trial}: the rerun failed"
        what = f"trial {trial}: {failpoint or f'killed after {kill_after:.2f}s'}"
        assert_equals_a_clean_load(company, trial, what)
    assert killed >= KILLS, f"only {killed} runs were killed in {MAX_TRIALS} trials"
