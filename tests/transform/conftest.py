"""One pipeline run (simulate, ingest, dbt build at scale 0.01) for the whole session: tests that
only read it share it, tests that change data work on a copy (pipeline.copy_data)."""

from __future__ import annotations

import pytest
from tests.softcart import load_everything
from tests.transform.pipeline import Built, settings_for

from armazem.simulate import softcart
from armazem.transform import build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    settings = settings_for(tmp_path_factory.mktemp("transform") / "data")
    softcart.create(settings)
    load_everything(settings)
    events: list[tuple[str, str]] = []
    result = build(settings, on_event=lambda name, status: events.append((name, status)))
    return Built(settings, result, events)
