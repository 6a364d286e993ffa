"""The SoftCart example project, as the tests use it."""

from __future__ import annotations

from pathlib import Path

from armazem.dashboard.pages import helper
from armazem.ingest.pipeline import ingest
from armazem.orchestrate import steps
from armazem.project import load_project
from armazem.project.tables import source_tables
from armazem.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
PROJECT_DIR = REPO / "examples" / "softcart"
CONFIG = PROJECT_DIR / "armazem.toml"
TRANSFORM_DIR = PROJECT_DIR / "transform"

_project = load_project(load_settings(CONFIG, "embedded"))
SOURCES = tuple(source_tables(_project))
CHECKS = _project.checks
PUBLISHED_PREFIXES = tuple(_project.section.publish)
PERSONAL = _project.section.personal
QUERIES = helper(PROJECT_DIR / "dashboards", "_queries")  # the SQL of its pages


def load_everything(settings: Settings) -> None:
    """What `armazem run` loads before dbt: every source, the Spark jobs, then their outputs."""
    ingest(settings)
    steps.spark_jobs(settings)
    ingest(settings, ["spark"])
