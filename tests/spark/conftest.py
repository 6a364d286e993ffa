"""One SparkSession for the whole test run (it takes seconds to start), and a lake to run the
jobs on: the session's small company, ingested into a data directory of its own."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from armazem.ingest.pipeline import ingest
from armazem.orchestrate import steps
from armazem.orchestrate.runner import Runner
from armazem.settings import Settings

PARTITIONS = 2


@pytest.fixture(scope="session")
def lake_settings(small_company: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("spark") / "data"
    shutil.copytree(small_company.sources_path, data / "sources")
    settings = small_company.model_copy(
        update={"data_dir": data, "spark_master": "local[2]",
                "spark_shuffle_partitions": PARTITIONS}
    )  # fmt: skip
    ingest(settings, ["weblogs", "searchterms"])
    ingest(
        settings, ["weblogs", "searchterms"]
    )  # the newest files again: the lake holds them twice
    return settings


@pytest.fixture(scope="session")
def published(small_company: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's small company, run through the whole platform to published marts."""
    data = tmp_path_factory.mktemp("forecast") / "data"
    shutil.copytree(small_company.sources_path, data / "sources")
    settings = small_company.model_copy(update={"data_dir": data})
    steps.run_all(Runner(settings))
    return settings


@pytest.fixture(scope="session")
def spark(lake_settings: Settings) -> Any:
    from armazem import spark as spark_module

    session = spark_module.session(lake_settings, "armazem-tests")
    yield session
    session.stop()


def warehouse(settings: Settings) -> Path:
    path = settings.local_file(settings.warehouse_url)
    assert path is not None
    return path
