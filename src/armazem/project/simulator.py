"""A project's simulator: the module its armazem.toml names (`[project] simulator`), imported by
that name. The engine knows no simulator of its own; a simulator module has

- `create(settings, progress) -> {what: rows}`: write the company's systems from scratch;
- `advance(settings, days, progress) -> {what: count}`: move them forward by whole days;
- `exists(settings) -> bool`: whether its systems have been written already;

and, optionally, `serve(settings)`: a context manager for simulated systems that are servers (an
HTTP API, say). It runs them while its block runs and yields `{connection name: URL}`; the
engine enters it around every ingest (`serving`) and adds those URLs to the settings'
`connections`, so a source declares `connection: <name>` as for any other system.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

from armazem.errors import ArmazemError
from armazem.settings import Settings

Progress = Callable[[str, int], None]
FUNCTIONS = ("create", "advance", "exists")


def load(module: str | None) -> ModuleType:
    """The simulator module a project names."""
    if module is None:
        raise ArmazemError(
            "this project has no simulator: its sources are real systems",
            'load them with `armazem ingest`, or set [project] simulator = "package.module"',
        )
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise ArmazemError(f"cannot import the simulator {module!r}: {exc}",
                           "correct [project] simulator in armazem.toml") from None  # fmt: skip
    missing = [f for f in FUNCTIONS if not callable(getattr(found, f, None))]
    if missing:
        raise ArmazemError(f"the simulator {module!r} has no {missing[0]}()",
                           f"a simulator module defines {', '.join(FUNCTIONS)}")  # fmt: skip
    return found


@contextmanager
def serving(settings: Settings, module: str | None) -> Iterator[Settings]:
    """The settings with the URLs of the project's simulated servers while they run; the
    settings unchanged when the project has no simulator, its simulator serves nothing, or its
    company has not been simulated yet (its sources then say what is missing)."""
    found = load(module) if module is not None else None
    serve = getattr(found, "serve", None)
    if serve is None or not found.exists(settings):
        yield settings
        return
    with serve(settings) as urls:
        connections = {**settings.connections, **urls}
        yield settings.model_copy(update={"connections": connections})
