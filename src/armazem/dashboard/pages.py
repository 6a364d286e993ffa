"""The pages of the app: the project's own (`<project>/dashboards/*.py`), then the engine's
(Tables, Data health), which work for any project.

A project page is a Python file with `render()` and, optionally, `TITLE`, `ICON` (a Streamlit
icon such as ":material/payments:") and `ORDER` (pages are sorted by it, then by file name). Its
URL is its file name. Files starting with `_` are the pages' helpers (their SQL, say), importable
from the pages as plain modules: the folder is on the import path while the app runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from armazem.errors import ArmazemError


@dataclass(frozen=True)
class Page:
    render: Callable[[], None]
    title: str
    url_path: str
    icon: str | None = None
    order: int = 100


def project_pages(folder: Path) -> list[Page]:
    """The pages in a project's dashboards folder, in their order."""
    if not folder.is_dir():
        return []
    _importable(folder)
    pages = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        pages.append(_page(path))
    return sorted(pages, key=lambda p: (p.order, p.url_path))


def helper(folder: Path, name: str) -> ModuleType:
    """A helper module of a project's pages (e.g. `_queries`), the very module its pages import."""
    _importable(folder)
    return importlib.import_module(name)


def _importable(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def engine_pages() -> list[Page]:
    from armazem.dashboard.views import health, tables

    return [
        Page(tables.render, "Tables", "tables", ":material/table_view:", 900),
        Page(health.render, "Data health", "data_health", ":material/monitor_heart:", 1000),
    ]


def _page(path: Path) -> Page:
    title = path.stem.replace("_", " ").capitalize()
    try:
        module = _load(path)
    except Exception as exc:
        return Page(_broken(path, exc), title, path.stem)
    render = getattr(module, "render", None)
    if not callable(render):
        problem = ArmazemError(f"{path} has no render() function", "add def render() -> None")
        return Page(_broken(path, problem), title, path.stem)
    return Page(
        render,
        getattr(module, "TITLE", title),
        path.stem,
        getattr(module, "ICON", None),
        int(getattr(module, "ORDER", 100)),
    )


def _load(path: Path) -> ModuleType:
    name = f"armazem_pages.{path.stem}"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _broken(path: Path, exc: Exception) -> Callable[[], None]:
    def render() -> None:
        from armazem.dashboard import ui

        if isinstance(exc, ArmazemError):
            ui.show_problem(exc)
            return
        line = f"{type(exc).__name__}: {exc}".splitlines()[0]
        ui.show_problem(ArmazemError(f"the page {path.name} cannot load: {line}",
                                     f"correct {path}"))  # fmt: skip

    return render
