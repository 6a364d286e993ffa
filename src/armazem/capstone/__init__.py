"""The SoftCart capstone tasks, run on the real data in ../shared/capstone.

Each module exposes `run(settings) -> dict`, the figures `armazem capstone MODULE --json` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from armazem.errors import ArmazemError
from armazem.settings import Settings


def capstone_file(settings: Settings, name: str) -> Path:
    """A file of the capstone's data (`name` relative to capstone_dir), which must exist."""
    path = settings.capstone_path / name
    if not path.is_file():
        raise ArmazemError(
            f"capstone file {path} not found",
            "set capstone_dir in armazem.toml (or ARMAZEM_CAPSTONE_DIR) to the folder that holds "
            f"{name}",
        )
    return path


def _oltp(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import oltp

    return oltp.run(settings)


def _warehouse(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import warehouse

    return warehouse.run(settings)


def _nosql(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import nosql

    return nosql.run(settings)


def _dashboard(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import dashboard

    return dashboard.run(settings)


def _sync(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import sync

    return sync.run(settings)


def _spark(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import spark

    return spark.run(settings)


def _weblog(settings: Settings) -> dict[str, Any]:
    from armazem.capstone import weblog

    return weblog.run(settings)


MODULES: dict[str, Callable[[Settings], dict[str, Any]]] = {
    "oltp": _oltp,
    "nosql": _nosql,
    "warehouse": _warehouse,
    "dashboard": _dashboard,
    "sync": _sync,
    "weblog": _weblog,
    "spark": _spark,
}
