"""`armazem notebook --hub`: a real JupyterHub on a free loopback port, with its real proxy
(configurable-http-proxy from npm). A team member logs in through the login form, starts their
server through the REST API, and runs code in a kernel that reads the project's warehouse; Ctrl-C
stops the hub, the proxy and the member's server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.softcart import PROJECT_DIR

from armazem import hub
from armazem.errors import ArmazemError

NOTEBOOKS = sorted((PROJECT_DIR / "notebooks").glob("*.ipynb"))
START_TIMEOUT = 90.0
SPAWN_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Hub:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path  # <data_dir>/hub
    output: Path

    def logs(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]


@pytest.fixture
def warehouse(tmp_path: Path) -> tuple[Path, int]:
    """A DuckDB warehouse with one published table holding a number drawn for this test."""
    data = tmp_path / "data"
    data.mkdir()
    drawn = uuid.uuid4().int % 1_000_000
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA production")
    con.execute(f"CREATE TABLE production.hub_check AS SELECT {drawn} AS n")
    con.close()
    return data, drawn


@pytest.fixture
def running_hub(warehouse: tuple[Path, int], tmp_path: Path) -> Iterator[Hub]:
    try:
        hub.proxy_command()
    except ArmazemError as exc:
        pytest.fail(f"{exc.problem}: {exc.fix}", pytrace=False)
    data, _ = warehouse
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"ARMAZEM_DATA_DIR": str(data), "COLUMNS": "200"})
    output = tmp_path / "hub.log"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "armazem", "notebook", "--hub", "--port", str(port)],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    running = Hub(f"http://127.0.0.1:{port}", process, data / "hub", output)
    try:
        _wait_until_up(running)
        yield running
    finally:
        _stop(running)


def _stop(running: Hub) -> None:
    """What the test's own Ctrl-C did not stop: the hub, then the proxy and the users' servers,
    which run in sessions of their own (their PIDs are in the hub's folder and its database)."""
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()
    pids = []
    if (running.folder / "proxy.pid").is_file():
        pids.append(int((running.folder / "proxy.pid").read_text()))
    if (running.folder / "jupyterhub.sqlite").is_file():
        with closing(sqlite3.connect(running.folder / "jupyterhub.sqlite")) as db:
            states = [json.loads(s or "{}") for (s,) in db.execute("SELECT state FROM spawners")]
        pids += [state["pid"] for state in states if state.get("pid")]
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _wait_until_up(running: Hub) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert running.process.poll() is None, f"the hub exited:\n{running.logs()}"
        try:
            with urllib.request.urlopen(f"{running.url}/hub/api/", timeout=2) as answer:
                if json.load(answer).get("version"):
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterHub never answered on {running.url}:\n{running.logs()}")


class _StayHere(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not followed: after a login the hub sends the browser on to the
    user's server, which would start it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies and the XSRF token, as a browser keeps them for the hub."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _StayHere()
        )

    def xsrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "_xsrf")

    def login(self, name: str, password: str) -> int:
        """Submit the login form; the HTTP status of the answer (302 onwards: logged in)."""
        self.opener.open(f"{self.base}/hub/login", timeout=10).read()
        form = urllib.parse.urlencode(
            {"username": name, "password": password, "_xsrf": self.xsrf()}
        ).encode()
        try:
            with self.opener.open(f"{self.base}/hub/login", form, timeout=30) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}/hub/api{path}", method=method,
            data=json.dumps(body or {}).encode() if method != "GET" else None,
            headers={"X-XSRFToken": self.xsrf(), "Content-Type": "application/json"},
        )  # fmt: skip
        with self.opener.open(request, timeout=30) as answer:
            text = answer.read()
        return json.loads(text) if text else None


def _with_token(token: str, url: str, method: str = "GET", body: Any = None) -> Any:
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"token {token}"},
        data=None if body is None else json.dumps(body).encode(),
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read()
    return json.loads(text) if text else None


