"""The tasks of a project's DAG: thin wrappers that call the platform's step functions.

Each task reads the project's settings when it runs (ARMAZEM_* variables apply as for the CLI),
records its step in `_armazem.runs` under the Airflow run id, and returns a one-line summary.
A failed try is recorded by the callbacks (`retrying`, then `failed`), with the error's text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import Asset, task

from armazem.ingest.sources import Interval
from armazem.orchestrate.runner import Outcome, Runner
from armazem.settings import Settings, load_settings

_INTERVAL_RUNS = {"scheduled", "backfill"}


def ingest_task(root: str, project: str, source: str, table: str) -> Any:
    """The load of one declared table; its raw table is an Asset other DAGs can wait on."""
    raw = Asset(
        name=f"{project}.raw_{source}.{table}", uri=f"armazem://{project}/raw_{source}/{table}"
    )

    @task(task_id=table, outlets=[raw])
    def ingest(**context: Any) -> str:
        from armazem.orchestrate import steps

        settings = load_settings(root)
        interval = data_interval(context)
        return _run(settings, context, lambda: steps.load(settings, [f"{source}.{table}"],
                                                          interval=interval))  # fmt: skip

    return ingest()


def step_task(root: str, task_id: str, step: str, outlets: list[Any] | None = None) -> Any:
    """One of the platform's other steps, by its name in `armazem run`."""

    @task(task_id=task_id, outlets=outlets or [])
    def run_step(**context: Any) -> str:
        from armazem.orchestrate import steps

        settings = load_settings(root)
        interval = data_interval(context)
        actions: dict[str, Callable[[], Outcome]] = {
            "spark": lambda: steps.spark_jobs(settings),
            "transform": lambda: steps.build(settings, interval=interval),
            "spark on marts": lambda: steps.spark_jobs(settings, on_marts=True),
            "transform late": lambda: steps.build(settings, late=True, interval=interval),
            "audit": lambda: steps.audit_marts(settings),
            "publish": lambda: steps.publish_marts(settings, context["dag_run"].run_id),
            "publish copies": lambda: steps.copies(settings, context["dag_run"].run_id),
        }
        return _run(settings, context, actions[step])

    return run_step()


def data_interval(context: dict[str, Any]) -> Interval | None:
    """The run's data interval, for scheduled and backfilled runs (and manual runs whose conf
    asks for it); None: load from the watermarks, as `armazem run` does."""
    run = context["dag_run"]
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    run_type = getattr(run.run_type, "value", run.run_type)  # an enum in the task SDK
    wanted = run_type in _INTERVAL_RUNS or bool((run.conf or {}).get("data_interval"))
    if not wanted or start is None or end is None or start >= end:
        return None
    return Interval(start, end)


def _run(settings: Settings, context: dict[str, Any], action: Callable[[], Outcome]) -> str:
    """The step under the warehouse's writer lock, recorded in `_armazem.runs`."""
    from armazem.warehouse.lock import writer_lock

    started = _now()
    with writer_lock(settings, f"airflow {_step(context)}"):
        outcome = action()
    _runner(settings, context).record(_step(context), started, outcome.rows, "success", None)
    return outcome.detail


def record_failure(context: dict[str, Any]) -> None:
    """The last try failed."""
    _record_try(context, "failed")


def record_retry(context: dict[str, Any]) -> None:
    """A try failed and the task will be tried again."""
    _record_try(context, "retrying")


def _record_try(context: dict[str, Any], status: str) -> None:
    error = context.get("exception")
    try:
        settings = load_settings(context["params"]["project"])
        started = context["ti"].start_date
        started = started.astimezone(UTC).replace(tzinfo=None) if started else _now()
        _runner(settings, context).record(_step(context), started, None, status,
                                          str(error) if error else status)  # fmt: skip
    except Exception:  # a callback must not mask the task's own failure
        pass


def _runner(settings: Settings, context: dict[str, Any]) -> Runner:
    return Runner(settings, context["dag_run"].run_id)


def _step(context: dict[str, Any]) -> str:
    return str(context["ti"].task_id)


def _now() -> datetime:
    from armazem.warehouse.store import utcnow

    return utcnow()
