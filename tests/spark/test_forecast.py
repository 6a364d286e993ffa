"""The Spark ML forecast: exact on a series that is a trend plus a yearly pattern, and on the
SoftCart marts equal to ordinary least squares computed independently with numpy."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from armazem.orchestrate import steps
from armazem.project import load_project
from armazem.settings import Settings
from armazem.spark import forecast as monthly
from armazem.spark import jobs
from armazem.spark.jobs import read_warehouse

PATTERN = [0, 3, 9, 4, -2, 5, 7, 1, -4, 6, 12, 20]  # a year's shape


def month(k: int) -> date:
    return date(2019 + k // 12, k % 12 + 1, 1)


def test_a_trend_and_a_season_are_forecast_exactly(spark: Any) -> None:
    rows = [("a", month(k), 100.0 + 5 * k + PATTERN[k % 12]) for k in range(36)]
    history = spark.createDataFrame(rows, "series string, month date, value double")
    result = monthly.forecast(spark, history, horizon=12, holdout=6)
    (error,) = result["errors"].collect()
    assert error["holdout_months"] == 6 and error["rmse"] == pytest.approx(0, abs=1e-6)
    ahead = [r for r in result["forecast"].collect() if r["is_forecast"]]
    assert [r["month"] for r in ahead] == [month(k) for k in range(36, 48)]
    for k, r in zip(range(36, 48), ahead, strict=True):
        assert r["predicted"] == pytest.approx(100 + 5 * k + PATTERN[k % 12], rel=1e-6)
        assert r["actual"] is None and r["lower"] <= r["predicted"] <= r["upper"]


def test_a_series_too_short_is_listed_not_forecast(spark: Any) -> None:
    rows = [("short", month(k), float(k)) for k in range(12)]
    rows += [("long", month(k), 10.0 + k) for k in range(24)]
    history = spark.createDataFrame(rows, "series string, month date, value double")
    result = monthly.forecast(spark, history)
    errors = {r["series"]: r for r in result["errors"].collect()}
    assert errors["short"]["months"] == 12 and errors["short"]["rmse"] is None
    assert errors["long"]["rmse"] == pytest.approx(0, abs=1e-6)
    assert {r["series"] for r in result["forecast"].collect()} == {"long"}


def test_the_same_history_in_any_order_gives_a_bit_identical_forecast(spark: Any) -> None:
    """Without one partition in month order, these orders gave as many different fits."""
    rng = random.Random(5)
    rows = [("a", month(k), round(rng.uniform(1e5, 9e5), 2)) for k in range(40)]
    rows += [("b", month(k), round(rng.uniform(1e3, 9e3), 2)) for k in range(30)]
    fits, forecasts = set(), set()
    for trial in range(4):
        shuffled = rows[:]
        random.Random(trial).shuffle(shuffled)
        history = spark.createDataFrame(
            shuffled, "series string, month date, value double"
        ).repartition(1 + trial % 3)
        fitted = monthly.model().fit(monthly.features(monthly.series(history, "a"), month(0)))
        fits.add((fitted.intercept, *fitted.coefficients.toArray().tolist()))
        if trial >= 2:
            continue  # the whole forecast is slower: two orders of it
        result = monthly.forecast(spark, history)
        forecasts.add(tuple(tuple(r) for k in ("forecast", "errors") for r in
                            result[k].orderBy(*result[k].columns[:2]).collect()))  # fmt: skip
    assert len(fits) == 1, "the fit depends on the order of the rows"
    assert len(forecasts) == 1, "the forecast depends on the order of the rows"


def design(months: list[date]) -> np.ndarray:
    start = months[0]
    t = [(m.year - start.year) * 12 + m.month - start.month for m in months]
    seasons = [[1.0 if m.month == k else 0.0 for k in range(2, 13)] for m in months]
    return np.column_stack([np.ones(len(months)), t, np.array(seasons)])


@pytest.mark.slow
def test_the_softcart_forecast_equals_least_squares(spark: Any, published: Settings) -> None:
    settings = published
    query = load_project(settings).jobs["forecast"]["query"]
    history = read_warehouse(spark, settings, query)
    result = monthly.forecast(spark, history)
    con = duckdb.connect(str(settings.local_file(settings.warehouse_url)), read_only=True)
    rows = con.execute(query + " ORDER BY 1, 2").fetchall()
    con.close()
    errors = {r["series"]: r for r in result["errors"].collect()}
    assert set(errors) == {s for s, _, _ in rows} and len(errors) == 5
    for name in errors:
        points = [(m, float(v)) for s, m, v in rows if s == name]
        x, y = design([m for m, _ in points]), np.array([v for _, v in points])
        train = len(points) - monthly.HOLDOUT
        beta, *_ = np.linalg.lstsq(x[:train], y[:train], rcond=None)
        rmse = float(np.sqrt(np.mean((x[train:] @ beta - y[train:]) ** 2)))
        assert errors[name]["rmse"] == pytest.approx(rmse, abs=0.005)  # to the cent


@pytest.mark.slow
def test_a_forecast_on_unchanged_marts_is_kept_not_run_again(
    published: Settings, tmp_path: Path
) -> None:
    """The run recorded what the forecast read; the same rows keep its outputs, and any change
    to them (once its last run is older than its `refresh_days`), to the outputs or to the
    job's code makes it run again."""
    folder = jobs.output_dir(published, "forecast")
    kept = jobs.kept_outputs(published, "forecast")
    assert kept is not None and set(kept) == {"forecast", "errors"} and kept["forecast"] > 0
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}
    outcome = steps.spark_jobs(published, on_marts=True, reuse=True)
    assert outcome.detail.endswith("kept (input unchanged or refreshed recently): forecast")
    assert outcome.data == {f"forecast.{name}": rows for name, rows in kept.items()}
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.parquet")} == before

    copy = published.model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(published.data_path, copy.data_path, ignore=shutil.ignore_patterns("mongo"))
    assert jobs.kept_outputs(copy, "forecast") == kept
    con = duckdb.connect(str(copy.local_file(copy.warehouse_url)))
    con.execute(  # one cent on one completed sale: a different history to forecast
        "UPDATE staging.fct_sales SET amount = amount + 0.01 WHERE order_line_id = "
        "(SELECT min(order_line_id) FROM staging.fct_sales WHERE NOT is_cancelled)"
    )
    con.close()
    record = jobs.output_dir(copy, "forecast") / "_input.json"
    assert load_project(copy).jobs["forecast"]["refresh_days"] == 7
    assert jobs.kept_outputs(copy, "forecast") == kept  # refitted weekly: not a week old yet
    written = json.loads(record.read_text())
    week_ago = datetime.fromisoformat(written["ran_at"]) - timedelta(days=7, seconds=1)
    record.write_text(json.dumps(written | {"ran_at": week_ago.isoformat()}))
    assert jobs.kept_outputs(copy, "forecast") is None
    another_query = written | {"input": ["another query", *written["input"][1:]]}
    record.write_text(json.dumps(another_query))  # a changed query runs however young the run
    assert jobs.kept_outputs(copy, "forecast") is None

    shutil.copy(folder / "_input.json", record)
    shutil.copy(published.local_file(published.warehouse_url), copy.local_file(copy.warehouse_url))
    assert jobs.kept_outputs(copy, "forecast") == kept
    changed = json.loads(record.read_text()) | {"code": "another version of the job"}
    record.write_text(json.dumps(changed))
    assert jobs.kept_outputs(copy, "forecast") is None
    shutil.copy(folder / "_input.json", record)
    shutil.rmtree(jobs.output_dir(copy, "forecast") / "errors")
    assert jobs.kept_outputs(copy, "forecast") is None
