"""Reconciliation: the audit passes on a clean build and names each check a bad row breaks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.softcart import CHECKS

from armazem.orchestrate import steps
from armazem.orchestrate.runner import Runner, StepFailed
from armazem.settings import Settings, load_settings
from armazem.simulate import softcart
from armazem.warehouse import open_warehouse
from armazem.warehouse.audit import audit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": tmp_path_factory.mktemp("audit"), "scale": 0.002}
    )
    softcart.create(settings)
    steps.run_all(Runner(settings))  # every stage, the late build of the forecast included
    return settings


def test_a_clean_build_passes_every_check(built: Settings) -> None:
    assert audit(open_warehouse(built), CHECKS) == []


def test_an_orphan_order_line_fails_the_checks_it_breaks(built: Settings) -> None:
    path = built.local_file(built.warehouse_url)
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO raw_shop.order_lines VALUES (999999, 888888, 1, 2, 10.00, "
                    "TIMESTAMP '2021-06-01 10:00:00')")  # fmt: skip
    try:
        failures = {f.check: f for f in audit(open_warehouse(built), CHECKS)}
        assert set(failures) == {
            "fct_sales has one row per raw order line",
            "fct_sales revenue equals the raw order lines' revenue",
            "every order line belongs to a raw order",
        }
        assert failures["every order line belongs to a raw order"].sample == [(999999, 888888)]
        with pytest.raises(StepFailed, match="production left as it was"):
            steps.audit_marts(built)
    finally:
        with duckdb.connect(str(path)) as con:
            con.execute("DELETE FROM raw_shop.order_lines WHERE order_line_id = 999999")
