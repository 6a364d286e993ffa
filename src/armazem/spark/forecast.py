"""A monthly forecast with Spark ML: for each series (say, revenue of one product category), a
linear regression on a trend and the month of the year, its error measured on the last months
held out, then refitted on all months to forecast the next ones with an interval.

The input is the project's own SQL on the published marts (`[jobs.forecast] query`), returning
`series`, `month` (a date, the month's first day) and `value`. It runs on the warehouse the
settings name: DuckDB on the embedded profile (its rows handed to Spark), PostgreSQL over JDBC.

Outputs, in `data/spark/forecast/`:
- `forecast`: series, month, actual (null ahead), predicted, lower, upper, is_forecast;
- `errors`: series, months, holdout_months, mae, rmse, mape (on the held-out months; null for
  a series too short to forecast: a year and the held-out months are needed).
The interval is the prediction plus or minus 1.96 times the held-out RMSE: an honest,
out-of-sample width.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.ml.regression import LinearRegression
    from pyspark.sql import DataFrame, SparkSession

FORECAST_SCHEMA = (
    "series string, month date, actual double, predicted double, lower double, upper double, "
    "is_forecast boolean"
)
HORIZON = 12  # months forecast
HOLDOUT = 6  # months held out to measure the error
Z = 1.96  # a 95 % interval if errors were normal
DIGITS = 2  # figures are rounded to the cent


def _add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def features(frame: DataFrame, start: date) -> DataFrame:
    """`t` (months since `start`) and one indicator per month of the year but January."""
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as F

    t = F.months_between("month", F.lit(start)).cast("double")
    with_t = frame.withColumn("t", t)
    for m in range(2, 13):
        with_t = with_t.withColumn(f"m{m}", (F.month("month") == m).cast("double"))
    columns = ["t", *[f"m{m}" for m in range(2, 13)]]
    return VectorAssembler(inputCols=columns, outputCol="features").transform(with_t)


def series(rows: DataFrame, name: str) -> DataFrame:
    """One series' rows in one partition, in month order. Spark ML adds up floats in the order
    of the rows within a partition and of the partitions as their tasks finish; the warehouse
    hands rows over in any order (a parallel GROUP BY). One partition in month order makes a
    rerun bit-identical, whatever order and partitioning the input came in."""
    from pyspark.sql import functions as F

    return rows.where(F.col("series") == name).coalesce(1).sortWithinPartitions("month")


def model() -> LinearRegression:
    """Ordinary least squares, solved exactly (normal equations), no regularisation."""
    from pyspark.ml.regression import LinearRegression

    return LinearRegression(featuresCol="features", labelCol="value", regParam=0.0,
                            solver="normal")  # fmt: skip


def forecast(
    spark: SparkSession, history: DataFrame, horizon: int = HORIZON, holdout: int = HOLDOUT
) -> dict[str, DataFrame]:
    """The forecast and the held-out errors of every series in `history` (series, month,
    value)."""
    from pyspark.sql import functions as F

    rows = history.select("series", "month", F.col("value").cast("double").alias("value"))
    names = [r["series"] for r in rows.select("series").distinct().orderBy("series").collect()]
    out, errors = [], []
    for name in names:
        one = series(rows, name)
        months = sorted(r["month"] for r in one.select("month").collect())
        if len(months) < holdout + 13:  # a year of seasonality and a trend, plus the holdout
            errors.append((name, len(months), holdout, None, None, None))  # too short: no forecast
            continue
        start, cut = months[0], months[-holdout]
        data = features(one, start).cache()
        held = model().fit(data.where(F.col("month") < F.lit(cut)))
        tested = held.transform(data.where(F.col("month") >= F.lit(cut)))
        error = tested.select(
            F.avg(F.abs(F.col("prediction") - F.col("value"))).alias("mae"),
            F.sqrt(F.avg((F.col("prediction") - F.col("value")) ** 2)).alias("rmse"),
            F.avg(F.abs(F.col("prediction") - F.col("value")) / F.abs(F.col("value"))).alias(
                "mape"
            ),
        ).first()
        errors.append((name, len(months), holdout, round(error["mae"], DIGITS),
                       round(error["rmse"], DIGITS), round(error["mape"], 6)))  # fmt: skip
        full = model().fit(data)
        ahead = spark.createDataFrame(
            [(name, _add_months(months[-1], k), None) for k in range(1, horizon + 1)],
            "series string, month date, value double",
        )
        both = data.drop("features", "t", *[f"m{m}" for m in range(2, 13)]).unionByName(ahead)
        predicted = full.transform(features(both, start))
        width = Z * error["rmse"]
        out.append(
            predicted.select(
                "series",
                "month",
                F.col("value").alias("actual"),
                F.round("prediction", DIGITS).alias("predicted"),
                F.round(F.col("prediction") - width, DIGITS).alias("lower"),
                F.round(F.col("prediction") + width, DIGITS).alias("upper"),
                F.col("value").isNull().alias("is_forecast"),
            )
        )
    result = spark.createDataFrame([], FORECAST_SCHEMA)
    for frame in out:
        result = result.unionByName(frame)
    schema = "series string, months int, holdout_months int, mae double, rmse double, mape double"
    return {"forecast": result.orderBy("series", "month"),
            "errors": spark.createDataFrame(errors, schema)}  # fmt: skip
