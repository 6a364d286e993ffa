"""TechCo built once per test session by the real pipeline (simulate, ingest, dbt build, audit,
publish) at a small scale, for the tests of its marts and of its pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.dashboard.conftest import (  # noqa: F401  (the browser, a page photographed on failure)
    chromium,
    page,
    pytest_runtest_makereport,
)

from armazem.orchestrate import steps
from armazem.settings import Settings, load_settings

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco"
SCALE = 0.05  # about 40 employees over three years


@pytest.fixture(scope="session")
def techco(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """TechCo simulated, loaded, built and published to production in a fresh data directory.
    Tests read it; none may change it."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("ARMAZEM_")}
    try:
        data = tmp_path_factory.mktemp("techco") / "data"
        settings = load_settings(PROJECT, "embedded", data_dir=data, scale=SCALE)
    finally:
        os.environ.update(saved)
    steps.simulate(settings)
    steps.load(settings)
    steps.build(settings)
    steps.audit_marts(settings)
    steps.publish_marts(settings)
    return settings
