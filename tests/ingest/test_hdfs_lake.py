"""`lake_url = "hdfs://..."`: accepted and passed through unchanged. No HDFS can run on these
machines (no Hadoop package), so: the ingest stops in one line naming what is missing, before it
reads anything; and the publish protocol on HDFS paths is checked on a local file system standing
in for the namenode at the filesystem edge (pyarrow's LocalFileSystem takes the same absolute
paths HadoopFileSystem does)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pytest

from armazem.errors import ArmazemError
from armazem.ingest.hdfs import HdfsStore, hdfs_filesystem
from armazem.ingest.lake import MANIFEST, LakeLoad
from armazem.ingest.remote_lake import RemoteLake
from armazem.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
HDFS_URL = "hdfs://namenode.example:8020/armazem/lake"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("ARMAZEM_")]:
        monkeypatch.delenv(name)


def _settings(tmp_path: Path, **update: object) -> Settings:
    return load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": tmp_path / "data", "scale": 0.002, **update}
    )


def test_without_libhdfs_the_ingest_stops_in_one_line_before_reading(tmp_path: Path) -> None:
    from armazem.ingest.pipeline import ingest
    from armazem.simulate import softcart

    settings = _settings(tmp_path)
    softcart.create(settings)
    with pytest.raises(ArmazemError) as caught:
        ingest(settings.model_copy(update={"lake_url": HDFS_URL}), ["shop"])
    error = caught.value
    assert "libhdfs" in error.problem and HDFS_URL in error.problem
    assert "\n" not in error.problem and "HADOOP_HOME" in error.fix and "lake_url" in error.fix
    assert not settings.lake_path.exists()  # nothing was read, nothing half-written

    loaded = ingest(settings, ["shop"])  # the same ingest with the lake kept local
    assert all(r.loaded > 0 for r in loaded if r.table == "shop.orders")


def test_the_error_names_the_missing_library_when_called_directly() -> None:
    with pytest.raises(ArmazemError, match=r"needs Hadoop's libhdfs, which pyarrow cannot load"):
        hdfs_filesystem(HDFS_URL)


class LikeHdfs(pafs.LocalFileSystem):
    """A local file system that, like HDFS, creates a file's folders when the file is created."""

    def open_output_stream(self, path: str, *args: Any, **kwargs: Any) -> pa.NativeFile:
        self.create_dir(path.rsplit("/", 1)[0], recursive=True)
        return super().open_output_stream(path, *args, **kwargs)


def test_a_load_is_published_to_hdfs_paths_manifest_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namenode_root = tmp_path / "hdfs"  # the namenode's folder for this test
    url = f"hdfs://namenode.example:8020{namenode_root}/lake"
    settings = _settings(tmp_path, lake_url=url)
    load = LakeLoad(settings.lake_path, "shop", "orders", "L1", pa.schema([("id", pa.int64())]))
    load.write(pa.table({"id": [1, 2, 3]}))
    load.write_keys(pa.table({"id": [1, 2, 3]}))
    local_dir = load.commit({"load_id": "L1"})

    lake = RemoteLake(url, filesystem=LikeHdfs())
    assert isinstance(lake.store, HdfsStore)
    assert lake.store.key("raw/shop/orders") == f"{namenode_root}/lake/raw/shop/orders"
    written: list[str] = []
    upload, put = RemoteLake._upload, RemoteLake._put

    def recorded_upload(self: RemoteLake, local: Path, relative: str, entry: dict) -> None:
        written.append(relative.rsplit("/", 1)[1])
        upload(self, local, relative, entry)

    def recorded_put(self: RemoteLake, relative: str, data: bytes) -> None:
        written.append(relative.rsplit("/", 1)[1])
        put(self, relative, data)

    monkeypatch.setattr(RemoteLake, "_upload", recorded_upload)
    monkeypatch.setattr(RemoteLake, "_put", recorded_put)
    assert (
        lake.publish(local_dir, "raw/shop/orders/load_id=L1") == f"{url}/raw/shop/orders/load_id=L1"
    )
    assert written == ["keys.parquet", "part-0.parquet", MANIFEST]  # the manifest last
    assert lake.committed_loads("shop", "orders") == ["L1"]
    published = namenode_root / "lake/raw/shop/orders/load_id=L1"
    for name in written:
        assert (published / name).read_bytes() == (local_dir / name).read_bytes()

    (published / MANIFEST).unlink()  # a publish that died before its commit
    assert lake.committed_loads("shop", "orders") == []
