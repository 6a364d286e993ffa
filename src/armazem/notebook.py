"""Notebooks: JupyterLab in the project (`armazem notebook`), and what a notebook imports to have
the warehouse and Spark at hand:

    from armazem import notebook
    notebook.query("SELECT count(*) AS n FROM production.fct_sales")   # a pandas DataFrame
    spark = notebook.spark()                                           # the settings' session

Settings come from the project that holds the notebook (armazem.toml, found upward) and the
ARMAZEM_* variables `armazem notebook` sets for the profile and data directory it was given.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from armazem.errors import ArmazemError
from armazem.settings import ENV_PREFIX, Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL = "pip install 'armazem[notebook]' (JupyterLab and its Python kernel)"


@cache
def settings() -> Settings:
    return load_settings()


def query(sql: str, params: dict[str, Any] | None = None) -> Any:
    """Rows of read-only SQL on the warehouse (DuckDB or PostgreSQL) as a pandas DataFrame."""
    import pandas as pd

    from armazem.dashboard.db import readers

    rows = readers(settings()).platform.fetch(sql, params)
    return pd.DataFrame(rows.rows, columns=list(rows.columns))


def spark() -> SparkSession:
    from armazem import spark as spark_module

    return spark_module.session(settings(), "armazem-notebook")


def command(root: Path, host: str, port: int) -> list[str]:
    arguments = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        f"--ServerApp.ip={host}", f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
    ]  # fmt: skip
    if os.geteuid() == 0:  # containers often run as root; Jupyter refuses it unless told
        arguments.append("--allow-root")
    return arguments


def start(current: Settings, config: Path, host: str, port: int) -> None:
    """Replace this process with JupyterLab's, rooted at the project."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise ArmazemError("`armazem notebook` needs JupyterLab, which is not installed", INSTALL)
    env = {**os.environ, f"{ENV_PREFIX}PROJECT": str(config),
           f"{ENV_PREFIX}PROFILE": current.profile,
           f"{ENV_PREFIX}DATA_DIR": str(current.data_path)}  # fmt: skip
    os.execve(sys.executable, command(config.parent, host, port), env)
