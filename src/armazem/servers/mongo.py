"""A private MongoDB-protocol server for one command or one test session.

MongoDB itself cannot be installed on these machines, so `secantusd-py` (PyPI `secantusdb`, a
MongoDB wire-protocol server on WiredTiger) is started on a free loopback port with its storage,
its config and its log under one data directory, and stopped when the block ends.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from armazem.errors import ArmazemError

EXECUTABLE = "secantusd-py"
START_TIMEOUT = 20.0  # seconds until the server must answer `ping`
STOP_TIMEOUT = 10.0  # seconds between terminate and kill
PORT_ATTEMPTS = 3  # a free port can be taken between choosing it and the server binding it
LOG_TAIL = 5  # log lines quoted when the server fails to start
FIX = "pip install secantusdb (into this Python environment), or set ARMAZEM_MONGODB_URL"


@contextmanager
def local_mongo(data_dir: Path) -> Iterator[str]:
    """Start a server storing its data in `data_dir`, yield its `mongodb://` URL, stop it."""
    executable = find_executable()
    data_dir.mkdir(parents=True, exist_ok=True)
    # An empty config file of our own: --config turns off secantusd's search of ./secantusd.toml
    # and ~/.secantus/, so what runs does not depend on the working directory or the user.
    config = data_dir / "secantusd.toml"
    if not config.exists():
        config.write_text("# flags on the command line decide everything; see armazem.servers\n")
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        url = f"mongodb://127.0.0.1:{port}"
        process = _start(executable, data_dir, config, port)
        try:
            ready = _wait_until_ready(process, url, data_dir / "secantusd.log")
        except BaseException:
            stop(process)
            raise
        if ready:
            break
    else:
        raise ArmazemError(
            f"{EXECUTABLE} found each of {PORT_ATTEMPTS} free ports taken when it started",
            "retry; if it persists, set ARMAZEM_MONGODB_URL to a running MongoDB server",
        )
    try:
        yield url
    finally:
        stop(process, port)


def find_executable() -> Path:
    """`secantusd-py` beside this interpreter (the virtual environment's bin), else on PATH."""
    beside = Path(sys.executable).parent / EXECUTABLE  # not resolved: a venv's python is a link
    if beside.is_file():
        return beside
    found = shutil.which(EXECUTABLE)
    if found:
        return Path(found)
    raise ArmazemError(f"cannot start a local MongoDB server: {EXECUTABLE} is not installed", FIX)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen[bytes], port: int | None = None) -> None:
    """Terminate (the server flushes WiredTiger and exits), kill if it does not. With `port`,
    the server is knocked on until it exits: its accept loop sees the stop only when a
    connection arrives, and otherwise waits two seconds for it."""
    if process.poll() is not None:
        return
    process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if port is not None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                pass
        time.sleep(0.02)
    if process.poll() is None:
        process.kill()
        process.wait()


def _start(executable: Path, data_dir: Path, config: Path, port: int) -> subprocess.Popen[bytes]:
    command = [str(executable), "--config", str(config), "--host", "127.0.0.1",
               "--port", str(port), "--storage-path", str(data_dir / "storage")]  # fmt: skip
    # Appended, not truncated: a second server refused on the same storage keeps the log intact.
    with (data_dir / "secantusd.log").open("ab") as log:
        log.write(f"--- armazem: starting {EXECUTABLE} on port {port} ---\n".encode())
        log.flush()
        # A session of its own: Ctrl-C reaches only us, and we stop the server cleanly.
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """True once `ping` answers; False if the port was taken (try another); else an error."""
    try:
        import pymongo
        from pymongo.errors import PyMongoError
    except ImportError:
        raise ArmazemError("cannot talk to MongoDB: pymongo is not installed", FIX) from None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = _tail(log)
            if "address already in use" in tail.lower():
                return False
            problem = f"{EXECUTABLE} exited with code {process.returncode} before answering"
            raise ArmazemError(f"{problem} (log {log}: {tail or 'empty'})", _exit_fix(tail, log))
        client: pymongo.MongoClient = pymongo.MongoClient(
            url, serverSelectionTimeoutMS=250, connectTimeoutMS=250
        )
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
    stop(process)
    raise ArmazemError(
        f"{EXECUTABLE} did not answer ping at {url} within {START_TIMEOUT:.0f} s (log {log})",
        f"read the log; {FIX}",
    )


def _exit_fix(tail: str, log: Path) -> str:
    if "resource busy" in tail.lower():  # WiredTiger's lock: another server has this storage
        return f"stop the other command whose server uses {log.parent}, or set ARMAZEM_MONGODB_URL"
    return f"read {log}; {FIX}"


def _tail(log: Path) -> str:
    """The last lines this start wrote (after our marker), joined on one line."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    lines = text.rsplit("--- armazem: starting", 1)[-1].splitlines()[1:]
    return " | ".join(line.strip() for line in lines[-LOG_TAIL:] if line.strip())
