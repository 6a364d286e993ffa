"""The lake on an S3 endpoint or on HDFS: committed local loads published under `lake_url`.

The local lake (`ingest/lake.py`) stays the working copy: a load is written there and committed by
a rename, and the warehouse loads from those local files. When `settings.lake_url`
(`s3://bucket/prefix`, or `hdfs://namenode:port/path`, see `ingest/hdfs.py`) is set, each
committed load is ALSO published to `<prefix>/raw/<source>/<table>/load_id=<id>/`.

S3 has no rename, so the commit protocol is the order of the uploads (the same on HDFS):

1. an earlier attempt of the same load id is retracted, its `_manifest.json` deleted FIRST;
2. the data files listed in the local manifest are uploaded, each checked against the manifest's
   sha256 while it streams;
3. `_manifest.json` (byte-for-byte the local one) is uploaded LAST.

An S3 object (an HDFS file once closed) appears whole or not at all, so a remote load counts as
committed only when its manifest exists. READERS MUST CHECK THE MANIFEST: list loads with
`RemoteLake.committed_loads` (or look for `_manifest.json` yourself), ignore any `load_id=`
folder without one (an upload in progress or one that died), and read only the files the
manifest names, checking their sha256.

Where it runs: after `LakeLoad.commit` and before the warehouse transaction. The local lake is
the working copy, so an endpoint that fails (or vanishes mid-upload) does not stop the load: the
local load gets a `_not_copied` marker and goes on to the warehouse; the attempt's files on S3
stay invisible (no manifest). The next ingest copies every marked load first (`copy_pending`),
and ends with one error line while any load is still not copied.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from armazem import failpoints
from armazem.errors import ArmazemError
from armazem.ingest.hdfs import HdfsStore
from armazem.ingest.lake import MANIFEST
from armazem.ingest.object_store import ObjectStore
from armazem.settings import Settings

CHUNK = 8 << 20  # bytes read from a local file per upload write
NOT_COPIED = "_not_copied"  # in a committed local load: the S3 lake does not have it yet
_MANIFEST_KEY = re.compile(r"^load_id=(?P<id>[^/]+)/" + re.escape(MANIFEST) + "$")


class RemoteLake:
    """The published lake under one `s3://bucket/prefix` or `hdfs://namenode:port/path`."""

    def __init__(
        self, url: str, endpoint_url: str | None = None, filesystem: pafs.FileSystem | None = None
    ) -> None:
        self.store: ObjectStore = (
            HdfsStore(url, filesystem)
            if url.startswith("hdfs://")
            else ObjectStore(url, endpoint_url, filesystem)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteLake:
        if not settings.lake_url:
            raise ArmazemError(
                "no remote lake is configured",
                "set lake_url to s3://BUCKET/PREFIX or hdfs://NAMENODE:8020/PATH",
            )
        return cls(settings.lake_url, settings.s3_endpoint_url)

    @property
    def url(self) -> str:
        return self.store.url

    def publish(self, local_load_dir: Path, relative_path: str) -> str:
        """Upload a committed local load to `<prefix>/<relative_path>/`, manifest last; returns
        its URL. Refuses a local folder without a manifest (not committed) or whose files
        do not match it."""
        manifest_file = local_load_dir / MANIFEST
        if not manifest_file.is_file():
            raise ArmazemError(
                f"{local_load_dir} has no {MANIFEST}: the load was never committed",
                "publish only folders returned by LakeLoad.commit; rerun the ingest",
            )
        manifest_bytes = manifest_file.read_bytes()
        listed = json.loads(manifest_bytes)["files"]
        relative = relative_path.strip("/")
        self.store.check_bucket()
        self._retract(relative)
        for entry in listed:
            self._upload(local_load_dir / entry["name"], f"{relative}/{entry['name']}", entry)
        failpoints.reach("s3-before-manifest")
        self._put(f"{relative}/{MANIFEST}", manifest_bytes)  # the commit
        return f"{self.url}/{relative}"

    def committed_loads(self, source: str, table: str) -> list[str]:
        """The load ids of a table that have a manifest in the remote lake, in order."""
        folder = f"raw/{source}/{table}"
        base = self.store.key(folder) + "/"
        ids = []
        for info in self.store.list(folder, recursive=True):
            match = _MANIFEST_KEY.match(info.path.removeprefix(base))
            if match:
                ids.append(match["id"])
        if not ids:
            self.store.check_bucket()  # an empty answer from a missing bucket would mislead
        return sorted(ids)

    def read_manifest(self, source: str, table: str, load_id: str) -> dict[str, Any]:
        """The manifest of a committed load; an ArmazemError if the load is not committed."""
        key = f"{_load_folder(source, table, load_id)}/{MANIFEST}"
        try:
            return json.loads(self.store.read_bytes(key))
        except FileNotFoundError:
            raise ArmazemError(
                f"load {load_id} of {source}.{table} is not committed on {self.url} "
                f"(no {MANIFEST})",
                "read only loads that committed_loads lists; publish this load again if needed",
            ) from None

    def load_paths(self, source: str, table: str, load_id: str) -> list[str]:
        """pyarrow paths ("bucket/key") of the files a committed load's manifest names."""
        folder = _load_folder(source, table, load_id)
        manifest = self.read_manifest(source, table, load_id)
        return [self.store.key(f"{folder}/{entry['name']}") for entry in manifest["files"]]

    def _retract(self, relative: str) -> None:
        """Remove an earlier attempt of this load: manifest first, so it is never committed with
        a mix of old and new files."""
        fs = self.store.filesystem
        with self.store.errors(f"retracting {self.url}/{relative}"):
            if fs.get_file_info(self.store.key(f"{relative}/{MANIFEST}")).is_file:
                fs.delete_file(self.store.key(f"{relative}/{MANIFEST}"))
            fs.delete_dir_contents(self.store.key(relative), missing_dir_ok=True)

    def _upload(self, local: Path, relative: str, entry: dict[str, str]) -> None:
        """Stream one file up, hashing what is sent; a mismatch with the manifest stops the
        publish before the manifest is written, so the corrupt load never counts as committed."""
        digest = hashlib.sha256()
        with (
            self.store.errors(f"uploading {local.name} to {self.url}/{relative}"),
            local.open("rb") as source,
            self._output(relative) as target,
        ):
            for block in iter(lambda: source.read(CHUNK), b""):
                digest.update(block)
                target.write(block)
        if digest.hexdigest() != entry["sha256"]:
            raise ArmazemError(
                f"{local} does not match the sha256 in its manifest: the local load is corrupt",
                "rerun the ingest of this table to write a new load; this one was not published",
            )

    def _output(self, relative: str) -> pa.NativeFile:
        # No compression by extension: the bytes on S3 are the bytes the manifest's sha256 covers.
        return self.store.filesystem.open_output_stream(self.store.key(relative), compression=None)

    def _put(self, relative: str, data: bytes) -> None:
        with (
            self.store.errors(f"writing {self.url}/{relative}"),
            self._output(relative) as target,
        ):
            target.write(data)


