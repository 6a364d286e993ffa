"""The Spark jobs against DuckDB on the same data: sessions, daily traffic, search terms. The lake
holds the newest files twice (a re-read), so the jobs also prove they count a row once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import pytest
from tests.spark.conftest import warehouse

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.spark import jobs

GAP = jobs.SESSION_GAP_SECONDS


def duck(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse(settings)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_lake_read_counts_each_row_once(lake_settings: Settings, spark: Any) -> None:
    loads = list((lake_settings.lake_path / "raw" / "weblogs" / "access_log").glob("load_id=*"))
    assert len(loads) == 2  # the second load re-read the newest file
    key = ["source_file", "row_number"]
    requests = jobs.read_lake(spark, lake_settings, "weblogs.access_log", key)
    ((raw,),) = duck(lake_settings, "SELECT count(*) FROM raw_weblogs.access_log")
    assert requests.count() == raw > 0
    every = jobs.read_lake(spark, lake_settings, "weblogs.access_log")
    assert every.count() > raw  # without the key, the re-read rows would count twice


def test_sessions_and_daily_traffic_equal_duckdb(lake_settings: Settings, spark: Any) -> None:
    written = jobs.run(lake_settings, "web_analytics")
    out = jobs.output_dir(lake_settings, "web_analytics")
    visits = spark.read.parquet(str(out / "sessions"))
    expected = duck(
        lake_settings,
        f"""WITH marked AS (
              SELECT ip, time, bytes, path,
                     CASE WHEN lag(time) OVER w IS NULL
                            OR epoch(time) - epoch(lag(time) OVER w) > {GAP} THEN 1 ELSE 0 END
                       AS starts
              FROM raw_weblogs.access_log
              WINDOW w AS (PARTITION BY ip ORDER BY time, source_file, row_number)),
            numbered AS (
              SELECT *, sum(starts) OVER (PARTITION BY ip ORDER BY time ROWS UNBOUNDED PRECEDING)
                AS session FROM marked)
            SELECT ip, session::INTEGER, min(time), count(*), sum(bytes)::BIGINT
            FROM numbered GROUP BY ip, session ORDER BY ip, session""",
    )
    shown = sorted(
        (r["ip"], r["session"], r["started_at"], r["requests"], r["bytes"])
        for r in visits.collect()
    )
    assert written["sessions"] == len(expected) == len(shown) > 0
    assert shown == [tuple(r) for r in expected]

    daily = {r["day"]: r for r in spark.read.parquet(str(out / "daily")).collect()}
    by_day = duck(
        lake_settings,
        "SELECT CAST(time AS DATE), count(*), sum(bytes)::BIGINT FROM raw_weblogs.access_log "
        "GROUP BY 1 ORDER BY 1",
    )
    assert [(d, daily[d]["requests"], daily[d]["bytes"]) for d, _, _ in by_day] == by_day
    for row in daily.values():
        assert 0 <= row["bot_share"] <= 1 and 0 <= (row["bounce_rate"] or 0) <= 1
    assert sum(r["sessions"] for r in daily.values()) == len(expected)  # each starts on one day


def test_sessions_split_on_thirty_idle_minutes(spark: Any) -> None:
    at = [datetime(2021, 1, 1, 10, 0), datetime(2021, 1, 1, 10, 29),  # one visit
          datetime(2021, 1, 1, 11, 0), datetime(2021, 1, 1, 11, 0, 30)]  # fmt: skip
    rows = [("1.2.3.4", t, "/p" if i != 3 else "/app.js", 10, "Mozilla", "f", i)
            for i, t in enumerate(at)]  # fmt: skip
    frame = spark.createDataFrame(
        rows, "ip string, time timestamp, path string, bytes long, user_agent string, "
        "source_file string, row_number long",
    )  # fmt: skip
    visits = sorted(jobs.sessions(frame).collect(), key=lambda r: r["session"])
    assert [(r["session"], r["requests"], r["pages"], r["is_bounce"]) for r in visits] == [
        (1, 2, 2, False), (2, 2, 1, True),  # the second visit's app.js is not a page
    ]  # fmt: skip


def test_search_terms_equal_duckdb(lake_settings: Settings, spark: Any) -> None:
    jobs.run(lake_settings, "search_terms")
    out = jobs.output_dir(lake_settings, "search_terms")
    days = sorted(tuple(r) for r in spark.read.parquet(str(out / "days")).collect())
    expected = duck(
        lake_settings,
        "SELECT make_date(year, month, day), lower(trim(searchterm)), count(*) "
        "FROM raw_searchterms.searches GROUP BY ALL ORDER BY ALL",
    )
    assert days == [tuple(r) for r in expected]
    weeks = {(r["week"], r["searchterm"]): r["searches"]
             for r in spark.read.parquet(str(out / "weeks")).collect()}  # fmt: skip
    assert sum(weeks.values()) == sum(n for *_, n in expected)
    assert all(w.weekday() == 0 for w, _ in weeks)  # weeks start on Monday
    rising = spark.read.parquet(str(out / "rising")).collect()
    latest = max(w for w, _ in weeks)
    assert rising and all(r["week"] == latest for r in rising)
    for r in rising:
        assert r["searches"] == weeks[(latest, r["searchterm"])]
        before = weeks.get((date.fromordinal(latest.toordinal() - 7), r["searchterm"]), 0)
        assert r["previous"] == before


def test_a_job_without_input_says_how_to_get_it(lake_settings: Settings, tmp_path: Any) -> None:
    empty = lake_settings.model_copy(update={"data_dir": tmp_path})
    with pytest.raises(ArmazemError, match="run `armazem ingest` first"):
        jobs.run(empty, "web_analytics")
    with pytest.raises(ArmazemError, match="unknown Spark job 'nope'"):
        jobs.run(lake_settings, "nope")
