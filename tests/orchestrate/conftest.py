"""Airflow reads its configuration when it is imported: the tests that import it in this
process share one Airflow home, made before any import."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="armazem-airflow-"))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
