"""Fixtures of the dashboard tests: a warehouse built by the real pipeline, a browser, and a page
that is photographed when its test fails."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard import browser as b

SCALE = "0.01"  # about 10,000 order lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    report = yield
    setattr(item, f"report_{report.when}", report)  # for the `page` fixture's teardown
    return report


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with b.browser() as launched:
        yield launched


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context's page; on failure, a screenshot in tests/artifacts/."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        b.save_screenshot(opened, request.node.name)
    context.close()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose warehouse the real pipeline built (`armazem run --scale 0.01`),
    or the one named by DASHBOARD_TEST_DATA_DIR (e.g. a scale-1 warehouse, to time the pages)."""
    existing = os.environ.get("DASHBOARD_TEST_DATA_DIR")
    if existing:
        return Path(existing)
    data = tmp_path_factory.mktemp("dashboard") / "data"
    command = [sys.executable, "-m", "armazem", "run", "--scale", SCALE]
    done = subprocess.run(command, env=b.armazem_env(data), cwd=b.REPO, capture_output=True,
                          text=True, timeout=1200)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"`armazem run --scale {SCALE}` failed:\n{done.stdout[-1500:]}\n"
                    f"{done.stderr[-1500:]}", pytrace=False)  # fmt: skip
    return data
