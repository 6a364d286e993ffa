"""The example companies' operational systems, synthetic and deterministic.

A project names its simulator in armazem.toml (`[project] simulator = "softcart"`); the engine
finds it here by name and knows nothing else about it. A simulator is a module with:

- `create(settings, progress) -> {what: rows}`: write the company's systems from scratch;
- `advance(settings, days, progress) -> {what: count}`: move them forward by whole days;
- `exists(settings) -> bool`: whether its systems have been written already.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from armazem.errors import ArmazemError

Progress = Callable[[str, int], None]
SIMULATORS = {"softcart": "armazem.simulate.softcart"}


def simulator(name: str | None) -> ModuleType:
    """The simulator module a project names."""
    if name is None:
        raise ArmazemError(
            "this project has no simulator: its sources are real systems",
            'load them with `armazem ingest`, or set [project] simulator = "..." in armazem.toml',
        )
    if name not in SIMULATORS:
        raise ArmazemError(
            f"unknown simulator {name!r}", f"use one of {', '.join(sorted(SIMULATORS))}"
        )
    return importlib.import_module(SIMULATORS[name])
