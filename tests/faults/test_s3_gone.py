"""The S3 endpoint (moto_server) killed -9 while a load is being copied to it (its data files
uploaded, its manifest not yet): the local lake and the warehouse take every load all the same,
the loads the endpoint missed are marked not yet copied, the ingest ends with one line saying
so, and the next ingest (the endpoint back, empty: moto keeps objects in memory) copies them."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import duckdb
import pyarrow.fs as pafs
import pytest
from tests.faults.process import armazem_env, one_error_line, resume, run, start, wait_until_stopped
from tests.servers import children, moto_server
from tests.softcart import SOURCES

from armazem.ingest.lake import MANIFEST
from armazem.ingest.pipeline import ingest
from armazem.ingest.remote_lake import NOT_COPIED, RemoteLake
from armazem.settings import Settings
from armazem.simulate import softcart

pytestmark = pytest.mark.services
SCALE = 0.005
BUCKET = "lake"
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_REGION": "us-east-1"}  # fmt: skip


def create_bucket(endpoint: str) -> None:
    pafs.S3FileSystem(
        access_key="testing", secret_key="testing", region="us-east-1",
        endpoint_override=endpoint.removeprefix("http://"), scheme="http",
        allow_bucket_creation=True,
    ).create_dir(BUCKET)  # fmt: skip


def kill_moto(endpoint: str) -> None:
    port = endpoint.rsplit(":", 1)[1]
    for pid in children(os.getpid()):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"-p" in command and port.encode() in command:
            os.kill(pid, signal.SIGKILL)
            return
    raise AssertionError(f"no moto_server on port {port} among this test's processes")


def local_loads(lake: Path) -> dict[str, Path]:
    """Table name -> its committed local load folder (one per table here), manifest whole."""
    loads = {}
    for manifest in lake.glob(f"raw/*/*/load_id=*/{MANIFEST}"):
        document = json.loads(manifest.read_text())
        loads[f"{document['source']}.{document['table_name']}"] = manifest.parent
    return loads


def raw_tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t.name: con.execute(f"SELECT * FROM raw_{t.source}.{t.table} ORDER BY ALL")
                .fetchall() for t in SOURCES}  # fmt: skip


def test_the_endpoint_gone_mid_copy_then_the_next_run_copies_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    company = settings.model_copy(update={"scale": SCALE})
    softcart.create(company)
    names = [t.name for t in SOURCES]
    with moto_server(tmp_path) as endpoint:
        create_bucket(endpoint)
        env = armazem_env(data_dir=company.data_path, scale=SCALE, s3_endpoint_url=endpoint,
                          lake_url=f"s3://{BUCKET}/lake")  # fmt: skip
        copying = start(env, "ingest", "--json", failpoint="s3-before-manifest:3:stop")
        wait_until_stopped(copying)
        kill_moto(endpoint)
        code, output = resume(copying)
    assert code == 2, output
    line = one_error_line(output)
    missed = len(names) - 2  # the first two tables were copied before the endpoint died
    assert f"{missed} load(s) are in the local lake and the warehouse but not yet copied" in line

    loads = local_loads(company.lake_path)
    assert set(loads) == set(names)  # the local lake is intact: every load, manifest whole
    marked = sorted(n for n, folder in loads.items() if (folder / NOT_COPIED).exists())
    assert marked == sorted(names[2:])
    warehouse = company.data_path / "warehouse.duckdb"
    clean = company.model_copy(
        update={"warehouse_url": f"duckdb:///{company.data_path}/clean.duckdb",
                "lake_url": None}
    )  # fmt: skip
    ingest(clean, full_refresh=True)
    assert raw_tables(warehouse) == raw_tables(company.data_path / "clean.duckdb")

    with moto_server(tmp_path) as endpoint:  # back, on another port, with nothing in it
        create_bucket(endpoint)
        env["ARMAZEM_S3_ENDPOINT_URL"] = endpoint
        rerun = run(env, "ingest", "--json")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        remote = RemoteLake(f"s3://{BUCKET}/lake", endpoint)
        for name in marked:
            source, table = name.split(".")
            load_id = loads[name].name.removeprefix("load_id=")
            assert load_id in remote.committed_loads(source, table), name
            assert not (loads[name] / NOT_COPIED).exists()
    assert raw_tables(warehouse) == raw_tables(company.data_path / "clean.duckdb")
