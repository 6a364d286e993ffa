"""Capstone module 6 against an independent computation: DuckDB over the same CSV, and the
model's own coefficients read from its Parquet file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from tests.softcart import PROJECT_DIR

from armazem.capstone import spark as capstone_spark
from armazem.errors import ArmazemError
from armazem.settings import Settings

pytestmark = pytest.mark.usefixtures("spark")  # the test run's one SparkSession


def test_the_capstone_figures_equal_an_independent_computation(
    lake_settings: Settings, tmp_path: Path
) -> None:
    folder = lake_settings.capstone_path / "softcart-spark"
    result = capstone_spark.run(lake_settings)
    con = duckdb.connect()
    terms = f"read_csv('{folder / 'searchterms.csv'}', header = true)"
    (rows,) = con.execute(f"SELECT count(*) FROM {terms}").fetchone()
    columns = len(con.execute(f"DESCRIBE SELECT * FROM {terms}").fetchall())
    (gaming,) = con.execute(
        f"SELECT count(*) FROM {terms} WHERE searchterm = 'gaming laptop'"
    ).fetchone()
    top5 = con.execute(
        f"SELECT searchterm, count(*) AS n FROM {terms} GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5"
    ).fetchall()
    with tarfile.open(folder / "model.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    (data,) = (tmp_path / "sales_prediction.model" / "data").glob("*.parquet")
    (model,) = pq.read_table(data).to_pylist()
    predicted = model["intercept"] + model["coefficients"]["values"][0] * 2023
    assert result == {
        "rows": rows,
        "columns": columns,
        "searchterm_type": "string",
        "gaming_laptop": gaming,
        "top5": [[term, n] for term, n in top5],
        "predicted_2023": pytest.approx(predicted, abs=1e-6),
    }
    assert (rows, columns) == (10_000, 4) and 170 < predicted < 180  # the lab's own numbers


def test_the_command_prints_exactly_one_json_object(lake_settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    done = subprocess.run(
        [sys.executable, "-m", "armazem", "capstone", "spark", "--json"], cwd=PROJECT_DIR,
        env={**env, "ARMAZEM_DATA_DIR": str(lake_settings.data_path),
             "ARMAZEM_SPARK_MASTER": "local[1]"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert set(json.loads(line)) == {"rows", "columns", "searchterm_type", "gaming_laptop",
                                     "top5", "predicted_2023"}  # fmt: skip


def test_a_missing_capstone_folder_says_where_to_point(
    lake_settings: Settings, tmp_path: Any
) -> None:
    elsewhere = lake_settings.model_copy(update={"capstone_dir": tmp_path})
    with pytest.raises(ArmazemError, match="ARMAZEM_CAPSTONE_DIR"):
        capstone_spark.run(elsewhere)
