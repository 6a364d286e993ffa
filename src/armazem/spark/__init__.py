"""Spark: one SparkSession from the settings, for jobs that outgrow one machine.

DuckDB is the laptop's engine; Spark is what a company grows into, so every job here runs on
`local[*]` and on any master (`spark://host:port`, `yarn`, `k8s://...`) by the `spark_master`
setting alone. The session binds to 127.0.0.1 unless the master is remote, has no web UI, and
carries the JDBC drivers the machine has (PostgreSQL, MariaDB), so jobs can read a warehouse.

Spark reads and writes through Hadoop's FileSystem API: `file://` paths here; `hdfs://` or
`s3a://` on a cluster that has those connectors.
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

    local = settings.spark_master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.appName(app)
        .master(settings.spark_master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG}")
        .config("spark.executor.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG}")
    )
    if local or settings.spark_master.startswith("spark://127.0.0.1"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    jars = [str(j) for j in JDBC_JARS if j.is_file()]
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
