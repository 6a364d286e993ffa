"""Ships the example projects inside the package (as `armazem/examples/`), so that
`armazem init --example NAME` works after a plain `pip install`. Everything else is in
pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

_NOT_SHIPPED = shutil.ignore_patterns("data", "target", "logs", "dbt_packages", "__pycache__")


class BuildWithExamples(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install finds them in the checkout
            target = Path(self.build_lib) / "armazem" / "examples"
            shutil.copytree("examples", target, ignore=_NOT_SHIPPED, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithExamples})
