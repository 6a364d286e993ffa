"""`python -m bench [NAME ...]`: run the named benchmarks (all by default)."""

from __future__ import annotations

import sys

from bench import (
    airflow_dags,
    ingest_peers,
    ingest_process,
    pages,
    platform_run,
    spark_web,
    transform_incremental,
)

BENCHMARKS = {
    "platform_run": platform_run.main,
    "ingest_peers": ingest_peers.main,
    "ingest_process": ingest_process.main,
    "transform_incremental": transform_incremental.main,
    "spark_web": spark_web.main,
    "airflow_dags": airflow_dags.main,
    "pages": pages.main,
}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {unknown[0]!r}: choose from {', '.join(BENCHMARKS)}")
    for name in chosen:
        BENCHMARKS[name]()
