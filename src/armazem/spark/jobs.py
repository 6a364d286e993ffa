"""Spark jobs: functions from DataFrames to DataFrames, and what reads their input and writes
their output. A project names each job's input table in armazem.toml:

    [jobs.web_analytics]
    input = "weblogs.access_log"     # ip, time, path, bytes, user_agent, source_file, row_number

    [jobs.search_terms]
    input = "searchterms.searches"   # day, month, year, searchterm, source_file, row_number

    [jobs.forecast]
    query = "SELECT ... AS series, ... AS month, ... AS value FROM production...."

Inputs are read from the lake (every committed load of the table, a row once per key: a re-read
file or a load replayed after a crash holds rows already seen), or are a query's rows on the
warehouse (the published marts). Outputs are Parquet folders
under `<data_dir>/spark/<job>/<output>/`, replaced whole (written beside, then renamed), which a
project can declare as a `files` source with `format: parquet` to load them like any other.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from armazem.errors import ArmazemError
from armazem.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SESSION_GAP_SECONDS = 30 * 60  # a client idle this long starts a new session
BOT_AGENTS = r"(?i)(bot|crawl|spider|slurp|curl|wget|python-requests|httpclient|monitor)"
STATIC_PATHS = r"(?i)\.(js|css|png|jpe?g|gif|ico|svg|webp|woff2?|map)$"
RISING_WEEKS = 1  # rising terms: the last week against the one before


# --- web analytics ----------------------------------------------------------------------------


def sessions(requests: DataFrame, gap_seconds: int = SESSION_GAP_SECONDS) -> DataFrame:
    """One row per visit: a client's requests with no gap longer than `gap_seconds`.

    ip, session (1, 2, ... per client), started_at, ended_at, requests, pages (requests that are
    not static files), bytes, is_bounce (at most one page)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy("ip").orderBy("time", "source_file", "row_number")
    previous = F.lag("time").over(order)
    starts = F.when(
        previous.isNull() | ((F.unix_timestamp("time") - F.unix_timestamp(previous)) > gap_seconds),
        1,
    ).otherwise(0)
    numbered = requests.withColumn("_starts", starts).withColumn(
        "session", F.sum("_starts").over(order.rowsBetween(Window.unboundedPreceding, 0))
    )
    page = ~F.col("path").rlike(STATIC_PATHS)
    return (
        numbered.groupBy("ip", "session")
        .agg(
            F.min("time").alias("started_at"),
            F.max("time").alias("ended_at"),
            F.count(F.lit(1)).alias("requests"),
            F.sum(page.cast("int")).alias("pages"),
            F.coalesce(F.sum("bytes"), F.lit(0)).cast("long").alias("bytes"),
        )
        .withColumn("session", F.col("session").cast("int"))
        .withColumn("is_bounce", F.col("pages") <= 1)
    )


def daily_traffic(requests: DataFrame, visits: DataFrame) -> DataFrame:
    """One row per day: requests, bytes, bot requests and their share, sessions started, pages
    per session and bounce rate."""
    from pyspark.sql import functions as F

    bot = F.col("user_agent").rlike(BOT_AGENTS)
    traffic = requests.groupBy(F.to_date("time").alias("day")).agg(
        F.count(F.lit(1)).alias("requests"),
        F.coalesce(F.sum("bytes"), F.lit(0)).cast("long").alias("bytes"),
        F.sum(bot.cast("int")).cast("long").alias("bot_requests"),
    )
    started = visits.groupBy(F.to_date("started_at").alias("day")).agg(
        F.count(F.lit(1)).alias("sessions"),
        F.avg("pages").alias("pages_per_session"),
        F.avg(F.col("is_bounce").cast("double")).alias("bounce_rate"),
    )
    return (
        traffic.join(started, "day", "left")
        .withColumn("bot_share", F.col("bot_requests") / F.col("requests"))
        .fillna({"sessions": 0})
        .orderBy("day")
    )


