"""The lake: every load written as Parquet under `raw/<source>/<table>/load_id=<id>/`, with its
quarantined records (`quarantine.parquet`) and a manifest beside the data.

A load is written into a hidden temporary folder and renamed into place only when complete, so a
reader never sees half a load; leftovers of a crashed load are removed by the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import shutil
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "_manifest.json"


class LakeLoad:
    """One load of one table into the lake."""

    def __init__(self, root: Path, source: str, table: str, load_id: str, schema: pa.Schema):
        self.table_dir = root / "raw" / source / table
        self.final = self.table_dir / f"load_id={load_id}"
        self.tmp = self.table_dir / f".tmp-load_id={load_id}"
        for stale in self.table_dir.glob(".tmp-*"):
            shutil.rmtree(stale)
        self.tmp.mkdir(parents=True)
        self.rows = self.quarantined = 0
        # LZ4: a third faster to write than zstd here, for files about a quarter larger. A
        # dictionary only where values repeat (text, dates): on ids, amounts and times it is
        # tried, found too large and dropped, which halved the write's speed for nothing.
        repeating = [f.name for f in schema if _repeats(f.type)]
        path = self.tmp / "part-0.parquet"
        self._data = BackgroundWriter(
            pq.ParquetWriter(path, schema, compression="lz4", use_dictionary=repeating)
        )
        self._quarantine: pq.ParquetWriter | None = None
        self._keys: pq.ParquetWriter | None = None

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self._data.write(rows.cast(self._data.schema))
            self.rows += rows.num_rows

    def quarantine(self, rows: pa.Table) -> None:
        if rows.num_rows:
            if self._quarantine is None:
                self._quarantine = pq.ParquetWriter(self.tmp / "quarantine.parquet", rows.schema)
            self._quarantine.write_table(rows)
            self.quarantined += rows.num_rows

    def write_keys(self, keys: pa.Table) -> None:
        """The source's whole key set, for detecting deleted rows."""
        if self._keys is None:
            self._keys = pq.ParquetWriter(self.tmp / "keys.parquet", keys.schema)
        self._keys.write_table(keys)

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Close the files, write the manifest, and make the load visible in one rename."""
        self._close()
        files = sorted(self.tmp.glob("*.parquet"))
        manifest = {
            **manifest,
            "rows": self.rows,
            "quarantined": self.quarantined,
            "schema": [{"name": f.name, "type": str(f.type)} for f in self._data.schema],
            "files": [{"name": f.name, "sha256": _sha256(f)} for f in files],
        }
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        if self.final.exists():  # a rerun with the same load id replaces its earlier attempt
            shutil.rmtree(self.final)
        self.tmp.rename(self.final)
        return self.final

    @property
    def data_file(self) -> Path:
        return self.final / "part-0.parquet"

    @property
    def quarantine_file(self) -> Path | None:
        path = self.final / "quarantine.parquet"
        return path if self.quarantined else None

    @property
    def keys_file(self) -> Path | None:
        return self.final / "keys.parquet" if self._keys is not None else None

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the load is being thrown away anyway
            self._close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _close(self) -> None:
        for writer in (self._data, self._quarantine, self._keys):
            if writer is not None:
                writer.close()


class BackgroundWriter:
    """A Parquet writer fed through a short queue by one thread, so compressing and writing a
    batch overlaps with validating the next (pyarrow releases the GIL). Two batches at most
    wait, so memory stays bounded; a write error surfaces on the next call or on close."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self.writer = writer
        self.schema = writer.schema
        self._queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lake-writer", daemon=True)
        self._thread.start()

    def write(self, table: pa.Table) -> None:
        self._raise_if_failed()
        self._queue.put(table)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self.writer.close()
        self._raise_if_failed()

    def _run(self) -> None:
        while (table := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self.writer.write_table(table)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


def _repeats(kind: pa.DataType) -> bool:
    """Whether a column of this type usually holds few distinct values (codes, names, days)."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_date(kind)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
