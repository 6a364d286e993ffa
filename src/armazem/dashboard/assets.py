"""Streamlit's own files, served faster: an ASGI middleware in front of its server (see asgi.py).

- Compressed. Streamlit serves its JavaScript (about 8 MB for a page with charts, of which 4.6 MB
  is Plotly) uncompressed: it would otherwise compress every response again. Here each file is
  gzip-compressed once, in the background, and kept on disk (the files' names carry their content
  hash, so a copy never goes stale) and in memory; until its copy exists a file is served as
  before. Headers say what Streamlit's say: immutable, cacheable for a year.

What was tried and dropped: naming Plotly's chunk in the page document as a module to preload
(the browser then compiled it while the app started, and the WebSocket opened 0.3-0.4 s later,
with no chart sooner).
"""

from __future__ import annotations

import gzip
import os
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CACHE_CONTROL = "public, immutable, max-age=31536000"  # as Streamlit's own for hashed files
COMPRESSED = (".js", ".css", ".json", ".svg", ".map", ".txt")
SMALLEST = 1024  # below this, compression saves nothing worth a header
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".json": "application/json", ".svg": "image/svg+xml", ".map": "application/json",
          ".txt": "text/plain; charset=utf-8"}  # fmt: skip


def static_dir() -> Path:
    """The folder of Streamlit's front end (index.html, static/js, static/css)."""
    from streamlit import file_util

    return Path(file_util.get_static_dir())


def cache_dir() -> Path:
    """Where the compressed copies are kept, per Streamlit version."""
    import streamlit

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "armazem" / "streamlit-static" / streamlit.__version__


class Compressed:
    """Gzip copies of the static files, made once in a background thread."""

    def __init__(self, root: Path, cache: Path) -> None:
        self.root, self.cache = root, cache
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.known = frozenset(self.files())  # nothing else is read from the cache

    def files(self) -> list[str]:
        """The compressible files under static/, largest first (what saves most comes first)."""
        found = [
            p
            for p in (self.root / "static").rglob("*")
            if p.suffix in COMPRESSED and p.is_file() and p.stat().st_size >= SMALLEST
        ]
        found.sort(key=lambda p: p.stat().st_size, reverse=True)
        return [p.relative_to(self.root).as_posix() for p in found]

    def get(self, relative: str) -> bytes | None:
        """The gzip copy of static file `relative`, if made (memory, then disk)."""
        if relative not in self.known:
            return None
        body = self._memory.get(relative)
        if body is not None:
            return body
        path = self.cache / (relative + ".gz")
        try:
            body = path.read_bytes()
        except OSError:
            return None
        with self._lock:
            self._memory[relative] = body
        return body

    def make(self, relative: str) -> None:
        path = self.cache / (relative + ".gz")
        if path.exists():
            return
        source = self.root / relative
        body = gzip.compress(source.read_bytes(), compresslevel=6, mtime=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        partial.write_bytes(body)
        partial.replace(path)  # another server making the same copy writes the same bytes

    def make_all(self) -> None:
        for relative in sorted(self.known, key=lambda r: -(self.root / r).stat().st_size):
            try:
                self.make(relative)
            except OSError:  # a read-only cache: served uncompressed, as before
                return

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.make_all, name="compress-static", daemon=True)
        thread.start()
        return thread


class StaticAssets:
    """The middleware: static files from their compressed copies when the browser takes gzip."""

    def __init__(self, app: ASGIApp, start: bool = True) -> None:
        self.app = app
        self.compressed = Compressed(static_dir(), cache_dir())
        if start:
            self.compressed.start()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/static/"):
            body = self.compressed.get(path[1:]) if _accepts_gzip(scope) else None
            if body is None:
                await self.app(scope, receive, send)
                return
            headers = [
                (b"content-type", _TYPES.get(Path(path).suffix, "text/plain").encode()),
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", CACHE_CONTROL.encode()),
                (b"vary", b"Accept-Encoding"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body",
                        "body": b"" if scope["method"] == "HEAD" else body})  # fmt: skip
            return
        await self.app(scope, receive, send)


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept-encoding":
            return b"gzip" in value
    return False