def bot_agents(requests: DataFrame) -> DataFrame:
    """The share of all requests made by each bot user agent, largest first."""
    from pyspark.sql import functions as F

    total = requests.count() or 1
    return (
        requests.where(F.col("user_agent").rlike(BOT_AGENTS))
        .groupBy("user_agent")
        .agg(F.count(F.lit(1)).alias("requests"))
        .withColumn("share", F.col("requests") / F.lit(total))
        .orderBy(F.desc("requests"), "user_agent")
    )


# --- search terms -----------------------------------------------------------------------------


def search_days(searches: DataFrame) -> DataFrame:
    """day, searchterm, searches: how often each term was searched each day."""
    from pyspark.sql import functions as F

    day = F.make_date("year", "month", "day")
    return (
        searches.withColumn("searchterm", F.lower(F.trim("searchterm")))
        .groupBy(day.alias("day"), "searchterm")
        .agg(F.count(F.lit(1)).alias("searches"))
    )


def search_weeks(days: DataFrame) -> DataFrame:
    """week (its Monday), searchterm, searches."""
    from pyspark.sql import functions as F

    return days.groupBy(F.date_trunc("week", "day").cast("date").alias("week"), "searchterm").agg(
        F.sum("searches").cast("long").alias("searches")
    )


def rising_terms(weeks: DataFrame) -> DataFrame:
    """Terms of the latest week against the week before: searchterm, searches, previous, growth
    (searches / previous, null for a new term), most searched first."""
    from pyspark.sql import functions as F

    latest = weeks.agg(F.max("week")).first()[0]
    if latest is None:
        return weeks.limit(0).select("searchterm", "searches")
    this_week = weeks.where(F.col("week") == F.lit(latest)).select("searchterm", "searches")
    before = weeks.where(F.col("week") == F.date_sub(F.lit(latest), 7 * RISING_WEEKS)).select(
        "searchterm", F.col("searches").alias("previous")
    )
    return (
        this_week.join(before, "searchterm", "left")
        .fillna({"previous": 0})
        .withColumn(
            "growth",
            F.when(F.col("previous") > 0, F.col("searches") / F.col("previous")),
        )
        .withColumn("week", F.lit(latest).cast("date"))
        .orderBy(F.desc("searches"), "searchterm")
    )


# --- running a job ----------------------------------------------------------------------------


def web_analytics(spark: SparkSession, requests: DataFrame) -> dict[str, DataFrame]:
    visits = sessions(requests).cache()
    return {
        "sessions": visits,
        "daily": daily_traffic(requests, visits),
        "bot_agents": bot_agents(requests),
    }


def search_terms(spark: SparkSession, searches: DataFrame) -> dict[str, DataFrame]:
    days = search_days(searches).cache()
    weeks = search_weeks(days).cache()
    return {"days": days, "weeks": weeks, "rising": rising_terms(weeks)}


def monthly_forecast(spark: SparkSession, history: DataFrame) -> dict[str, DataFrame]:
    from armazem.spark.forecast import forecast

    return forecast(spark, history)


Job = Callable[["SparkSession", "DataFrame"], dict[str, "DataFrame"]]
JOBS: dict[str, Job] = {
    "web_analytics": web_analytics,
    "search_terms": search_terms,
    "forecast": monthly_forecast,
}


def run(settings: Settings, name: str) -> dict[str, int]:
    """Run a job on its input (a lake table, or a query on the warehouse); rows written per
    output."""
    from armazem import spark as spark_module
    from armazem.project import load_project

    config = _config(settings, name)
    query = config.get("query")
    if query:  # forgotten first: outputs half replaced must not pass for those of this input
        _input_record(settings, name).unlink(missing_ok=True)
        read = input_fingerprint(settings, query)  # the warehouse does not change meanwhile
    spark = spark_module.session(settings)
    if query:
        frame = read_warehouse(spark, settings, query)
    else:
        table = config["input"]
        source, _, table_name = table.partition(".")
        declared = load_project(settings).sources.get(source)
        if declared is None or table_name not in declared.tables:
            raise ArmazemError(f"the Spark job {name} reads {table}, which no source declares",
                               "correct its input in armazem.toml [jobs]")  # fmt: skip
        frame = read_lake(spark, settings, table, declared.tables[table_name].key)
    outputs = JOBS[name](spark, frame)
    written = {output: write(frame, output_dir(settings, name) / output) for output, frame in
               outputs.items()}  # fmt: skip
    if query:
        ran_at = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"input": read, "code": _code_version(), "outputs": written, "ran_at": ran_at}
        _input_record(settings, name).write_text(json.dumps(record) + "\n", encoding="utf-8")
    return written


