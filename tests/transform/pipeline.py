"""The real pipeline at scale 0.01 (simulate, ingest, dbt build) and ways to read its warehouse,
shared by the transform tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from tests.softcart import PUBLISHED_PREFIXES

from armazem.settings import Settings, load_settings
from armazem.transform import BuildResult

REPO = Path(__file__).resolve().parents[2]


def settings_for(data: Path) -> Settings:
    """The embedded profile with every file (sources, lake, warehouse, dbt's output) in `data`."""
    base = load_settings(config=REPO / "examples/softcart/armazem.toml", profile="embedded")
    return base.model_copy(update={"data_dir": data, "scale": 0.01})


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows from the warehouse; the connection is closed at once so dbt can open the file."""
    path = settings.local_file(settings.warehouse_url)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def scalar(settings: Settings, sql: str) -> Any:
    return query(settings, sql)[0][0]


def marts(
    settings: Settings, schema: str = "staging", prefix: str | tuple[str, ...] = PUBLISHED_PREFIXES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of `schema` whose name starts with `prefix` (by default: every published
    model), its rows sorted."""
    path = settings.local_file(settings.warehouse_url)
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? order by 1",
                [schema],
            ).fetchall()
            if name.startswith(prefix)
        ]
        return {
            name: sorted(con.execute(f'select * from {schema}."{name}"').fetchall(), key=repr)
            for name in names
        }


def copy_data(source: Settings, target: Path) -> Settings:
    """A copy of a whole data directory (sources, lake, warehouse), to change without touching
    the original."""
    shutil.copytree(source.data_path, target, ignore=shutil.ignore_patterns("dbt"))
    return settings_for(target)


@dataclass
class Built:
    """A pipeline run: simulated, ingested and built once. Tests must not change it."""

    settings: Settings
    result: BuildResult
    events: list[tuple[str, str]]
