"""`armazem run` on the embedded profile, end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from tests.softcart import PUBLISHED_PREFIXES, TRANSFORM_DIR

REPO = Path(__file__).resolve().parents[1]
MARTS = {  # every mart model of the dbt project
    path.stem
    for path in (TRANSFORM_DIR / "models" / "marts").glob("*.sql")
    if path.stem.startswith(PUBLISHED_PREFIXES)
}


def armazem(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"ARMAZEM_DATA_DIR": str(data), "COLUMNS": "120"})
    result = subprocess.run(
        [sys.executable, "-m", "armazem", *args],
        cwd=REPO / "examples/softcart", env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def same_tables(first: dict[str, list[tuple]], second: dict[str, list[tuple]]) -> None:
    """Equal tables, to the bit: the forecast's Spark ML floats too (spark/forecast.py)."""
    assert set(first) == set(second)
    for name in first:
        assert first[name] == second[name], name


def business_tables(data: Path) -> dict[str, list[tuple]]:
    """Every table outside `_armazem` (whose rows carry load ids and times), rows sorted."""
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        names = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema <> '_armazem' AND table_type = 'BASE TABLE'"
        ).fetchall()
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for (n,) in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("run-a")
    return data, armazem(data, "run", "--seed", "11", "--scale", "0.01").stdout


@pytest.mark.slow
def test_run_does_every_step_and_prints_the_summary(first_run: tuple[Path, str]) -> None:
    _, summary = first_run
    for step in ("simulate", "ingest", "transform", "audit", "publish", "publish copies", "total"):
        assert step in summary


@pytest.mark.slow
def test_status_lists_every_table_and_the_run(first_run: tuple[Path, str]) -> None:
    data, _ = first_run
    status = json.loads(armazem(data, "status", "--json").stdout)
    production = {t.split(".", 1)[1] for t in status["tables"] if t.startswith("production.")}
    assert production == MARTS
    assert all(status["tables"][f"production.{t}"]["rows"] > 0 for t in MARTS)
    assert (
        status["tables"]["production.fct_sales"]["rows"]
        == (status["tables"]["raw_shop.order_lines"]["rows"])
    )
    steps = {r["step"]: r["status"] for r in status["runs"]}
    every_step = ("simulate", "ingest", "spark", "ingest spark", "transform", "spark on marts",
                  "ingest late", "transform late", "audit", "publish",
                  "publish copies")  # fmt: skip
    assert steps == dict.fromkeys(every_step, "success")
    assert [p["store"] for p in status["publications"]] == ["warehouse", "files", "documents"]


@pytest.mark.slow
def test_docs_site_documents_the_marts(first_run: tuple[Path, str]) -> None:
    data, _ = first_run
    armazem(data, "docs")
    page = (data / "docs" / "static_index.html").read_text()
    assert "fct_sales" in page and "dim_customer" in page


@pytest.mark.slow
def test_same_seed_gives_identical_warehouse_tables(
    first_run: tuple[Path, str], tmp_path: Path
) -> None:
    data, _ = first_run
    armazem(tmp_path, "run", "--seed", "11", "--scale", "0.01")
    first, second = business_tables(data), business_tables(tmp_path)
    assert len(first) > 20
    same_tables(first, second)


@pytest.mark.slow
def test_a_repeated_run_changes_nothing(first_run: tuple[Path, str]) -> None:
    data, _ = first_run
    before = business_tables(data)
    summary = armazem(data, "run").stdout
    assert "skipped" in summary  # the company exists: not simulated again
    same_tables(business_tables(data), before)


@pytest.mark.slow
def test_the_airflow_dag_publishes_what_armazem_run_publishes(
    first_run: tuple[Path, str], tmp_path: Path
) -> None:
    """The project's generated DAG, run by Airflow's dag.test (a manual run: from the
    watermarks, as `armazem run`), builds the very same warehouse from the same company."""
    from armazem.orchestrate.airflow.home import AirflowHome
    from armazem.settings import load_settings

    data, _ = first_run
    armazem(tmp_path, "simulate", "--seed", "11", "--scale", "0.01")
    settings = load_settings(REPO / "examples/softcart").model_copy(update={"data_dir": tmp_path})
    assert AirflowHome(settings).run_dag("armazem_softcart") == "success"
    same_tables(business_tables(tmp_path), business_tables(data))
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    steps = dict(con.execute("SELECT step, status FROM _armazem.runs").fetchall())
    con.close()
    assert steps["publish"] == "success" and steps["ingest_shop.order_lines"] == "success"


@pytest.mark.slow
def test_a_bad_source_row_is_never_published(tmp_path: Path) -> None:
    """Write-audit-publish: an order line for a product that does not exist passes the raw
    contract, but the run refuses to publish, names the failed check, and production stays."""
    armazem(tmp_path, "run", "--scale", "0.002")
    before = business_tables(tmp_path)
    shop = sqlite3.connect(tmp_path / "sources" / "softcart.sqlite")
    shop.execute("INSERT INTO order_lines VALUES (9999999, 1, 999999, 1, 10.0, "
                 "'2021-12-31 23:00:00')")  # fmt: skip
    shop.commit()
    shop.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"ARMAZEM_DATA_DIR": str(tmp_path), "COLUMNS": "200"})
    result = subprocess.run(
        [sys.executable, "-m", "armazem", "run"],
        cwd=REPO / "examples/softcart", env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 2
    assert "production left as it was" in result.stderr
    assert "relationships" in result.stderr and "product" in result.stderr  # the check, named
    after = business_tables(tmp_path)
    production = [name for name in before if name.startswith("production.")]
    assert production and all(before[name] == after[name] for name in production)


def fingerprint(warehouse: Path) -> dict[str, dict[str, object]]:
    """Each production mart's rows and, per column, the sum of its values (numbers) or of a hash
    of each value (anything else): equal fingerprints mean equal marts, whatever the row order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        marts = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'production' ORDER BY 1"
        ).fetchall()
        found: dict[str, dict[str, object]] = {}
        for (mart,) in marts:
            columns = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'production' AND table_name = ? ORDER BY ordinal_position",
                [mart],
            ).fetchall()
            sums = ["count(*)"]
            for name, kind in columns:
                numeric = any(word in kind for word in ("INT", "DECIMAL", "DOUBLE", "FLOAT"))
                value = f'"{name}"' if numeric else f'hash("{name}"::VARCHAR) % 1000000007'
                sums.append(f"sum({value})::VARCHAR")
            values = con.execute(f'SELECT {", ".join(sums)} FROM production."{mart}"').fetchone()
            assert values is not None
            found[mart] = {"rows": values[0]}
            found[mart].update({name: v for (name, _), v in zip(columns, values[1:], strict=True)})
        return found
    finally:
        con.close()


@pytest.mark.slow
def test_the_example_project_publishes_the_marts_the_engine_built_before_projects(
    first_run: tuple[Path, str],
) -> None:
    """The marts of seed 11, scale 0.01 as main built them when SoftCart was code inside the
    engine (tests/data/softcart_marts_seed11.json), before it became a project of declarations."""
    data, _ = first_run
    expected = json.loads((REPO / "tests" / "data" / "softcart_marts_seed11.json").read_text())
    found = fingerprint(data / "warehouse.duckdb")
    assert {name: found.get(name) for name in expected} == expected
    # Since then: the marts of the Spark jobs' results, and nothing else.
    assert set(found) - set(expected) == {
        "fct_web_sessions", "rpt_web_daily", "rpt_search_rising", "rpt_sales_forecast"
    }  # fmt: skip
