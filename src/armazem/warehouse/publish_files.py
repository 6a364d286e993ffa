"""Published marts as Parquet files: after every publish, the marts a project names in
`[published.files]` are written under `<lake>/published/` (the local lake, or `lake_url` on an S3
endpoint when it is set):

    published/current.json                                   the pointer: which publication
    published/<mart>/publication=<id>/_manifest.json         rows, schema, files of one mart
    published/<mart>/publication=<id>/[<column>_month=2024-03/]part-0.parquet

The commit protocol works on S3, which has no rename: every mart's files are written first, then
each mart's manifest, then `current.json` names the new publication (a local file is written
beside it and renamed over it; an S3 object is replaced whole). A reader that reads the pointer
first and then only the files its manifests name never sees half a publication, and keeps reading
its version after the next publish switches the pointer: a publication is deleted only when it is
older than `retention_days` and is neither the current one nor the one it replaced. A publish
killed half-way leaves the pointer on the previous publication; its unfinished folder (no
manifest) is deleted by the next publish; a mart it finished is kept like any publication that
is not current, for `retention_days`. Publishes of one project must not run concurrently.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from armazem import failpoints
from armazem.errors import ArmazemError
from armazem.ingest.lake import MANIFEST
from armazem.ingest.object_store import ObjectStore
from armazem.names import quote
from armazem.project.published import Files, MartFiles
from armazem.settings import Settings
from armazem.warehouse.arrow import query_batches

FOLDER = "published"
POINTER = "current.json"
PRODUCTION_SCHEMA = "production"
_ID_FORMAT = "%Y%m%dT%H%M%S%fZ"  # sortable, and its age is readable from the name
_PUBLICATION = re.compile(r"^publication=(?P<id>\d{8}T\d{12}Z)$")
_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


@dataclass(frozen=True)
class Destination:
    """The `published/` folder on a pyarrow filesystem: local disk or an S3 bucket."""

    filesystem: pafs.FileSystem
    root: str  # pyarrow's path of the folder ("bucket/prefix/published" on S3)
    url: str  # as shown to people: a local path or s3://bucket/prefix/published
    store: ObjectStore | None = None  # S3 only: its error translation

    def path(self, relative: str = "") -> str:
        return "/".join(p for p in (self.root, relative.strip("/")) if p)

    def errors(self, action: str) -> AbstractContextManager[None]:
        return self.store.errors(action) if self.store else nullcontext()

    @property
    def local(self) -> bool:
        return self.store is None


def destination(settings: Settings) -> Destination:
    """`<lake_url>/published` when a remote lake is set, else `<lake>/published` on disk."""
    if settings.lake_url:
        store = ObjectStore(settings.lake_url, settings.s3_endpoint_url)
        return Destination(store.filesystem, store.key(FOLDER), f"{store.url}/{FOLDER}", store)
    root = settings.lake_path / FOLDER
    return Destination(pafs.LocalFileSystem(), root.as_posix(), str(root))


def publication_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime(_ID_FORMAT)


def publish_files(
    settings: Settings, declared: Files, run_id: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """Write a new publication of the declared marts from production and point `current.json`
    at it; returns what the pointer now says."""
    target = destination(settings)
    if target.store is not None:
        target.store.check_bucket()
    else:
        os.makedirs(target.root, exist_ok=True)
    now = now or datetime.now(UTC)
    new_id = publication_id(now)
    previous = read_pointer(target)
    keep = {new_id, *([previous["publication"]] if previous else [])}
    _remove_unfinished(target, keep)
    marts: dict[str, Any] = {}
    for mart, spec in declared.marts.items():
        marts[mart] = _write_mart(settings, target, mart, spec, new_id, now)
    pointer = {
        "publication": new_id,
        "published_at": now.isoformat(timespec="seconds"),
        "run_id": run_id,
        "marts": marts,
    }
    failpoints.reach("publish-files-before-pointer")
    _write_pointer(target, pointer)
    _expire(target, keep, now - timedelta(days=declared.retention_days))
    return {**pointer, "target": target.url}


def read_pointer(target: Destination) -> dict[str, Any] | None:
    """What `current.json` says, or None before the first publication."""
    with target.errors(f"reading {target.url}/{POINTER}"):
        try:
            with target.filesystem.open_input_stream(target.path(POINTER)) as stream:
                return json.loads(stream.read())
        except FileNotFoundError:
            return None


def current_files(settings: Settings, mart: str) -> tuple[pafs.FileSystem, list[str]]:
    """The filesystem and the paths of the current publication's files of `mart`, for
    `pyarrow.parquet.read_table(paths, filesystem=...)` or `pyarrow.dataset.dataset`."""
    target = destination(settings)
    pointer = read_pointer(target)
    if pointer is None or mart not in pointer["marts"]:
        raise ArmazemError(
            f"{target.url} has no current publication of {mart!r}",
            "declare it under [published.files] and run `armazem publish`",
        )
    entry = pointer["marts"][mart]
    return target.filesystem, [target.path(f"{entry['path']}/{f}") for f in entry["files"]]


def _write_mart(
    settings: Settings, target: Destination, mart: str, spec: MartFiles, new_id: str, now: datetime
) -> dict[str, Any]:
    relative = f"{mart}/publication={new_id}"
    folder = target.path(relative)
    files: list[dict[str, Any]] = []

    def visit(written: ds.WrittenFile) -> None:
        name = written.path.removeprefix(folder + "/")
        files.append({"name": name, "rows": written.metadata.num_rows, "size": written.size})

    sql = f"SELECT * FROM {quote(PRODUCTION_SCHEMA)}.{quote(mart)}"
    with query_batches(settings, sql) as batches:
        schema = batches.schema  # what the files hold: the mart's columns
        partitioning, column = _partitioning(schema, spec)
        with target.errors(f"writing {target.url}/{relative}"):
            ds.write_dataset(
                _with_partition(batches, spec, column),
                folder,
                format="parquet",
                filesystem=target.filesystem,
                partitioning=partitioning,
                basename_template="part-{i}.parquet",
                existing_data_behavior="overwrite_or_ignore",
                file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
                file_visitor=visit,
            )
            if not files:  # an empty mart still reads as a table with its columns
                empty = f"{folder}/part-0.parquet"
                pq.write_table(schema.empty_table(), empty, filesystem=target.filesystem)
                files.append({"name": "part-0.parquet", "rows": 0, "size": None})
    files.sort(key=lambda f: f["name"])
    rows = sum(f["rows"] for f in files)
    manifest = {
        "mart": mart,
        "publication": new_id,
        "published_at": now.isoformat(timespec="seconds"),
        "rows": rows,
        "schema": [{"name": f.name, "type": str(f.type)} for f in schema],
        "partition": None
        if column is None
        else {"folder": column, "column": spec.partition_by, "granularity": spec.granularity},
        "files": files,
    }
    failpoints.reach("publish-files-before-manifest")
    _put(target, f"{relative}/{MANIFEST}", json.dumps(manifest, indent=2).encode())
    return {"path": relative, "rows": rows, "files": [f["name"] for f in files]}


def _partitioning(schema: pa.Schema, spec: MartFiles) -> tuple[ds.Partitioning | None, str | None]:
    """The hive partitioning and the name of its derived column (`<column>_<granularity>`),
    which names the folders and is not written into the files."""
    if spec.partition_by is None:
        return None, None
    if spec.partition_by not in schema.names:
        raise ArmazemError(
            f"[published.files] partitions the mart by {spec.partition_by!r}, "
            "which is not one of its columns",
            f"use one of: {', '.join(schema.names)}",
        )
    source = schema.field(spec.partition_by)
    if not (pa.types.is_date(source.type) or pa.types.is_timestamp(source.type)):
        raise ArmazemError(
            f"[published.files] partitions the mart by the {spec.granularity} of "
            f"{spec.partition_by!r}, a {source.type} column",
            "partition by a date or timestamp column, or remove partition_by",
        )
    folder = f"{spec.partition_by}_{spec.granularity}"
    return ds.partitioning(pa.schema([pa.field(folder, pa.string())]), flavor="hive"), folder


def _with_partition(
    batches: pa.RecordBatchReader, spec: MartFiles, folder: str | None
) -> pa.RecordBatchReader:
    """The batches with the derived folder column appended."""
    if folder is None or spec.partition_by is None:
        return batches
    column, fmt = spec.partition_by, _FORMATS[spec.granularity]

    def derived() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            values = batch.column(column)
            if pa.types.is_date(values.type):
                values = values.cast(pa.timestamp("s"))
            yield batch.append_column(folder, pc.strftime(values, format=fmt))

    schema = batches.schema.append(pa.field(folder, pa.string()))
    return pa.RecordBatchReader.from_batches(schema, derived())


def _put(target: Destination, relative: str, data: bytes) -> None:
    with (
        target.errors(f"writing {target.url}/{relative}"),
        target.filesystem.open_output_stream(target.path(relative), compression=None) as out,
    ):
        out.write(data)


def _write_pointer(target: Destination, pointer: dict[str, Any]) -> None:
    """The switch. An S3 PUT replaces the object whole; on disk the new pointer is written beside
    the old and renamed over it (atomic on one filesystem)."""
    data = json.dumps(pointer, indent=2).encode()
    if not target.local:
        _put(target, POINTER, data)
        return
    partial = f".{POINTER}.{pointer['publication']}.partial"
    _put(target, partial, data)
    with open(target.path(partial), "rb") as handle:  # durable before it becomes visible
        os.fsync(handle.fileno())
    os.replace(target.path(partial), target.path(POINTER))


def _publications(target: Destination) -> Iterator[tuple[str, str]]:
    """(pyarrow path, id) of every publication folder of every mart."""
    with target.errors(f"listing {target.url}"):
        marts = target.filesystem.get_file_info(
            pafs.FileSelector(target.root, allow_not_found=True)
        )
        for mart in marts:
            if mart.type != pafs.FileType.Directory:
                continue
            for info in target.filesystem.get_file_info(pafs.FileSelector(mart.path)):
                match = _PUBLICATION.match(info.base_name)
                if info.type == pafs.FileType.Directory and match:
                    yield info.path, match["id"]


def _remove_unfinished(target: Destination, keep: set[str]) -> None:
    """Folders a killed publish left without a manifest (never current)."""
    for path, found in list(_publications(target)):
        if found in keep:
            continue
        with target.errors(f"checking {path}"):
            finished = target.filesystem.get_file_info(f"{path}/{MANIFEST}").is_file
            if not finished:
                target.filesystem.delete_dir(path)


def _expire(target: Destination, keep: set[str], before: datetime) -> None:
    """Publications older than the retention, except the current one and the one it replaced."""
    for path, found in list(_publications(target)):
        born = datetime.strptime(found, _ID_FORMAT).replace(tzinfo=UTC)
        if found not in keep and born < before:
            with target.errors(f"deleting {path}"):
                target.filesystem.delete_dir(path)
