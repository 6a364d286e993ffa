"""The lake: every load written as Parquet under `raw/<source>/<table>/load_id=<id>/`, with its
quarantined records (`quarantine.parquet`) and a manifest beside the data.

A load is written into a hidden temporary folder and renamed into place only when complete, so a
reader never sees half a load; leftovers of a crashed load are removed by the next one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
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
        self._data = pq.ParquetWriter(self.tmp / "part-0.parquet", schema, compression="zstd")
        self._quarantine: pq.ParquetWriter | None = None
        self._keys: pq.ParquetWriter | None = None

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self._data.write_table(rows.cast(self._data.schema))
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
        self._close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _close(self) -> None:
        for writer in (self._data, self._quarantine, self._keys):
            if writer is not None:
                writer.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