def publish_load(settings: Settings, lake_dir: Path) -> bool:
    """Publish a committed local load (a `LakeLoad.commit` result under `settings.lake_path`) to
    `settings.lake_url`, at the same relative path; nothing to do when no lake_url is set.
    False when the endpoint failed: the load is then marked `_not_copied` for the next run."""
    if not settings.lake_url:
        return True
    relative = lake_dir.resolve().relative_to(settings.lake_path.resolve()).as_posix()
    marker = lake_dir / NOT_COPIED
    try:
        RemoteLake.from_settings(settings).publish(lake_dir, relative)
    except ArmazemError as exc:
        marker.write_text(f"{exc.problem}\n", encoding="utf-8")
        return False
    marker.unlink(missing_ok=True)
    return True


def pending_loads(settings: Settings) -> list[Path]:
    """Committed local loads that the S3 lake does not have yet, oldest first."""
    marked = settings.lake_path.glob(f"raw/*/*/load_id=*/{NOT_COPIED}")
    return sorted((m.parent for m in marked), key=lambda p: p.name)


def copy_pending(settings: Settings, strict: bool = False) -> list[Path]:
    """Copy the loads marked not copied; returns those still pending. `strict`: raise one
    ArmazemError if any is."""
    if not settings.lake_url:
        return []
    left = [load for load in pending_loads(settings) if not publish_load(settings, load)]
    if left and strict:
        reason = (left[0] / NOT_COPIED).read_text(encoding="utf-8").strip()
        raise ArmazemError(
            f"{len(left)} load(s) are in the local lake and the warehouse but not yet copied to "
            f"{settings.lake_url}: {reason}",
            "bring the S3 endpoint back; the next `armazem ingest` or `run` copies them first",
        )
    return left


def _load_folder(source: str, table: str, load_id: str) -> str:
    return f"raw/{source}/{table}/load_id={load_id}"
