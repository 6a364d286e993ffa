"""The lake published to a real S3-protocol server (moto_server on 127.0.0.1, started here), and
files read from S3 through the object-store readers."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from tests.servers import moto_server

from armazem.errors import ArmazemError
from armazem.ingest import files
from armazem.ingest.lake import MANIFEST, LakeLoad
from armazem.ingest.object_store import (
    ObjectStore,
    read_access_logs_s3,
    read_csv_s3,
    read_documents_s3,
    s3_filesystem,
)
from armazem.ingest.remote_lake import RemoteLake, publish_load
from armazem.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


pytestmark = pytest.mark.usefixtures("aws_env")  # S3 credentials in the environment only


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"lake-{uuid.uuid4().hex[:10]}"
    admin = pafs.S3FileSystem(
        access_key="testing", secret_key="testing", region="us-east-1",
        endpoint_override=s3_endpoint.removeprefix("http://"), scheme="http",
        allow_bucket_creation=True,
    )  # fmt: skip
    admin.create_dir(name)
    return name


def _settings(tmp_path: Path, **update: object) -> Settings:
    return load_settings(REPO / "examples/softcart/armazem.toml").model_copy(
        update={"data_dir": tmp_path / "data", "scale": 0.002, **update}
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _small_load(settings: Settings, load_id: str = "L1") -> Path:
    """A committed local load with three files: data, quarantine and keys."""
    load = LakeLoad(settings.lake_path, "shop", "orders", load_id, pa.schema([("id", pa.int64())]))
    load.write(pa.table({"id": [1, 2, 3]}))
    load.quarantine(pa.table({"reason": ["bad"], "record": ["{}"]}))
    load.write_keys(pa.table({"id": [1, 2, 3]}))
    return load.commit({"load_id": load_id})


# --- the lake --------------------------------------------------------------------------------


def test_an_ingest_is_published_manifest_last_with_matching_checksums(
    tmp_path: Path, s3_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from armazem.ingest.pipeline import ingest
    from armazem.simulate import softcart

    settings = _settings(tmp_path)
    softcart.create(settings)
    results = ingest(settings)
    remote = settings.model_copy(
        update={"lake_url": f"s3://{bucket}/lake", "s3_endpoint_url": s3_endpoint}
    )
    written: list[str] = []  # every object key, in upload order
    upload, put = RemoteLake._upload, RemoteLake._put

    def recorded_upload(self: RemoteLake, local: Path, relative: str, entry: dict) -> None:
        written.append(relative)
        upload(self, local, relative, entry)

    def recorded_put(self: RemoteLake, relative: str, data: bytes) -> None:
        written.append(relative)
        put(self, relative, data)

    monkeypatch.setattr(RemoteLake, "_upload", recorded_upload)
    monkeypatch.setattr(RemoteLake, "_put", recorded_put)

    load_dirs = sorted((settings.lake_path / "raw").glob("*/*/load_id=*"))
    assert len(load_dirs) == len(results) == 11
    for load_dir in load_dirs:
        publish_load(remote, load_dir)

    lake = RemoteLake.from_settings(remote)
    fs = s3_filesystem(s3_endpoint)
    for result in results:
        source, table = result.table.split(".")
        assert lake.committed_loads(source, table) == [result.load_id]
        local_dir = settings.lake_path / "raw" / source / table / f"load_id={result.load_id}"
        manifest = lake.read_manifest(source, table, result.load_id)
        assert manifest == json.loads((local_dir / MANIFEST).read_text())
        assert manifest["rows"] == result.loaded
        folder = f"raw/{source}/{table}/load_id={result.load_id}"
        names = [entry["name"] for entry in manifest["files"]]
        mine = [w.rsplit("/", 1)[1] for w in written if w.startswith(folder + "/")]
        assert mine == [*names, MANIFEST]  # data files first, the manifest last
        for entry, path in zip(manifest["files"], lake.load_paths(source, table, result.load_id),
                               strict=True):  # fmt: skip
            with fs.open_input_stream(path) as stream:
                uploaded = stream.read()
            assert _sha256(uploaded) == entry["sha256"]
            assert uploaded == (local_dir / entry["name"]).read_bytes()
        on_s3 = {i.base_name for i in lake.store.list(folder)}
        assert on_s3 == {*names, MANIFEST}
    orders = lake.load_paths("shop", "orders", results[0].load_id)[0]
    assert pq.read_table(orders, filesystem=fs).num_rows == next(
        r.loaded for r in results if r.table == "shop.orders"
    )


def test_a_load_without_its_manifest_is_not_committed(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    settings = _settings(tmp_path)
    lake = RemoteLake(f"s3://{bucket}/lake", s3_endpoint)
    for load_id in ("L1", "L2"):
        lake.publish(_small_load(settings, load_id), f"raw/shop/orders/load_id={load_id}")
    assert lake.committed_loads("shop", "orders") == ["L1", "L2"]

    lake.store.filesystem.delete_file(lake.store.key(f"raw/shop/orders/load_id=L2/{MANIFEST}"))
    assert lake.store.list("raw/shop/orders/load_id=L2")  # its data files are still there
    assert lake.committed_loads("shop", "orders") == ["L1"]
    with pytest.raises(ArmazemError, match="not committed") as caught:
        lake.read_manifest("shop", "orders", "L2")
    assert "committed_loads" in caught.value.fix


def test_a_publish_that_dies_midway_leaves_the_load_uncommitted(
    tmp_path: Path, s3_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, lake_url=f"s3://{bucket}/lake", s3_endpoint_url=s3_endpoint)
    load_dir = _small_load(settings)
    publish_load(settings, load_dir)
    lake = RemoteLake.from_settings(settings)
    assert lake.committed_loads("shop", "orders") == ["L1"]

    upload = RemoteLake._upload
    calls: list[str] = []

    def dies_on_second_file(self: RemoteLake, local: Path, relative: str, entry: dict) -> None:
        calls.append(relative)
        if len(calls) == 2:
            raise ConnectionError("the network went away")
        upload(self, local, relative, entry)

    monkeypatch.setattr(RemoteLake, "_upload", dies_on_second_file)
    with pytest.raises(ConnectionError):
        publish_load(settings, load_dir)  # a rerun of the same load id, retracted first
    assert lake.committed_loads("shop", "orders") == []
    assert lake.store.list("raw/shop/orders/load_id=L1")  # one new file, invisible

    monkeypatch.setattr(RemoteLake, "_upload", upload)
    publish_load(settings, load_dir)
    assert lake.committed_loads("shop", "orders") == ["L1"]
    assert len(lake.store.list("raw/shop/orders/load_id=L1")) == 4  # 3 files and the manifest


def test_a_corrupt_or_uncommitted_local_load_is_not_published(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    settings = _settings(tmp_path)
    lake = RemoteLake(f"s3://{bucket}/lake", s3_endpoint)
    load_dir = _small_load(settings)
    with (load_dir / "part-0.parquet").open("ab") as handle:
        handle.write(b"rot")
    with pytest.raises(ArmazemError, match="does not match the sha256"):
        lake.publish(load_dir, "raw/shop/orders/load_id=L1")
    assert lake.committed_loads("shop", "orders") == []

    (load_dir / MANIFEST).unlink()
    with pytest.raises(ArmazemError, match="never committed"):
        lake.publish(load_dir, "raw/shop/orders/load_id=L1")


def test_without_a_lake_url_nothing_is_published(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.lake_url is None
    publish_load(settings, _small_load(settings))  # no endpoint, no credentials needed
    with pytest.raises(ArmazemError, match="no remote lake"):
        RemoteLake.from_settings(settings)


# --- failures the user can fix ---------------------------------------------------------------


def test_an_unreachable_endpoint_is_an_error_with_a_fix() -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(ArmazemError, match="unreachable") as caught:
        RemoteLake("s3://lake/prefix", closed).committed_loads("shop", "orders")
    assert closed in caught.value.problem
    assert "s3_endpoint_url" in caught.value.fix
    assert time.monotonic() - started < 20


def test_a_missing_bucket_is_an_error_with_a_fix(tmp_path: Path, s3_endpoint: str) -> None:
    lake = RemoteLake("s3://no-such-bucket/lake", s3_endpoint)
    with pytest.raises(ArmazemError, match="does not exist") as caught:
        lake.committed_loads("shop", "orders")
    assert "aws s3 mb s3://no-such-bucket" in caught.value.fix
    with pytest.raises(ArmazemError, match="does not exist"):
        lake.publish(_small_load(_settings(tmp_path)), "raw/shop/orders/load_id=L1")
    with pytest.raises(ArmazemError, match="does not exist"):
        ObjectStore("s3://no-such-bucket/files", s3_endpoint).matching("", "*.csv")


def test_refused_or_missing_credentials_are_errors_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto checks signatures against its own IAM users once this count of actions is used up.
    with moto_server(tmp_path, INITIAL_NO_AUTH_ACTION_COUNT="0") as strict:
        with pytest.raises(ArmazemError, match="refused the credentials") as caught:
            RemoteLake("s3://lake/prefix", strict).committed_loads("shop", "orders")
        assert "AWS_ACCESS_KEY_ID" in caught.value.fix
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ArmazemError, match="no S3 credentials") as caught:
        RemoteLake("s3://lake/prefix", strict)
    assert "never put them in armazem.toml" in caught.value.fix


# --- files on S3 as a source -----------------------------------------------------------------


def test_files_read_from_s3_equal_the_same_files_read_locally(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    from armazem.simulate import softcart
    from armazem.simulate.softcart import files as softcart_files

    settings = _settings(tmp_path)
    softcart.create(settings)
    fs = s3_filesystem(s3_endpoint)
    local = settings.sources_path
    for folder in ("catalog", softcart_files.SEARCH_DIR, softcart_files.WEBLOG_DIR):
        target = f"{bucket}/sources/{folder}"
        pafs.copy_files(str(local / folder), target, pafs.LocalFileSystem(), fs)
    store = ObjectStore(f"s3://{bucket}/sources", s3_endpoint, fs)

    columns = ["day", "month", "year", "searchterm"]
    remote_csv = read_csv_s3(store.matching("searchterms", "*.csv"), columns)
    local_csv = files.read_csv(files.matching(local / "searchterms", "*.csv"), columns)
    assert _rows(remote_csv).equals(_rows(local_csv))

    fields = {"_id": "document_id", "product_id": "product_id", "type": "product_type"}
    remote_docs = read_documents_s3(store.matching("catalog", "*.jsonl"), fields, "rest", 50)
    local_docs = files.read_documents([local / softcart_files.CATALOG_FILE], fields, "rest", 50)
    assert _rows(remote_docs).equals(_rows(local_docs))

    logs = store.matching("weblogs", "*.log")
    newest = logs[-1].name
    assert [f.name for f in store.matching("weblogs", "*.log", since=newest)] == [newest]
    local_logs = files.matching(local / "weblogs", "*.log")
    assert _rows(read_access_logs_s3(logs, 500)).equals(
        _rows(files.read_access_logs(local_logs, 500))
    )


def test_unreadable_records_on_s3_are_quarantined_with_the_object_name(
    s3_endpoint: str, bucket: str
) -> None:
    store = ObjectStore(f"s3://{bucket}/in", s3_endpoint)
    fs = store.filesystem
    with fs.open_output_stream(store.key("a.csv")) as out:
        out.write(b"\xef\xbb\xbfa,b\n1,2\n3\n4,5\n")
    with fs.open_output_stream(store.key("b.jsonl")) as out:
        out.write(b'{"k": 1, "x": [1]}\n[1, 2]\n{broken\n')
    assert [f.name for f in store.matching("", "*")] == ["a.csv", "b.jsonl"]

    batches = list(read_csv_s3(store.matching("", "*.csv"), ["a", "b"]))
    assert _rows(iter(batches)).column("a").to_pylist() == ["1", "4"]
    bad = [r for b in batches for r in b.unreadable.to_pylist()]
    assert [b["record"] for b in bad] == ["3"]
    assert bad[0]["reason"].startswith("a.csv line ")
    assert bad[0]["reason"].endswith(": expected 2 fields, found 1")

    batches = list(read_documents_s3(store.matching("", "*.jsonl"), {"k": "k"}, "rest", 10))
    assert _rows(iter(batches)).to_pylist() == [{"k": "1", "rest": '{"x": [1]}'}]
    reasons = [r["reason"] for b in batches for r in b.unreadable.to_pylist()]
    assert reasons[0] == "b.jsonl line 2: not a JSON object"
    assert reasons[1].startswith("b.jsonl line 3: not valid JSON")

    with fs.open_output_stream(store.key("latin/c.txt")) as out:
        out.write("1;São Paulo\n2;Zürich\n".encode("latin-1"))
    latin = read_csv_s3(store.matching("latin", "*.txt"), ["id", "city"], header=False,
                        delimiter=";", encoding="latin-1")  # fmt: skip
    assert _rows(latin).column("city").to_pylist() == ["São Paulo", "Zürich"]

    with pytest.raises(ArmazemError, match="no objects under"):
        store.matching("nothing-here", "*.csv")


def _rows(reader) -> pa.Table:
    return pa.concat_tables([b.rows for b in reader])
