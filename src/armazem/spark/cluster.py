"""A real Spark standalone cluster on 127.0.0.1: one master and its workers, started from the
installed pyspark (whose wheel has `spark-class` but no `start-master.sh`).

Work folders, logs and PIDs live under `<data_dir>/spark-cluster/`. Jobs run on it with
`spark_master = "spark://127.0.0.1:<port>"` (or `armazem spark JOB --master ...`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from armazem.errors import ArmazemError
from armazem.settings import Settings

HOST = "127.0.0.1"
START_SECONDS = 60


@dataclass(frozen=True)
class Cluster:
    """Where a cluster runs: its master's port and web UI port, and its folder."""

    folder: Path
    port: int = 7077
    webui_port: int = 8080

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.port}"

    @property
    def state_url(self) -> str:
        return f"http://{HOST}:{self.webui_port}/json/"

    def pid_files(self) -> list[Path]:
        return sorted(self.folder.glob("*.pid"))


def cluster(settings: Settings, port: int = 7077, webui_port: int = 8080) -> Cluster:
    return Cluster(settings.data_path / "spark-cluster", port, webui_port)


def start(c: Cluster, workers: int = 2, cores: int = 1, memory: str = "1g") -> dict[str, object]:
    """Start the master and `workers` workers, and wait until all have registered."""
    if running(c):
        raise ArmazemError(f"a cluster already runs from {c.folder}",
                           "stop it first: `armazem spark cluster stop`")  # fmt: skip
    c.folder.mkdir(parents=True, exist_ok=True)
    _launch(c, "master", "org.apache.spark.deploy.master.Master",
            ["--host", HOST, "--port", str(c.port), "--webui-port", str(c.webui_port)])  # fmt: skip
    for number in range(1, workers + 1):
        work = c.folder / f"worker-{number}"
        work.mkdir(exist_ok=True)
        _launch(c, f"worker-{number}", "org.apache.spark.deploy.worker.Worker",
                [c.master_url, "--host", HOST, "--cores", str(cores), "--memory", memory,
                 "--webui-port", str(c.webui_port + number), "--work-dir", str(work)])  # fmt: skip
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        state = status(c)
        if state.get("alive_workers") == workers:
            return state
        time.sleep(0.5)
    stop(c)
    raise ArmazemError(
        f"the Spark cluster did not start within {START_SECONDS} s",
        f"see the logs in {c.folder}; are ports {c.port} and {c.webui_port} free?",
    )


def status(c: Cluster) -> dict[str, object]:
    """The master's view: its URL, alive workers, running applications; {} when it is down."""
    try:
        with urllib.request.urlopen(c.state_url, timeout=2) as answer:
            state = json.load(answer)
    except OSError:
        return {}
    return {
        "master": c.master_url,
        "alive_workers": sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE"),
        "cores": state.get("cores"),
        "active_apps": [a.get("name") for a in state.get("activeapps", [])],
    }


def running(c: Cluster) -> bool:
    return any(_alive(int(p.read_text())) for p in c.pid_files())


def stop(c: Cluster, wait_seconds: float = 20) -> int:
    """Stop every process of the cluster and wait for them to exit (killed if they will not);
    how many were running."""
    running_pids = []
    for pid_file in c.pid_files():
        pid = int(pid_file.read_text())
        if _alive(pid):
            os.killpg(pid, signal.SIGTERM)
            running_pids.append(pid)
        pid_file.unlink()
    deadline = time.monotonic() + wait_seconds
    while any(_alive(p) for p in running_pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in running_pids:
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    return len(running_pids)


def kill_worker(c: Cluster, number: int) -> None:
    """Kill one worker at once (SIGKILL), as a machine failing would."""
    pid_file = c.folder / f"worker-{number}.pid"
    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    pid_file.unlink()


def _launch(c: Cluster, name: str, main_class: str, arguments: list[str]) -> None:
    spark_class = _spark_home() / "bin" / "spark-class"
    env = {**os.environ, "SPARK_LOCAL_IP": HOST, "SPARK_NO_DAEMONIZE": "1"}
    with (c.folder / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            [str(spark_class), main_class, *arguments], env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    (c.folder / f"{name}.pid").write_text(str(process.pid))


def _spark_home() -> Path:
    from armazem import spark as spark_module

    spark_module.check_installed()
    import pyspark

    return Path(pyspark.__file__).parent


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # reap it if it is our child and has exited
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
