"""Airflow DAGs generated from projects: one DAG per project, built from its declarations.

    ingest_<source>.<table>  one task per declared table, grouped per source
    spark → ingest_<source>  the Spark jobs on the lake, then the sources loaded after them
    transform                dbt build in the staging schema
    spark_on_marts → ingest_<source> → transform_late   jobs on the built marts, their outputs
    audit → publish          reconciliation, then the copy to production

Every task calls the same step function as `armazem run` (armazem.orchestrate.steps), so a
pipeline behaves the same whichever orchestrator runs it. dbt runs as one task per stage, not
one per model: dbt's fixed cost is paid once per build, the build stays one transactional
write-audit-publish unit, and dbt's own graph orders the ~300 models and tests.

One writer at a time: every task holds the warehouse's writer lock (armazem.warehouse.lock), as
`armazem run` does, and the tasks of a project take turns through an Airflow pool of one slot,
`armazem_<project>` (`armazem airflow` creates it; elsewhere: `airflow pools set
armazem_<project> 1 "..."`), so they queue instead of failing on each other's lock, even across
the runs of a backfill. A task that finds the lock taken by another process (a `armazem run` by
hand) fails with the holder named and is retried with back-off.

A scheduled or backfilled run loads its data interval (see armazem.ingest.pipeline) and hands it
to dbt; a manual run (the REST API's trigger, `dag.test`) loads from the watermarks, as
`armazem run` does, unless its conf says `{"data_interval": true}`.

Parsing reads files only (the project's armazem.toml, sources/*.yml and model names): no
database, no network. Heavy imports wait for the tasks.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from armazem.errors import ArmazemError
from armazem.project import Project, load_project
from armazem.project.published import load_published
from armazem.settings import load_settings

PROJECTS_VARIABLE = "ARMAZEM_PROJECTS"  # project folders, separated by os.pathsep
DAG_PREFIX = "armazem_"


def pool_name(project: Project) -> str:
    """The one-slot Airflow pool the project's tasks take turns through."""
    return f"{DAG_PREFIX}{project.name}"


def project_dags(folders: list[Path] | None = None) -> dict[str, Any]:
    """The DAG of each project (by default those named in $ARMAZEM_PROJECTS, else
    $ARMAZEM_PROJECT), by DAG id: what a DAG file puts in its globals."""
    if folders is None:
        named = os.environ.get(PROJECTS_VARIABLE) or os.environ.get("ARMAZEM_PROJECT", "")
        folders = [Path(p) for p in named.split(os.pathsep) if p]
    dags = {}
    for folder in folders:
        dag = platform_dag(folder)
        dags[dag.dag_id] = dag
    return dags


def platform_dag(folder: Path) -> Any:
    """The DAG of the project in `folder`."""
    from airflow.sdk import DAG, TaskGroup
    from airflow.timetables.interval import CronDataIntervalTimetable

    from armazem.orchestrate.airflow import tasks

    settings = load_settings(folder)
    project = load_project(settings)
    schedule = project.schedule
    root = str(project.root)
    default_args = {
        "pool": pool_name(project),
        "owner": project.section.owner,
        "retries": schedule.retries,
        "retry_delay": timedelta(seconds=schedule.retry_delay),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(hours=1),
        "on_failure_callback": tasks.record_failure,
        "on_retry_callback": tasks.record_retry,
    }
    start = datetime.combine(schedule.start_date, datetime.min.time(), UTC)
    with DAG(
        dag_id=f"{DAG_PREFIX}{project.name}",
        description=project.section.description or f"the {project.name} data platform",
        schedule=CronDataIntervalTimetable(schedule.cron, timezone="UTC"),
        start_date=start,
        catchup=schedule.catchup,
        default_args=default_args,
        tags=["armazem", *project.section.tags],
        max_active_runs=1,  # scheduled runs one after the other (see the pool for the rest)
        params={"project": root},
        doc_md=__doc__,
    ) as dag:

        def ingest(stage: str | None) -> list[Any]:
            loads = []
            for source, tables in _sources(project, stage).items():
                with TaskGroup(group_id=f"ingest_{source}"):
                    loads += [tasks.ingest_task(root, project.name, source, t) for t in tables]
            return loads

        def step(task_id: str, name: str, outlets: list[Any] | None = None) -> list[Any]:
            return [tasks.step_task(root, task_id, name, outlets)]

        stages = [ingest(None)]
        if _sources(project, "spark"):
            stages += [step("spark", "spark"), ingest("spark")]
        stages.append(step("transform", "transform"))
        if _sources(project, "build"):
            stages += [step("spark_on_marts", "spark on marts"), ingest("build"),
                       step("transform_late", "transform late")]  # fmt: skip
        stages += [step("audit", "audit"), step("publish", "publish", marts(project))]
        if load_published(project.root).declared:
            stages.append(step("publish_copies", "publish copies"))
        stages = [s for s in stages if s]
        for upstream, downstream in itertools.pairwise(stages):
            for task_ in upstream:
                task_ >> downstream
    return dag


def _sources(project: Project, stage: str | None) -> dict[str, list[str]]:
    return {
        name: list(source.tables)
        for name, source in project.sources.items()
        if source.after == stage
    }


def marts(project: Project) -> list[Any]:
    """The Assets of the marts a publish updates: the dbt models whose names have a publish
    prefix, read from the model files' names."""
    from airflow.sdk import Asset

    models = sorted({p.stem for p in (project.transform_dir / "models").rglob("*.sql")})
    prefixes = tuple(project.section.publish)
    return [
        Asset(name=f"{project.name}.production.{m}", uri=f"armazem://{project.name}/production/{m}")
        for m in models
        if m.startswith(prefixes)
    ]


def check_installed() -> None:
    """Airflow is an extra: say how to get it rather than fail on an import."""
    try:
        import airflow  # noqa: F401
    except ImportError:
        raise ArmazemError(
            "Apache Airflow is not installed",
            "pip install 'armazem[airflow]' (make test installs it)",
        ) from None
