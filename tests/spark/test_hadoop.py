"""Hadoop passthrough: `spark_master = "yarn"` and an `hdfs://` lake_url reach Spark unchanged.
No YARN or HDFS can run on these machines, so the session's options and the lake's paths are
checked as built, and the listing through Hadoop's FileSystem API runs on the `file://` lake."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from armazem import spark as spark_module
from armazem.ingest.lake import MANIFEST
from armazem.settings import Settings
from armazem.spark import jobs

HDFS_URL = "hdfs://namenode:8020/armazem/lake"


def test_yarn_gets_the_master_unchanged_and_no_loopback_binding(lake_settings: Settings) -> None:
    local = spark_module.options(lake_settings)
    assert local["spark.driver.bindAddress"] == local["spark.driver.host"] == "127.0.0.1"
    yarn = spark_module.options(lake_settings.model_copy(update={"spark_master": "yarn"}))
    assert "spark.driver.host" not in yarn and "spark.driver.bindAddress" not in yarn
    assert yarn["spark.sql.shuffle.partitions"] == str(lake_settings.spark_shuffle_partitions)


def test_an_hdfs_lake_is_where_spark_reads(lake_settings: Settings) -> None:
    on_hdfs = lake_settings.model_copy(update={"lake_url": HDFS_URL + "/"})
    assert jobs.lake_url(on_hdfs) == HDFS_URL
    assert jobs.table_url(on_hdfs, "weblogs.access_log") == f"{HDFS_URL}/raw/weblogs/access_log"
    local = lake_settings.lake_path.as_uri()
    assert jobs.lake_url(lake_settings) == local
    on_s3 = lake_settings.model_copy(update={"lake_url": "s3://bucket/lake"})
    assert jobs.lake_url(on_s3) == local  # no S3A connector: Spark reads the local copy


def test_the_lake_is_listed_through_hadoop_and_uncommitted_loads_are_not_read(
    lake_settings: Settings, spark: Any, tmp_path: Path
) -> None:
    settings = lake_settings.model_copy(update={"data_dir": tmp_path / "data"})
    table = Path("raw/weblogs/access_log")
    shutil.copytree(lake_settings.lake_path / table, settings.lake_path / table)
    loads = sorted((settings.lake_path / table).glob("load_id=*"))
    committed = jobs.committed_files(spark, jobs.table_url(settings, "weblogs.access_log"))
    assert len(committed) == len(loads) >= 2
    assert all(c.startswith("file:") and c.endswith("part-0.parquet") for c in committed)
    rows = jobs.read_lake(spark, settings, "weblogs.access_log").count()

    publishing = settings.lake_path / table / "load_id=zz-publishing"
    shutil.copytree(loads[0], publishing)
    (publishing / MANIFEST).unlink()  # its files arrived, its manifest not yet
    assert jobs.committed_files(spark, jobs.table_url(settings, "weblogs.access_log")) == committed
    assert jobs.read_lake(spark, settings, "weblogs.access_log").count() == rows