def kept_outputs(settings: Settings, name: str) -> dict[str, int] | None:
    """The outputs of a job on a query (rows per output) if its last run read exactly the rows
    the query returns now, with this code: the job is deterministic, so running it again would
    write the same files. Also, when the job declares `refresh_days`, if its last run, of the
    same query, is younger than that: a model refitted weekly, not on every day's new rows.
    None when it must run: a lake job, a changed input or code, no record of a finished run, or
    an output gone."""
    config = _config(settings, name)
    query = config.get("query")
    path = _input_record(settings, name)
    if not query or not path.is_file():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    outputs: dict[str, int] = record.get("outputs") or {}
    folder = output_dir(settings, name)
    if record.get("code") != _code_version() or not all(
        (folder / output).is_dir() for output in outputs
    ):
        return None
    read, now = record.get("input") or [None], input_fingerprint(settings, query)
    if read == now:
        return outputs
    same_query = read[0] == now[0]
    return outputs if same_query and _younger(record.get("ran_at"), config) else None


def _younger(ran_at: str | None, config: dict[str, Any]) -> bool:
    """Whether a run at `ran_at` is younger than the job's `refresh_days` (none: never)."""
    days = config.get("refresh_days")
    if days is None or ran_at is None:
        return False
    return datetime.now(UTC) - datetime.fromisoformat(ran_at) < timedelta(days=days)


def input_fingerprint(settings: Settings, query: str) -> list[str]:
    """The query text's digest, its rows and the sum of a hash of each row, computed where the
    rows are (row order does not matter; any changed value changes the sum)."""
    from armazem.warehouse import open_warehouse

    if settings.warehouse_kind == "postgresql":
        digest = "coalesce(sum(('x' || left(md5(q::text), 15))::bit(60)::bigint), 0)"
    else:
        digest = "coalesce(sum(hash(q)::HUGEINT), 0)"
    try:
        found = open_warehouse(settings).query(f"SELECT count(*), {digest} FROM ({query}) q")
    except ArmazemError:
        raise
    except Exception as exc:  # the engine's own error class: the query is the project's
        raise ArmazemError(f"the query failed: {str(exc).splitlines()[0]}",
                           "correct the job's query in armazem.toml [jobs]") from None  # fmt: skip
    rows, total = found[0]
    return [hashlib.sha256(query.encode()).hexdigest(), str(rows), str(total)]


def _input_record(settings: Settings, name: str) -> Path:
    return output_dir(settings, name) / "_input.json"


