"""The disk under the lake fills up while an ingest writes it: the test mounts a small tmpfs as
the lake (it runs as root), so the table being written stops with one line, no part of its load
is visible (no load folder, no temporary one, no ledger row, no rows), every load that did commit
has a whole manifest whose files match it, and after space is freed the rerun loads every table
exactly once."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from tests.faults.process import armazem_env, one_error_line, run
from tests.softcart import SOURCES

from armazem.ingest.pipeline import ingest
from armazem.settings import Settings
from armazem.simulate import softcart

pytestmark = pytest.mark.services
SCALE = 0.01
SMALL = "600k"  # room for the first tables' loads, not for all of them


@pytest.fixture
def small_lake(settings: Settings) -> Iterator[Path]:
    """A tmpfs of SMALL bytes mounted as the lake; unmounted at the end."""
    lake = settings.lake_path
    lake.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SMALL}", "tmpfs", str(lake)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs at {lake} ({mounted.stderr.strip()}): this test needs "
            "root, or CAP_SYS_ADMIN in a container (docker run --cap-add SYS_ADMIN)"
        )
    try:
        yield lake
    finally:
        subprocess.run(["umount", "-l", str(lake)], check=False)


def committed_loads(lake: Path) -> dict[str, dict]:
    """Every committed load's manifest, after checking each file it names against it."""
    loads = {}
    for manifest in lake.glob("raw/*/*/load_id=*/_manifest.json"):
        document = json.loads(manifest.read_text())  # a whole, readable manifest
        for entry in document["files"]:
            data = (manifest.parent / entry["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], manifest
        loads[f"{document['source']}.{document['table_name']}"] = document
    return loads


def warehouse_tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        listed = con.execute("SELECT table_schema, table_name FROM information_schema.tables")
        present = {f"{schema}.{name}" for schema, name in listed.fetchall()}
        return {
            t.name: con.execute(f"SELECT * FROM raw_{t.source}.{t.table} ORDER BY ALL").fetchall()
            for t in SOURCES
            if f"raw_{t.source}.{t.table}" in present
        }


def test_a_full_disk_under_the_lake_loses_and_duplicates_nothing(
    settings: Settings, small_lake: Path
) -> None:
    company = settings.model_copy(update={"scale": SCALE})
    softcart.create(company)
    env = armazem_env(data_dir=company.data_path, scale=SCALE)
    full = run(env, "ingest", "--json")
    assert full.returncode == 2, full.stdout + full.stderr
    line = one_error_line(full.stdout + full.stderr)
    assert "no space left on its device" in line and "nothing of this load was committed" in line
    assert not list(small_lake.glob("raw/*/*/.tmp-*"))  # no partial load left behind
    committed = committed_loads(small_lake)
    stopped = line.removeprefix("error: ").split(" ", 1)[0]
    assert committed and stopped not in committed
    warehouse = company.data_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = dict(con.execute("SELECT source || '.' || table_name, rows_loaded "
                                  "FROM _armazem.loads").fetchall())  # fmt: skip
    assert ledger == {name: load["rows"] for name, load in committed.items()}
    assert stopped not in warehouse_tables(warehouse)

    subprocess.run(["mount", "-o", "remount,size=256m", str(small_lake)], check=True)
    rerun = run(env, "ingest", "--json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    clean = company.model_copy(
        update={"warehouse_url": f"duckdb:///{company.data_path}/clean.duckdb"}
    )
    ingest(clean, full_refresh=True)
    assert warehouse_tables(warehouse) == warehouse_tables(company.data_path / "clean.duckdb")
    assert set(committed_loads(small_lake)) == {t.name for t in SOURCES}
