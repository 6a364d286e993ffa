"""The engine knows no company; the example project ships with the package and stays in step."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tests.softcart import CONFIG

from armazem.project import dbt_sources, load_project
from armazem.settings import load_settings

SRC = Path(__file__).resolve().parents[2] / "src" / "armazem"
# Packages allowed to know the example companies: their simulators, and the capstone modules,
# which reproduce SoftCart's course labs on its real data.
MAY_KNOW_COMPANIES = ("armazem.simulate", "armazem.capstone")
TECHCO = SRC.parents[1] / "examples" / "techco" / "armazem.toml"


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_engine_module_imports_a_company() -> None:
    offenders = {}
    for path in SRC.rglob("*.py"):
        name = module_name(path)
        if name.startswith(MAY_KNOW_COMPANIES):
            continue
        known = {i for i in imports(path) if i.startswith("armazem.simulate.")}
        if known:
            offenders[name] = sorted(known)
    assert offenders == {}
    assert imports(SRC / "ingest" / "pipeline.py")  # the walk does see imports


def test_the_engine_layers_name_no_company_table() -> None:
    """ingest, warehouse, transform, orchestrate, project and the dashboard engine read
    declarations only."""
    for layer in ("ingest", "warehouse", "transform", "orchestrate", "project", "dashboard"):
        for path in (SRC / layer).rglob("*"):
            if path.suffix in {".py", ".yml", ".sql"}:
                text = path.read_text().lower()
                for word in (
                    "order_lines",
                    "fct_sales",
                    "dim_product",
                    "raw_shop",
                    "softcart.sqlite",
                    "techco",
                    "githost",
                    "raw_helpdesk",
                    "rpt_dora",
                ):
                    assert word not in text, f"{path.relative_to(SRC)} names {word}"


@pytest.mark.parametrize("config", [CONFIG, TECHCO])
def test_the_generated_dbt_sources_of_the_examples_are_current(config: Path) -> None:
    project = load_project(load_settings(config, "embedded"))
    assert dbt_sources.is_current(project), f"run `armazem sources check` in {config.parent}"
    rendered = dbt_sources.render(project)
    for source, source_def in project.sources.items():
        assert f"schema: raw_{source}" in rendered
        for table in source_def.tables:
            assert f"name: {table}" in rendered


@pytest.mark.slow
def test_the_wheel_ships_the_example_project(tmp_path: Path) -> None:
    repo = SRC.parents[1]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(repo)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("armazem-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "armazem/examples/softcart/armazem.toml",
        "armazem/examples/softcart/sources/shop.yml",
        "armazem/examples/softcart/transform/dbt_project.yml",
        "armazem/examples/techco/armazem.toml",
        "armazem/examples/techco/sources/githost.yml",
        "armazem/project/skeleton/armazem.toml",
        "armazem/transform/profiles.yml",
    ):
        assert expected in names
    assert not [n for n in names if "/data/" in n or "/target/" in n]