def _code_version() -> str:
    """A digest of the jobs' code: a changed job is run again even on the same input."""
    from armazem.spark import forecast

    digest = hashlib.sha256()
    for module in (__file__, forecast.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def _config(settings: Settings, name: str) -> dict[str, str]:
    from armazem.project import load_project

    if name not in JOBS:
        raise ArmazemError(f"unknown Spark job {name!r}", f"use one of {', '.join(JOBS)}")
    config = load_project(settings).jobs.get(name, {})
    if not config.get("input") and not config.get("query"):
        raise ArmazemError(
            f"the project names no input for the Spark job {name}",
            f'add [jobs.{name}] input = "SOURCE.TABLE" (or query = "SELECT ...") to armazem.toml',
        )
    days = config.get("refresh_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int | float)
                             or days <= 0 or not config.get("query")):  # fmt: skip
        raise ArmazemError(
            f"[jobs.{name}] refresh_days is {days!r}: a positive number of days, for a job on a "
            "query",
            f"write e.g. refresh_days = 7 under [jobs.{name}], or remove it",
        )
    return config


def output_dir(settings: Settings, job: str) -> Path:
    return settings.data_path / "spark" / job


def lake_url(settings: Settings) -> str:
    """Where Spark reads the lake: an `hdfs://` lake_url as it is written (the cluster's Hadoop
    reads it), else the local lake as a `file://` URL. An `s3://` lake is read from its local
    working copy: pyspark ships no S3A connector (hadoop-aws)."""
    if settings.lake_url and settings.lake_url.startswith("hdfs://"):
        return settings.lake_url.rstrip("/")
    return settings.lake_path.as_uri()


def table_url(settings: Settings, table: str) -> str:
    """The lake folder of `source.table`, whose `load_id=*` folders hold its loads."""
    source, _, name = table.partition(".")
    return f"{lake_url(settings)}/raw/{source}/{name}"


def read_lake(
    spark: SparkSession, settings: Settings, table: str, key: list[str] | None = None
) -> DataFrame:
    """Every committed load of `source.table` in the lake, a row once per `key`."""
    folder = table_url(settings, table)
    loads = committed_files(spark, folder)
    if not loads:
        raise ArmazemError(
            f"the lake holds no load of {table} ({folder})", "run `armazem ingest` first"
        )
    frame = spark.read.parquet(*loads)
    return frame.dropDuplicates(list(key)) if key else frame


def committed_files(spark: SparkSession, folder: str) -> list[str]:
    """The data files (`part-*.parquet`) of the loads under `folder` that have a manifest, listed
    through Hadoop's FileSystem API, so the same code lists a local and an HDFS lake. A load
    without a manifest is still being published (or died publishing) and is not read."""
    from armazem.ingest.lake import MANIFEST

    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path  # type: ignore[union-attr]
    filesystem = hadoop_path(folder).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def listed(pattern: str) -> list[str]:
        found = filesystem.globStatus(hadoop_path(f"{folder}/{pattern}"))
        return sorted(str(status.getPath().toString()) for status in found or [])

    committed = {path.rsplit("/", 1)[0] for path in listed(f"load_id=*/{MANIFEST}")}
    return [path for path in listed("load_id=*/part-*.parquet")
            if path.rsplit("/", 1)[0] in committed]  # fmt: skip


def read_warehouse(spark: SparkSession, settings: Settings, query: str) -> DataFrame:
    """The rows of a query on the warehouse, as a Spark DataFrame: DuckDB's handed over as Arrow,
    PostgreSQL's read over JDBC."""
    if settings.warehouse_kind == "postgresql":
        return _jdbc(spark, settings, query)
    import duckdb

    path = settings.local_file(settings.warehouse_url)
    if path is None or not path.is_file():
        raise ArmazemError(f"warehouse {path} does not exist", "run `armazem run` first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        table = con.execute(query).to_arrow_table()
    except duckdb.Error as exc:
        raise ArmazemError(f"the query failed: {str(exc).splitlines()[0]}",
                           "correct the job's query in armazem.toml [jobs]") from None  # fmt: skip
    finally:
        con.close()
    return spark.createDataFrame(table.to_pandas())


def _jdbc(spark: SparkSession, settings: Settings, query: str) -> DataFrame:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(settings.warehouse_url)
    url = f"jdbc:postgresql://{parts.hostname}:{parts.port or 5432}/{parts.path.strip('/')}"
    return (
        spark.read.format("jdbc")
        .option("url", url)
        .option("driver", "org.postgresql.Driver")
        .option("user", unquote(parts.username or "postgres"))
        .option("password", unquote(parts.password or ""))
        .option("query", query)
        .load()
    )


def write(frame: DataFrame, target: Path) -> int:
    """Replace `target` with the frame's rows as Parquet; the number of rows. Timestamps are
    written as wall-clock (UTC) times without a zone, as the lake holds them, so a reader in any
    time zone reads the same values."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    frame = frame.select(*[
        F.col(f.name).cast("timestamp_ntz") if isinstance(f.dataType, TimestampType) else f.name
        for f in frame.schema.fields
    ])  # fmt: skip
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    # A file:// URL, not a bare path: on a Hadoop cluster a bare path would mean HDFS.
    frame.write.mode("overwrite").parquet(staging.as_uri())
    rows = frame.sparkSession.read.parquet(staging.as_uri()).count()
    old = target.with_name(f".{target.name}-old-{int(time.time())}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return rows
