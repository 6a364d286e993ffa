"""Exactly once under SIGKILL: kill `armazem ingest` at exact points (inside the extraction,
between the lake commit and the warehouse commit, just before the warehouse commits) and at
random moments, while the company keeps changing; rerun; the warehouse must equal a clean full
load of the same source, with no duplicate key and no missing row.

The ~90 runs are fresh processes, so each imports armazem and reads the project anew: the test
gives them a snapshot of both taken when it starts (`frozen`), not the working tree. Two past
failures, once each, came from runs taken while the code was being edited: a process that imports
half-edited modules or a changed declaration fails, or loads differently from the clean load
this process compares it with. Their cause went unrecorded because each run's stderr went to a
pipe nobody read (which could also fill and block a chatty run); it is now kept in a file and
shown with any failure."""

from __future__ import annotations

import os
import random
import shutil
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


def frozen(folder: Path) -> Path:
    """A copy of the engine's source and of the SoftCart project (without its data) in `folder`;
    returns the project's copy. Runs import the engine from there (PYTHONPATH comes before the
    editable install's path), so edits to the working tree cannot reach a run."""
    shutil.copytree(REPO / "src/armazem", folder / "src/armazem",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copytree(REPO / "examples/softcart", folder / "softcart",
                    ignore=shutil.ignore_patterns("data", "__pycache__"))  # fmt: skip
    return folder / "softcart"


def run_ingest(
    settings: Settings,
    project: Path,
    failpoint: str | None = None,
    kill_after: float | None = None,
) -> tuple[int, float, str]:
    """Exit code (-9 when killed), wall seconds and the end of stderr of one `armazem ingest
    shop`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env["PYTHONPATH"] = str(project.parent / "src")
    env.update({
        "ARMAZEM_DATA_DIR": str(settings.data_path), "ARMAZEM_SCALE": str(settings.scale),
        "ARMAZEM_BATCH_SIZE": "1000", "ARMAZEM_READ_PARTITIONS": "1",
    })  # fmt: skip
    if failpoint:
        env["ARMAZEM_FAILPOINT"] = failpoint
    started = time.perf_counter()
    errors = project.parent / "stderr.log"
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "armazem", "ingest", "shop", "--json"],
            cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        if kill_after is not None:
            try:
                process.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        process.wait(timeout=300)
    tail = errors.read_text(errors="replace")[-2000:]
    return process.returncode, time.perf_counter() - started, tail


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
def test_sigkill_at_any_point_then_rerun_equals_a_clean_load(
    settings: Settings, tmp_path: Path
) -> None:
    company = settings.model_copy(update={"scale": 0.02, "batch_size": 1000})
    project = frozen(tmp_path / "frozen")
    softcart.create(company)
    rng = random.Random(20261122)
    code, typical, errors = run_ingest(company, project)  # uninterrupted: a run's length
    assert code == 0, errors
    killed = 0
    for trial in range(MAX_TRIALS):
        if killed >= KILLS:
            break
        if trial % 3 == 1:
            softcart.advance(company, 1)  # the source moves on between crashes
        failpoint = FAILPOINTS[trial] if trial < len(FAILPOINTS) else None
        kill_after = None if failpoint else rng.uniform(0.25, 0.98) * typical
        code, _, errors = run_ingest(company, project, failpoint, kill_after)
        assert code in (0, -signal.SIGKILL), f"trial {trial}: exit {code}\n{errors}"
        killed += code == -signal.SIGKILL
        code, typical, errors = run_ingest(company, project)
        assert code == 0, f"trial {trial}: the rerun failed\n{errors}"
        what = f"trial {trial}: {failpoint or f'killed after {kill_after:.2f}s'}"
        assert_equals_a_clean_load(company, trial, what)
    assert killed >= KILLS, f"only {killed} runs were killed in {MAX_TRIALS} trials"
