"""The SoftCart capstone tasks, run on the real data in ../shared/capstone.

Each module exposes `run(settings) -> dict`, the figures `armazem capstone MODULE --json` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from armazem.settings import Settings


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


MODULES: dict[str, Callable[[Settings], dict[str, Any]]] = {
    "oltp": _oltp,
    "nosql": _nosql,
    "warehouse": _warehouse,
    "dashboard": _dashboard,
    "sync": _sync,
    "spark": _spark,
}
