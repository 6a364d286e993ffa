"""Every page run once as soon as the server listens, as a browser would run it (a session over
the server's own WebSocket, the page's default filters), so that the first visitor finds the
project's pages imported, the warehouse opened once and each page's queries in the cache
(`ui.query`, for its TTL) rather than paying for them.

The default page comes first. It is best effort: a page that fails here fails the same way for
its visitor, who is told why; the server never waits for the warm-up, nor stops because of it.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)
START_SECONDS = 60  # the server's wait for its own health check
PAGE_SECONDS = 60


def page_paths() -> list[str]:
    """The url paths of the app's pages, in the app's order (the default one first)."""
    from armazem.dashboard import pages
    from armazem.project import load_project
    from armazem.settings import load_settings

    project = load_project(load_settings())
    found = [*pages.project_pages(project.dashboards_dir), *pages.engine_pages()]
    return [page.url_path for page in found]


def run_page(url: str, path: str, timeout: float = PAGE_SECONDS) -> bool:
    """Run the page at `path` in a new session of the server at `url` (http://host:port) and
    wait for its script to finish; whether it finished."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    message = BackMsg()
    message.rerun_script.page_name = path
    message.rerun_script.query_string = ""
    deadline = time.monotonic() + timeout
    stream = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    with connect(stream, subprotocols=["streamlit"], open_timeout=timeout) as socket:  # type: ignore[list-item]
        socket.send(message.SerializeToString())
        while (left := deadline - time.monotonic()) > 0:
            answer = ForwardMsg()
            answer.ParseFromString(socket.recv(timeout=left))
            if answer.WhichOneof("type") == "script_finished":
                return True
    return False


def warm(url: str, paths: Sequence[str] | None = None) -> dict[str, float]:
    """Wait for the server to answer, then run each page (all of the app's unless told);
    seconds per page run."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
    else:
        return {}
    if paths is None:
        try:  # imported once the server runs: their caches then belong to its runtime
            paths = page_paths()
        except Exception as exc:  # no project, a bad config: the app shows the problem itself
            log.debug("no pages to warm: %s", exc)
            return {}
    seconds = {}
    for path in paths:
        started = time.perf_counter()
        try:
            finished = run_page(url, path)
        except Exception as exc:  # best effort: the visitor's own run says what is wrong
            log.debug("warming page %r failed: %s", path, exc)
            continue
        if finished:
            seconds[path] = round(time.perf_counter() - started, 2)
    log.debug("pages warmed: %s", seconds)
    return seconds


def server_url() -> str | None:
    """Where this process's Streamlit server listens, for a client on this machine."""
    from streamlit import config

    address = config.get_option("server.address") or "127.0.0.1"
    if address.startswith("unix://"):
        return None
    if address in ("0.0.0.0", "::", ""):
        address = "127.0.0.1"
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{config.get_option('server.port')}"


def start() -> threading.Thread | None:
    url = server_url()
    if url is None:
        return None
    thread = threading.Thread(target=warm, args=(url,), name="warm-pages", daemon=True)
    thread.start()
    return thread


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """The server's lifespan: the warm-up starts with it, in the background."""
    start()
    yield