async def _execute(ws_url: str, token: str, code: str) -> str:
    """Run code in a kernel over Jupyter's websocket protocol; what it printed."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(
        HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}, connect_timeout=30)
    )
    msg_id = uuid.uuid4().hex
    connection.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))  # fmt: skip
    printed, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(connection.read_message(), timeout=120)
        assert raw is not None, "the kernel's websocket closed"
        message = json.loads(raw)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            raise AssertionError(f"the kernel failed: {content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    connection.close()
    return "".join(printed)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_team_member_logs_in_spawns_and_reaches_the_warehouse(
    running_hub: Hub, warehouse: tuple[Path, int]
) -> None:
    _, drawn = warehouse
    keys = json.loads((running_hub.folder / "passwords.json").read_text())
    printed = running_hub.output.read_text()
    assert f"admin login: admin / {keys['admin']}" in printed
    assert oct((running_hub.folder / "passwords.json").stat().st_mode & 0o777) == "0o600"
    assert (running_hub.folder / "jupyterhub.sqlite").is_file()
    assert (running_hub.folder / "jupyterhub_cookie_secret").is_file()

    assert Browser(running_hub.url).login("ana", "not-the-password") == 403
    ana = Browser(running_hub.url)
    assert ana.login("ana", keys["team"]) == 302
    token = ana.api("POST", "/users/ana/tokens", {"note": "test"})["token"]
    _with_token(token, f"{running_hub.url}/hub/api/users/ana/server", "POST", {})
    deadline, server = time.monotonic() + SPAWN_TIMEOUT, None
    while time.monotonic() < deadline:
        server = _with_token(token, f"{running_hub.url}/hub/api/users/ana")["servers"].get("")
        if server and server["ready"]:
            break
        assert running_hub.process.poll() is None, running_hub.logs()
        time.sleep(1)
    assert server and server["ready"], f"ana's server never became ready:\n{running_hub.logs()}"
    assert server["url"] == "/user/ana/"

    admin = Browser(running_hub.url)
    assert admin.login("admin", keys["team"]) == 403  # the admin needs the admin password
    assert admin.login("admin", keys["admin"]) == 302
    users = {u["name"]: u for u in admin.api("GET", "/users")}
    assert users["admin"]["admin"] and not users["ana"]["admin"]

    user_url = f"{running_hub.url}/user/ana"
    listing = _with_token(token, f"{user_url}/api/contents/notebooks")  # rooted at the project
    assert {c["name"] for c in listing["content"]} >= {p.name for p in NOTEBOOKS}
    kernel = _with_token(  # as a notebook in notebooks/ starts it
        token, f"{user_url}/api/kernels", "POST", {"name": "python3", "path": "notebooks"}
    )
    ws_url = f"ws://127.0.0.1:{urllib.parse.urlsplit(running_hub.url).port}"
    code = (
        "import os\n"
        "from armazem import notebook\n"
        "print(os.getcwd())\n"
        "print(os.getppid())\n"
        "print(notebook.query('SELECT n FROM production.hub_check')['n'][0])\n"
    )
    printed = asyncio.run(
        _execute(f"{ws_url}/user/ana/api/kernels/{kernel['id']}/channels", token, code)
    )
    cwd, server_pid, value = printed.split()
    assert Path(cwd) == PROJECT_DIR / "notebooks"
    assert int(value) == drawn  # the warehouse of the project's data directory
    assert (running_hub.folder / "users" / "ana").is_dir()

    proxy_pid = int((running_hub.folder / "proxy.pid").read_text())
    assert _alive(proxy_pid) and _alive(int(server_pid))
    running_hub.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert running_hub.process.wait(timeout=60) is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (_alive(proxy_pid) or _alive(int(server_pid))):
        time.sleep(0.5)
    assert not _alive(proxy_pid), "the proxy outlived the hub"
    assert not _alive(int(server_pid)), "ana's server outlived the hub"


def test_without_the_proxy_the_hub_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))  # no .venv/node here
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ArmazemError, match="needs configurable-http-proxy") as caught:
        hub.proxy_command()
    assert "npm" in caught.value.fix and ".venv/node" in caught.value.fix
