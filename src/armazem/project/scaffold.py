"""`armazem init`: a new project folder, empty or a copy of an example project."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from armazem.errors import ArmazemError
from armazem.names import identifier
from armazem.settings import CONFIG_FILE

EXAMPLES = ("softcart",)
SKELETON = Path(__file__).with_name("skeleton")  # a new project, with NAME for its name
NAME = "__project__"
_NOT_COPIED = shutil.ignore_patterns("data", "target", "logs", "dbt_packages", "__pycache__")


def example_dir(name: str) -> Path:
    """An example project: inside the installed package, or in the source checkout."""
    if name not in EXAMPLES:
        raise ArmazemError(f"unknown example {name!r}", f"use one of {', '.join(EXAMPLES)}")
    candidates = [
        Path(str(resources.files("armazem"))) / "examples" / name,
        Path(__file__).resolve().parents[3] / "examples" / name,
    ]
    for folder in candidates:
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ArmazemError(
        f"the {name} example is not part of this installation",
        "reinstall armazem from a release, or use a source checkout",
    )


def init(target: Path, example: str | None = None) -> Path:
    """Create a project in `target` (which must not exist or be empty)."""
    if target.exists() and any(target.iterdir()):
        raise ArmazemError(f"{target} exists and is not empty", "choose a new folder")
    if example is not None:
        shutil.copytree(example_dir(example), target, ignore=_NOT_COPIED, dirs_exist_ok=True)
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
