"""Servers the tests start themselves. `mongo_url` is one private MongoDB-protocol server per test
session, `s3_endpoint` one S3-protocol server (moto) per session (each test makes its own bucket,
with `aws_env`'s credentials); `moto_server` an S3-protocol server for a block;
`private_postgres` and `private_mariadb` are servers of one test's own, which it may kill. Each
fails (never skips) when its server cannot start: a skipped check reads as a pass.

Use a fixture from a test module or conftest.py with
`from tests.servers import mongo_url  # noqa: F401`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from armazem.errors import ArmazemError
from armazem.servers.mongo import free_port, local_mongo

MOTO = "moto_server"
INSTALL = ".venv/bin/pip install 'moto[server]'"
START_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The `mongodb://127.0.0.1:PORT` URL of a server that lives as long as the test session."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(local_mongo(tmp_path_factory.mktemp("mongo")))
        except ArmazemError as exc:
            problem: ArmazemError | None = exc
        else:
            problem = None
        if problem is not None:  # fail outside the except block: one clean message, no chain
            pytest.fail(
                f"cannot start the test MongoDB server: {problem.problem}; to get it: "
                f"{problem.fix} (`.venv/bin/pip install pymongo secantusdb`)",
                pytrace=False,
            )
        yield url


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials only in the environment, as in production (moto accepts any keys)."""
    for name in list(os.environ):
        if name.startswith(("ARMAZEM_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@contextmanager
def moto_server(log_dir: Path, **env: str) -> Iterator[str]:
    """A moto S3 server on a free loopback port; yields its endpoint URL. Fails, never skips."""
    beside = Path(sys.executable).parent / MOTO
    executable = str(beside) if beside.is_file() else shutil.which(MOTO)
    if executable is None:
        pytest.fail(f"{MOTO} is not installed; install it with `{INSTALL}`", pytrace=False)
    port = free_port()
    log = log_dir / f"moto-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [executable, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, **env}, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_port(process, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{MOTO} exited ({log.read_text()[-500:]}); reinstall: `{INSTALL}`",
                        pytrace=False)  # fmt: skip
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{MOTO} did not listen on port {port} within {START_TIMEOUT} s; "
                f"log {log}; reinstall: `{INSTALL}`", pytrace=False)  # fmt: skip


# Private database servers that a test may kill: never the machine's shared ones.

PG_BIN = Path("/usr/lib/postgresql/15/bin")
GET_POSTGRES = "apt-get install postgresql (its initdb and pg_ctl)"
GET_MARIADB = "apt-get install mariadb-server (its mariadbd and mariadb-install-db)"


def children(pid: int) -> list[int]:
    """Every descendant of a process (a server's workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *children(int(child))]
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a server and all its workers at once: a crash, no shutdown of any kind."""
    for victim in [pid, *children(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb + pg_ctl, run as the `postgres` user, trust
    authentication) on a free loopback port, that a test can kill -9 and start again. Its
    files live in a folder of /tmp of its own (pytest's are not readable by `postgres`);
    `stop` removes them."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
            pytest.fail(f"no PostgreSQL binaries in {PG_BIN}; to get them: {GET_POSTGRES}")
        self.root = Path(tempfile.mkdtemp(prefix="armazem-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        shutil.chown(self.root, "postgres")
        try:
            self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"initdb failed: {exc.stderr}; to get PostgreSQL: {GET_POSTGRES}")
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres("pg_ctl", "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "log"), "-w", "-t", "60", "start")  # fmt: skip

    def kill(self) -> None:
        """kill -9 of the postmaster and every backend; the next start recovers from the WAL."""
        kill_tree(int((self.data / "postmaster.pid").read_text().split()[0]))

    def stop(self) -> None:
        """Stop it (if it runs) and remove its files."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def _as_postgres(self, program: str, *args: str) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / program), *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-800:] if log.exists() else ""
            raise subprocess.CalledProcessError(
                result.returncode, program, result.stdout, result.stderr + tail
            )


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own; stopped and removed at the end."""
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.stop()


class PrivateMariaDB:
    """A MariaDB server of its own (a temporary data directory, grant tables off, so `root`
    with no password) on a free loopback port, that a test can kill -9 and start again."""

    def __init__(self, root: Path) -> None:
        if shutil.which("mariadbd", path="/usr/sbin:/usr/bin") is None:
            pytest.fail(f"mariadbd is not installed; to get it: {GET_MARIADB}")
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={root / 'data'}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.start()

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        import pymysql

        self.process = subprocess.Popen(
            ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={self.root / 'data'}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.root}/sock",
             f"--pid-file={self.root}/pid", "--user=root", "--skip-grant-tables",
             f"--log-error={self.root}/log", "--innodb-buffer-pool-size=32M"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root").close()
                return
            except pymysql.err.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "log").read_text()[-800:]
                    pytest.fail(f"the private MariaDB did not start: {log}")
                time.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def private_mariadb(tmp_path: Path) -> Iterator[PrivateMariaDB]:
    """A MariaDB server of this test's own; killed at the end."""
    server = PrivateMariaDB(tmp_path / "mariadb")
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
