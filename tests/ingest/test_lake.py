from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from armazem.ingest.lake import MANIFEST, LakeLoad

SCHEMA = pa.schema([("id", pa.int64())])


def test_a_load_is_invisible_until_committed(tmp_path: Path) -> None:
    load = LakeLoad(tmp_path, "shop", "orders", "L1", SCHEMA)
    load.write(pa.table({"id": [1, 2]}))
    load.quarantine(pa.table({"reason": ["bad"], "record": ["{}"]}))
    assert list((tmp_path / "raw" / "shop" / "orders").glob("load_id=*")) == []
    final = load.commit({"load_id": "L1"})
    assert final.name == "load_id=L1"
    assert pq.read_table(load.data_file).column("id").to_pylist() == [1, 2]
    manifest = json.loads((final / MANIFEST).read_text())
    assert manifest["rows"] == 2 and manifest["quarantined"] == 1
    assert len(manifest["files"][0]["sha256"]) == 64


def test_an_aborted_or_crashed_load_leaves_nothing_behind(tmp_path: Path) -> None:
    crashed = LakeLoad(tmp_path, "shop", "orders", "L1", SCHEMA)
    crashed.write(pa.table({"id": [1]}))  # the process dies here: no commit, no abort
    aborted = LakeLoad(tmp_path, "shop", "orders", "L2", SCHEMA)  # cleans the crashed leftover
    aborted.abort()
    assert list((tmp_path / "raw" / "shop" / "orders").iterdir()) == []
