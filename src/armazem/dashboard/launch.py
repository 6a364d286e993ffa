"""How `armazem dashboard` starts Streamlit: the command line and the environment.

The app reads its settings as every armazem process does (load_settings), so the CLI passes what
it resolved through the variables settings know: ARMAZEM_PROJECT (the file), ARMAZEM_PROFILE and
ARMAZEM_DATA_DIR. The data set is an argument of the app itself, after `--`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from armazem.errors import ArmazemError
from armazem.settings import ENV_PREFIX, Settings

APP = Path(__file__).with_name("app.py")
SERVER = Path(__file__).with_name("asgi.py")  # APP, its static files compressed
INSTALL = "pip install streamlit plotly"


def check_installed() -> None:
    missing = [m for m in ("streamlit", "plotly") if importlib.util.find_spec(m) is None]
    if missing:
        raise ArmazemError(f"the dashboards need {' and '.join(missing)}, not installed", INSTALL)


def command(host: str, port: int, dataset: str) -> list[str]:
    return [
        sys.executable, "-m", "armazem.dashboard.serve", "run", str(SERVER),
        "--server.headless", "true",
        "--server.address", host,
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",  # an installed app: nothing to reload on save
        "--client.toolbarMode", "viewer",  # no "Deploy" button
        "--", "--dataset", dataset,
    ]  # fmt: skip


def environment(settings: Settings, config: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if config is not None:
        env[f"{ENV_PREFIX}PROJECT"] = str(config)
    env[f"{ENV_PREFIX}PROFILE"] = settings.profile
    env[f"{ENV_PREFIX}DATA_DIR"] = str(settings.data_path)
    return env


def start(settings: Settings, config: Path | None, host: str, port: int, dataset: str) -> None:
    """Replace this process with the server's (so stopping it, or its PID, stops the server).

    The server is `streamlit run` of asgi.py (the app, its static files compressed), with a
    warm-up of the libraries first (serve.py)."""
    check_installed()
    argv = command(host, port, dataset)
    os.execve(sys.executable, argv, environment(settings, config))
