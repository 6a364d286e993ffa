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


@dataclass
class StepResult:
    step: str
    rows: int
    seconds: float
    status: str = "success"
    detail: str = ""
    data: Any = field(default=None, repr=False)


class StepFailed(ArmazemError):
    """A step ran and refused to go on (a failed data test, say); earlier steps stand."""


class Runner:
    """Runs named steps in order, times them and writes one `_armazem.runs` row per step."""

    def __init__(self, settings: Settings, on_step: Callable[[StepResult], None] | None = None):
        self.settings = settings
        self.run_id = uuid.uuid4().hex[:12]
        self.results: list[StepResult] = []
        self.on_step = on_step

    def step(self, name: str, action: Callable[[], tuple[int, Any]], detail: str = "") -> Any:
        """Run `action` (which returns rows handled and any data) as the step `name`."""
        started_at, started = utcnow(), time.perf_counter()
        try:
            rows, data = action()
        except BaseException as exc:
            self._record(name, started_at, None, "failed", str(exc))
            raise
        result = StepResult(name, rows, round(time.perf_counter() - started, 2), detail=detail,
                            data=data)  # fmt: skip
        self.results.append(result)
        self._record(name, started_at, rows, "success", None)
        if self.on_step:
            self.on_step(result)
        return data

    def skip(self, name: str, why: str) -> None:
        result = StepResult(name, 0, 0.0, status="skipped", detail=why)
        self.results.append(result)
        if self.on_step:
            self.on_step(result)

    def _record(self, step: str, started_at, rows: int | None, status: str, error: str | None):
        try:
            open_warehouse(self.settings).record_run(
                self.run_id,
                {"step": step, "started_at": started_at, "ended_at": utcnow(), "rows": rows,
                 "status": status, "error": error},
            )  # fmt: skip
        except ArmazemError:
            if status == "success":
                raise
