"""`armazem init`: a new project folder, empty or a copy of an example project."""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

from armazem.errors import ArmazemError
from armazem.names import identifier
from armazem.settings import CONFIG_FILE

SKELETON = Path(__file__).with_name("skeleton")  # a new project, with NAME for its name
NAME = "__project__"
_NOT_COPIED = shutil.ignore_patterns("data", "target", "logs", "dbt_packages", "__pycache__")


_CAPSTONE_DIR = re.compile(r'^capstone_dir\s*=\s*"([^"]*)"', re.MULTILINE)


def examples() -> dict[str, Path]:
    """The example projects: inside the installed package, else in the source checkout."""
    for root in (
        Path(str(resources.files("armazem"))) / "examples",
        Path(__file__).resolve().parents[3] / "examples",
    ):
        found = {p.parent.name: p.parent for p in sorted(root.glob(f"*/{CONFIG_FILE}"))}
        if found:
            return found
    return {}


def example_dir(name: str) -> Path:
    """An example project, by name."""
    found = examples()
    if not found:
        raise ArmazemError(
            "the example projects are not part of this installation",
            "reinstall armazem from a release, or use a source checkout",
        )
    if name not in found:
        raise ArmazemError(f"unknown example {name!r}", f"use one of {', '.join(found)}")
    return found[name]


def init(target: Path, example: str | None = None) -> Path:
    """Create a project in `target` (which must not exist or be empty)."""
    if target.exists() and any(target.iterdir()):
        raise ArmazemError(f"{target} exists and is not empty", "choose a new folder")
    if example is not None:
        source = example_dir(example)
        shutil.copytree(source, target, ignore=_NOT_COPIED, dirs_exist_ok=True)
        _keep_capstone_dir(source, target / CONFIG_FILE)
        return target
    try:
        name = identifier(target.resolve().name.replace("-", "_").lower(), "project name")
    except ValueError:
        name = "my_project"
    for template in sorted(SKELETON.rglob("*")):
        if template.is_file():
            path = target / template.relative_to(SKELETON)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = template.read_text(encoding="utf-8").replace(NAME, name)
            path.write_text(text, encoding="utf-8")
    return target


def _keep_capstone_dir(example: Path, config: Path) -> None:
    """A copied example still finds the capstone data its relative `capstone_dir` pointed at."""
    text = config.read_text(encoding="utf-8")
    match = _CAPSTONE_DIR.search(text)
    if match is None or Path(match.group(1)).is_absolute():
        return
    folder = (example / match.group(1)).resolve()
    if folder.is_dir():
        config.write_text(
            text[: match.start(1)] + folder.as_posix() + text[match.end(1) :], encoding="utf-8"
        )
