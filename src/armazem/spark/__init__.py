"""Spark: one SparkSession from the settings, for jobs that outgrow one machine.

DuckDB is the laptop's engine; Spark is what a company grows into, so every job here runs on
`local[*]` and on any master (`spark://host:port`, `yarn`, `k8s://...`) by the `spark_master`
setting alone. The session binds to 127.0.0.1 unless the master is remote, has no web UI, and
carries the JDBC drivers the machine has (PostgreSQL, MariaDB), so jobs can read a warehouse.

Spark reads the lake through Hadoop's FileSystem API (`jobs.lake_url`): the local lake as
`file://` here, an `hdfs://` lake_url as it is written on a Hadoop cluster.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from armazem.errors import ArmazemError
from armazem.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# JDBC drivers from Debian's libpostgresql-jdbc-java and libmariadb-java.
JDBC_JARS = (
    Path("/usr/share/java/postgresql.jar"),
    Path("/usr/share/java/mariadb-java-client.jar"),
)
INSTALL = "pip install 'armazem[spark]', and Java 17: apt-get install openjdk-17-jre-headless"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def check_installed() -> None:
    if importlib.util.find_spec("pyspark") is None:
        raise ArmazemError("Spark jobs need pyspark, which is not installed", INSTALL)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ArmazemError("Spark needs Java, which is not on this machine", INSTALL)


def session(settings: Settings, app: str = "armazem") -> SparkSession:
    """The process's SparkSession for these settings (created once, then shared)."""
    check_installed()
    from pyspark.sql import SparkSession

    if settings.spark_master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app).master(settings.spark_master)
    for key, value in options(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def options(settings: Settings) -> dict[str, str]:
    """The session's configuration for these settings. The master passes through unchanged
    (`yarn` finds its cluster in HADOOP_CONF_DIR); the driver binds to 127.0.0.1 only when its
    executors run on this machine."""
    config = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG}",
        "spark.executor.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG}",
    }
    master = settings.spark_master
    if master.startswith("local") or master.startswith("spark://127.0.0.1"):
        config["spark.driver.host"] = config["spark.driver.bindAddress"] = "127.0.0.1"
    jars = [str(j) for j in JDBC_JARS if j.is_file()]
    if jars:
        config["spark.jars"] = ",".join(jars)
    return config
