"""Servers the tests start themselves. `mongo_url` is one private MongoDB-protocol server per test
session; `moto_server` an S3-protocol server (moto) for a block. Both fail (never skip) when the
server cannot start: a skipped check reads as a pass.

Use a fixture from a test module or conftest.py with
`from tests.servers import mongo_url  # noqa: F401`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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
