"""An Airflow home for a project, under its data directory: SQLite metadata, logs, a dags folder
with armazem's DAG file, an admin login, and the environment every Airflow process of it needs.

Airflow reads its configuration when it is imported, so everything here talks to Airflow
through subprocesses with that environment: `armazem airflow` (the standalone server), `airflow
db migrate`, and `run_dag` (one DAG run in a process of its own, through `dag.test`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from armazem.errors import ArmazemError
from armazem.orchestrate.airflow import DAG_PREFIX, PROJECTS_VARIABLE, check_installed, pool_name
from armazem.settings import Settings

DAG_FILE = Path(__file__).with_name("armazem_dags.py")
ADMIN = "admin"
_LOCKED_TRIES = 5


@dataclass(frozen=True)
class AirflowHome:
    """The Airflow of one project: `<data_dir>/airflow`."""

    settings: Settings
    port: int = 8080
    extra_dags: tuple[Path, ...] = ()  # more DAG files for the dags folder (the capstone's)
    extra_dag_ids: tuple[str, ...] = ()  # the DAGs they hold

    @property
    def path(self) -> Path:
        return self.settings.data_path / "airflow"

    @property
    def dags_folder(self) -> Path:
        return self.path / "dags"

    @property
    def passwords_file(self) -> Path:
        return self.path / "passwords.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self, paused: bool = False) -> dict[str, str]:
        """This process's environment plus what points Airflow at this home and project;
        `paused`: new DAGs are created paused."""
        bin_dir = str(Path(sys.executable).parent)  # standalone spawns `airflow` from PATH
        env = dict(os.environ)
        env.update({
            "AIRFLOW_HOME": str(self.path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(paused),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.path / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.path / "logs"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            # Airflow's log servers listen on every interface: at least not on the defaults
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.port + 1),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.port + 2),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            PROJECTS_VARIABLE: str(self.settings.base_dir),
            # Tasks read the settings of this project, profile and data directory included.
            "ARMAZEM_PROJECT": str(self.settings.base_dir),
            "ARMAZEM_PROFILE": self.settings.profile,
            "ARMAZEM_DATA_DIR": str(self.settings.data_path),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        })  # fmt: skip
        return env

    def prepare(self) -> str:
        """The folders, the DAG files and the admin's password (made once, kept); returns it."""
        check_installed()
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        for dag_file in (DAG_FILE, *self.extra_dags):
            shutil.copyfile(dag_file, self.dags_folder / dag_file.name)
        if not self.passwords_file.is_file():
            self.passwords_file.write_text(json.dumps({ADMIN: secrets.token_urlsafe(12)}))
            self.passwords_file.chmod(0o600)
        return json.loads(self.passwords_file.read_text())[ADMIN]

    def migrate(self) -> None:
        """Create or upgrade the metadata database, with the project's pool."""
        from armazem.project import load_project

        self.airflow("db", "migrate")
        pool = pool_name(load_project(self.settings))
        self.airflow("pools", "set", pool, "1", "armazem: the project's warehouse writer")

    def airflow(self, *args: str, timeout: float = 600, idempotent: bool = True) -> str:
        """Run an `airflow` command against this home; its output, or a one-line error. SQLite
        metadata refuses a writer while another commits ("database is locked"): an idempotent
        command is tried again."""
        command = [str(Path(sys.executable).parent / "airflow"), *args]
        for attempt in range(_LOCKED_TRIES if idempotent else 1):
            result = subprocess.run(command, env=self.environment(), capture_output=True,
                                    text=True, timeout=timeout)  # fmt: skip
            if result.returncode == 0:
                return result.stdout
            if "database is locked" not in result.stderr or attempt == _LOCKED_TRIES - 1:
                break
            time.sleep(1 + attempt)
        raise ArmazemError(
            f"`airflow {' '.join(args)}` failed: {_last_error(result.stderr or result.stdout)}",
            f"see its logs under {self.path / 'logs'}",
        )

    def run_dag(
        self, dag_id: str, logical_date: datetime | None = None, conf: dict | None = None
    ) -> str:
        """One run of a DAG in a process of its own, through Airflow's `dag.test` (the tasks run
        in that process, one after the other); returns the run's final state. The output of
        Airflow and the tasks goes to `<airflow>/logs/dag_test.log`."""
        self.prepare()
        self.migrate()
        log = self.path / "logs" / "dag_test.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        script = (
            "import json, sys\n"
            "from datetime import datetime\n"
            "from airflow.dag_processing.dagbag import DagBag\n"
            "bag = DagBag(dag_folder=sys.argv[1])\n"
            "dag = bag.get_dag(sys.argv[2])\n"
            "if dag is None:\n"
            "    sys.exit(f'no DAG {sys.argv[2]}: {list(bag.import_errors.values())[-1:]}')\n"
            "date = datetime.fromisoformat(sys.argv[3]) if sys.argv[3] else None\n"
            "run = dag.test(logical_date=date, run_conf=json.loads(sys.argv[4]))\n"
            "print('ARMAZEM_DAG_STATE', run.state, file=sys.stderr)\n"
        )
        with log.open("a") as output:
            result = subprocess.run(
                [sys.executable, "-c", script, str(self.dags_folder), dag_id,
                 logical_date.isoformat() if logical_date else "", json.dumps(conf or {})],
                env=self.environment(), stdout=output, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            output.write(result.stderr)
        states = [line.split()[-1] for line in result.stderr.splitlines()
                  if line.startswith("ARMAZEM_DAG_STATE")]  # fmt: skip
        if result.returncode != 0 or not states:
            raise ArmazemError(
                f"the DAG {dag_id} could not run: {_last_error(result.stderr)}",
                f"see {log}",
            )
        return states[-1]

    def serve(self) -> int:
        """`airflow standalone` (API server, scheduler, DAG processor, triggerer) in the
        foreground until Ctrl-C, then stopped with every process it started. The DAGs are
        created paused and unpaused once the API server answers: a task started before it
        would fail for want of it."""
        password = self.prepare()
        self.migrate()
        print(f"Airflow for {self.settings.base_dir.name} at {self.url}  "
              f"login: {ADMIN} / {password}  (home {self.path})", flush=True)  # fmt: skip
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), "standalone"],
            env=self.environment(paused=True), start_new_session=True,
        )  # fmt: skip
        # A service manager's stop is Ctrl-C too; and Ctrl-C stops it even when this process was
        # started with SIGINT ignored (as a shell's background job is).
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, _interrupt)
        try:
            unpaused = self._unpause_when_ready(process)
            print(f"Airflow is ready; unpaused: {', '.join(unpaused)}", flush=True)
            return process.wait()
        except KeyboardInterrupt:
            return stop(process)

    def _unpause_when_ready(self, process: subprocess.Popen, timeout: float = 600) -> list[str]:
        """Wait for the API server and for the DAGs to be parsed, then unpause them all."""
        import httpx

        from armazem.project import load_project

        expected = {f"{DAG_PREFIX}{load_project(self.settings).name}", *self.extra_dag_ids}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                healthy = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).is_success
                listed = _json_list(self.airflow("dags", "list", "-o", "json")) if healthy else []
            except (httpx.HTTPError, ArmazemError, ValueError):
                listed = []
            if expected <= {d["dag_id"] for d in listed}:
                for dag_id in sorted(expected):
                    self.airflow("dags", "unpause", dag_id)
                return sorted(expected)
            time.sleep(2)
        raise ArmazemError(
            f"Airflow did not come up at {self.url} with the project's DAGs",
            f"see its output above and the DAG processor's logs under {self.path / 'logs'}",
        )


def stop(process: subprocess.Popen, grace: float = 30) -> int:
    """SIGINT to the process group (standalone stops its components), SIGKILL after `grace`."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()
    except ProcessLookupError:
        return process.wait()


def _json_list(output: str) -> list[dict]:
    """The JSON list an `airflow ... -o json` command prints after its warnings."""
    return next((json.loads(line) for line in output.splitlines() if line.startswith("[")), [])


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _last_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "Error:" in line or "error:" in line]
    return (errors or lines or ["no output"])[-1][:300]
