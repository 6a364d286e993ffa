"""`armazem notebook --hub`: JupyterHub for a team on one machine, rooted at the project.

Everything the hub keeps lives under `<data_dir>/hub/`: its SQLite state, its cookie secret, the
proxy's PID file, the generated `jupyterhub_config.json`, the passwords (mode 600) and one home
folder per user (`users/<name>/`). Each user's JupyterLab opens on the project's folder with the
project's profile and data directory in its environment, so `from armazem import notebook`
reaches the same warehouse as `armazem notebook` does.

Choices, for a trusted team on one machine:
- SimpleLocalProcessSpawner: every user's server is a process of the hub's own OS user on
  127.0.0.1; no Unix account per person and no root needed. It isolates nobody: users share the
  machine's files as they share the project.
- SharedPasswordAuthenticator (JupyterHub's own): any name logs in with the team password, and
  `admin` with a separate admin password. Per-person passwords would promise an isolation the
  spawner does not give; for that, run JupyterHub with PAM or OAuth and a spawner per Unix user.
Both passwords are drawn once, kept in `hub/passwords.json` and printed at every start.

The proxy in front, configurable-http-proxy, comes from npm (`make test` installs the version
locked in node/package-lock.json into .venv/node).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from armazem.errors import ArmazemError
from armazem.settings import ENV_PREFIX, Settings

ADMIN = "admin"
# What a user's server keeps of the hub's environment (with the project's ARMAZEM_* variables).
KEEP = ["PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "JAVA_HOME", "SPARK_LOCAL_IP",
        "JUPYTERHUB_SINGLEUSER_APP"]  # fmt: skip
INSTALL = "pip install 'armazem[notebook]' (JupyterHub, JupyterLab and the Python kernel)"
PROXY = "configurable-http-proxy"
PROXY_INSTALL = (
    "install Node 20 and npm, then `make .venv/node/.installed` (or "
    "`npm ci --prefix .venv/node` with node/package.json and node/package-lock.json)"
)


@dataclass(frozen=True)
class Passwords:
    team: str  # any user name logs in with it
    admin: str  # the `admin` user's, 32 characters or more as JupyterHub requires


def hub_dir(settings: Settings) -> Path:
    return settings.data_path / "hub"


def passwords(folder: Path) -> Passwords:
    """The hub's passwords: drawn on first use, then read back, so they outlive restarts."""
    path = folder / "passwords.json"
    if path.is_file():
        stored = json.loads(path.read_text())
        return Passwords(stored["team"], stored["admin"])
    drawn = Passwords(team=secrets.token_urlsafe(12), admin=secrets.token_urlsafe(32))
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"team": drawn.team, "admin": drawn.admin}, handle)
    return drawn


def proxy_command() -> str:
    """The proxy installed beside this Python (`.venv/node`), else one on PATH."""
    beside = Path(sys.prefix) / "node" / "node_modules" / ".bin" / PROXY
    found = str(beside) if beside.is_file() else shutil.which(PROXY)
    if found is None:
        raise ArmazemError(f"`armazem notebook --hub` needs {PROXY} (from npm), which is not "
                           "installed", PROXY_INSTALL)  # fmt: skip
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def config(settings: Settings, project: Path, host: str, port: int) -> dict[str, object]:
    """JupyterHub's configuration (traitlets, as JSON) for the project; ports of the hub's API
    and of the proxy's API are drawn free, so several hubs can share a machine."""
    folder = hub_dir(settings)
    keys = passwords(folder)
    environment = {f"{ENV_PREFIX}PROJECT": str(project / "armazem.toml"),
                   f"{ENV_PREFIX}PROFILE": settings.profile,
                   f"{ENV_PREFIX}DATA_DIR": str(settings.data_path)}  # fmt: skip
    return {
        "JupyterHub": {
            "bind_url": f"http://{host}:{port}",
            "hub_ip": "127.0.0.1",
            "hub_port": free_port(),
            "db_url": f"sqlite:///{folder / 'jupyterhub.sqlite'}",
            "cookie_secret_file": str(folder / "jupyterhub_cookie_secret"),
            "pid_file": str(folder / "jupyterhub.pid"),
            "authenticator_class": "shared-password",
            "spawner_class": "simple",
            "cleanup_servers": True,
            "cleanup_proxy": True,
        },
        "ConfigurableHTTPProxy": {
            "command": [proxy_command()],
            "api_url": f"http://127.0.0.1:{free_port()}",
            "pid_file": str(folder / "proxy.pid"),
        },
        "SharedPasswordAuthenticator": {
            "user_password": keys.team,
            "admin_password": keys.admin,
            "admin_users": [ADMIN],
            "allow_all": True,
        },
        "SimpleLocalProcessSpawner": {"home_dir_template": str(folder / "users" / "{username}")},
        "Spawner": {
            "cmd": [sys.executable, "-m", "jupyterhub.singleuser"],
            "args": ["--allow-root"] if os.geteuid() == 0 else [],
            "ip": "127.0.0.1",
            "notebook_dir": str(project),
            "default_url": "/lab",
            "environment": environment,
            "env_keep": KEEP,
            "http_timeout": 120,
            "start_timeout": 120,
        },
    }


def command(config_file: Path) -> list[str]:
    return [sys.executable, "-m", "jupyterhub", "-f", str(config_file)]


def start(settings: Settings, project: Path, host: str, port: int) -> NoReturn:
    """Write the hub's configuration and replace this process with JupyterHub's; Ctrl-C stops
    the hub, its proxy and every user's server."""
    if importlib.util.find_spec("jupyterhub") is None:
        raise ArmazemError("`armazem notebook --hub` needs JupyterHub, which is not installed",
                           INSTALL)  # fmt: skip
    folder = hub_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "jupyterhub_config.json"
    config_file.write_text(json.dumps(config(settings, project, host, port), indent=2))
    config_file.chmod(0o600)  # it holds the passwords
    proxy_bin = str(Path(proxy_command()).parent)
    env = {**os.environ, "PATH": f"{proxy_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    os.chdir(folder)  # anything JupyterHub writes beside itself stays in the hub's folder
    os.execve(sys.executable, command(config_file), env)
