"""The in-process runner: the platform's steps in order, each timed and recorded in
`_armazem.runs`. On a laptop this is the orchestrator; in production Airflow runs the same steps.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.warehouse import open_warehouse
from armazem.warehouse.store import utcnow


@dataclass(frozen=True)
class Outcome:
    """What a step returns: rows it handled (None when rows are not its unit), a one-line
    summary, and any data for the caller."""

    rows: int | None
    detail: str = ""
    data: Any = field(default=None, repr=False)


@dataclass
class StepResult:
    step: str
    rows: int | None
    seconds: float
    status: str = "success"
    detail: str = ""


class StepFailed(ArmazemError):
    """A step ran and refused to go on (a failed data test, say); earlier steps stand."""


class Runner:
    """Runs named steps in order, times them and writes one `_armazem.runs` row per step."""

    def __init__(self, settings: Settings, run_id: str | None = None) -> None:
        self.settings = settings
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.results: list[StepResult] = []

    def step(self, name: str, action: Callable[[], Outcome]) -> Any:
        """Run `action` as the step `name`; returns the outcome's data."""
        started_at, started = utcnow(), time.perf_counter()
        try:
            outcome = action()
        except BaseException as exc:
            self.record(name, started_at, None, "failed", str(exc))
            raise
        seconds = round(time.perf_counter() - started, 2)
        result = StepResult(name, outcome.rows, seconds, detail=outcome.detail)
        self.results.append(result)
        self.record(name, started_at, outcome.rows, "success", None)
        return outcome.data

    def skip(self, name: str, why: str) -> None:
        self.results.append(StepResult(name, None, 0.0, status="skipped", detail=why))

    def record(self, step: str, started_at, rows: int | None, status: str, error: str | None):
        """One `_armazem.runs` row; a failure to write it only matters for a success."""
        try:
            open_warehouse(self.settings).record_run(
                self.run_id,
                {"step": step, "started_at": started_at, "ended_at": utcnow(), "rows": rows,
                 "status": status, "error": error},
            )  # fmt: skip
        except ArmazemError:
            if status == "success":
                raise
