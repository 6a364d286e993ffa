"""The example's notebooks, executed top to bottom on a small published warehouse (their cells
assert what they show), and `armazem notebook` serving JupyterLab rooted at the project."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from tests.softcart import PROJECT_DIR

from armazem.settings import Settings

NOTEBOOKS = sorted((PROJECT_DIR / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_runs_on_the_published_warehouse(
    path: Path, published: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("ARMAZEM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARMAZEM_DATA_DIR", str(published.data_path))
    monkeypatch.setenv("ARMAZEM_SPARK_MASTER", "local[1]")
    monkeypatch.setenv("ARMAZEM_SPARK_SHUFFLE_PARTITIONS", "2")
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert notebook.cells[-1].outputs, "the last cell shows its result"


def test_armazem_notebook_serves_jupyterlab_in_the_project(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"JUPYTER_TOKEN": "test-token", "ARMAZEM_DATA_DIR": str(tmp_path),
                "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
                "JUPYTER_CONFIG_DIR": str(tmp_path / "config")})  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "armazem", "notebook", "--port", str(port)], cwd=PROJECT_DIR,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/contents/notebooks?token=test-token"
    try:
        deadline, listing = time.monotonic() + 90, None
        while time.monotonic() < deadline and listing is None:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    listing = json.load(answer)
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab never answered"
        assert {c["name"] for c in listing["content"]} >= {p.name for p in NOTEBOOKS}
        with pytest.raises(urllib.error.HTTPError):  # no token, no access
            urllib.request.urlopen(url.split("?")[0], timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=30)
