"""Capstone module 6: search terms and a sales forecast with Spark, on the real files in
`softcart-spark/`.

`searchterms.csv` (day, month, year, searchterm, with a BOM) is loaded into a Spark DataFrame;
`model.tar.gz` holds a LinearRegressionModel saved by Spark 2.4.3 (sales by year: one feature,
the year), which Spark 4 still loads. The figures:

- `rows`, `columns`: the DataFrame's shape;
- `searchterm_type`: Spark's simple type name of the `searchterm` column;
- `gaming_laptop`: how many times "gaming laptop" was searched;
- `top5`: the five most searched terms as [term, count], most first (ties by term);
- `predicted_2023`: the sales the model predicts for 2023.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from armazem.capstone import capstone_file
from armazem.errors import ArmazemError
from armazem.settings import Settings

FOLDER = "softcart-spark"
TERMS = f"{FOLDER}/searchterms.csv"
MODEL = f"{FOLDER}/model.tar.gz"
MODEL_DIR = "sales_prediction.model"
TERM = "gaming laptop"
YEAR = 2023


def run(settings: Settings) -> dict[str, Any]:
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import LinearRegressionModel
    from pyspark.sql import functions as F

    from armazem import spark as spark_module

    terms, archive = capstone_file(settings, TERMS), capstone_file(settings, MODEL)
    spark = spark_module.session(settings, "armazem-capstone-spark")
    # The header's BOM is the file's encoding, not part of the first column's name.
    frame = spark.read.options(header=True, inferSchema=True, encoding="UTF-8").csv(str(terms))
    frame = frame.toDF(*[c.lstrip("\ufeff") for c in frame.columns])
    if "searchterm" not in frame.columns:
        raise ArmazemError(f"{terms} has no searchterm column ({', '.join(frame.columns)})",
                           "use the capstone's searchterms.csv")  # fmt: skip
    counts = frame.groupBy("searchterm").count()
    top5 = counts.orderBy(F.desc("count"), "searchterm").limit(5).collect()
    model = LinearRegressionModel.load(str(_unpacked(settings, archive)))
    year = spark.createDataFrame([(Vectors.dense([YEAR]),)], ["features"])
    predicted = model.transform(year).first()["prediction"]
    return {
        "rows": frame.count(),
        "columns": len(frame.columns),
        "searchterm_type": frame.schema["searchterm"].dataType.simpleString(),
        "gaming_laptop": frame.where(F.col("searchterm") == TERM).count(),
        "top5": [[row["searchterm"], row["count"]] for row in top5],
        "predicted_2023": round(float(predicted), 6),
    }


def _unpacked(settings: Settings, archive: Path) -> Path:
    """The model folder, extracted under the data directory (only its own files)."""
    target = settings.data_path / "capstone" / "spark-model"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    model = target / MODEL_DIR
    if not (model / "metadata").is_dir():
        raise ArmazemError(f"{archive} holds no {MODEL_DIR}/", "use the capstone's model.tar.gz")
    return model
