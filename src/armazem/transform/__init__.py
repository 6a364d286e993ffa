"""The transform step: the project's dbt project (`<project>/transform`), built in-process with
dbt's Python API.

`build` runs `dbt build` (models, snapshots and their tests, in dependency order) against the
warehouse the settings name: DuckDB for the embedded profile, PostgreSQL otherwise. The dbt
profile is the engine's (`profiles.yml` here, filled from the settings), so a project's
dbt_project.yml names `profile: armazem`. The dbt sources of the raw tables are generated from
the project's source declarations first (see `armazem.project.dbt_sources`). Everything dbt
writes (compiled SQL, run results, its log) goes under `<data_dir>/dbt`, never into the project.

Models build in the `staging` schema; the large facts there are incremental, so staging must
persist between builds. Snapshots (the history of customers and stock counts) build in
`SNAPSHOT_SCHEMA`, which must persist too and is never published. `freshness` runs
`dbt source freshness`, which `build` does not.

An orchestrator's run of a data interval passes it to the models as the dbt variables
`data_interval_start` and `data_interval_end` (naive UTC timestamps; unset on other runs), for
models that build only the window a run loaded.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from armazem.errors import ArmazemError
from armazem.ingest.sources import Interval
from armazem.settings import Settings, redact_url

PROFILES_DIR = Path(__file__).parent
PROFILE = "armazem"
# Where dbt keeps its snapshots: history that no rebuild can recreate (see dbt_project.yml).
SNAPSHOT_SCHEMA = "snapshots"

EventCallback = Callable[[str, str], None]
_FAILED = {"error", "fail", "runtime error"}
_FIX = {
    "duckdb": "stop other processes using the warehouse file (dashboard, armazem), then retry",
    "postgres": "check that PostgreSQL is up and warehouse_url (ARMAZEM_WAREHOUSE_URL) is right",
}


@dataclass(frozen=True)
class BuildResult:
    """What a build did. models, tests and snapshots count the nodes that ran (not those skipped
    because something upstream failed); failures are `node: message` for each node that failed."""

    success: bool
    models: int
    tests: int
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    snapshots: int = 0


def build(
    settings: Settings,
    on_event: EventCallback | None = None,
    full_refresh: bool = False,
    late: bool = False,
    interval: Interval | None = None,
) -> BuildResult:
    """Run `dbt build` on the settings' warehouse.

    `on_event(node_name, status)` is called as each model, snapshot or test finishes (status is
    dbt's: success, pass, warn, fail, error, skipped). A failed node does not raise: the result
    says so and lists them. A build that cannot start (bad connection, no warehouse yet) raises
    ArmazemError. `full_refresh` rebuilds the incremental models from scratch; snapshots are never
    rebuilt (they are the only record of past versions).

    Models on a source loaded `after: build` (outputs of jobs on the built marts, such as a
    forecast) wait for it: they are built with the rest once its raw tables exist, and `late`
    builds only them (and what follows them), after those tables have been loaded.
    """
    args = ["build", "--full-refresh"] if full_refresh else ["build"]
    args += _selection(settings, late)
    if interval is not None:
        start, end = interval.bounds
        args += ["--vars", json.dumps({"data_interval_start": start, "data_interval_end": end})]
    outcome, seconds = _invoke(settings, args, on_event)
    results = list(outcome.result.results)
    kinds = [str(r.node.resource_type) for r in results if str(r.status) != "skipped"]
    failures = [
        f"{r.node.name}: {_one_line(r.message)}" for r in results if str(r.status) in _FAILED
    ]
    return BuildResult(
        success=bool(outcome.success),
        models=kinds.count("model"),
        tests=kinds.count("test") + kinds.count("unit_test"),
        failures=failures,
        seconds=seconds,
        snapshots=kinds.count("snapshot"),
    )


def docs(settings: Settings) -> Path:
    """`dbt docs generate --static` under `<data_dir>/docs`: static_index.html is the whole
    site in one file (catalog and manifest inlined), beside index.html and its JSON files."""
    site = settings.data_path / "docs"
    _invoke(settings, ["docs", "generate", "--static"], target_path=site)
    return site


def freshness(settings: Settings) -> dict[str, str]:
    """Run `dbt source freshness`: `source.table` -> pass, warn, error (newest row older than the
    table's thresholds) or runtime error, for each raw table with a loaded_at_field (tables
    without a timestamp are not checked). Raises ArmazemError when dbt cannot start."""
    target = settings.data_path / "dbt" / "target"
    outcome, _ = _invoke(
        settings, ["source", "freshness", "--output", str(target / "sources.json")]
    )
    return {f"{r.node.source_name}.{r.node.name}": str(r.status) for r in outcome.result.results}


def _invoke(
    settings: Settings,
    command: list[str],
    on_event: EventCallback | None = None,
    target_path: Path | None = None,
) -> tuple[Any, float]:
    """Run a dbt command on the settings' warehouse; dbt's outcome and the seconds it took."""
    from dbt.cli.main import dbtRunner

    project_dir = prepare(settings)
    target, env = _connection(settings)
    output = settings.data_path / "dbt"
    args = [
        *command,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(PROFILES_DIR),
        "--target", target,
        "--target-path", str(target_path or output / "target"),
        "--log-path", str(output / "logs"),
        "--log-level", "none",  # progress goes to on_event, details to the log file
        "--log-level-file", "debug",
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
    ]  # fmt: skip
    callbacks = [_node_finished(on_event)] if on_event else []
    started = time.perf_counter()
    with _environment(env):
        try:
            outcome = dbtRunner(callbacks=callbacks).invoke(args)
        finally:
            if target == "duckdb":
                _close_duckdb()
    seconds = time.perf_counter() - started

    if outcome.exception is not None or outcome.result is None:
        verb = {"build": "build", "docs": "document"}.get(command[0], "check the freshness of")
        raise ArmazemError(
            f"dbt cannot {verb} the warehouse {_where(settings)}: {_one_line(outcome.exception)}",
            f"{_FIX[target]}; dbt's log is in {output / 'logs'}",
        )
    return outcome, seconds


def prepare(settings: Settings) -> Path:
    """The project's dbt folder, checked, with its generated sources up to date."""
    import yaml

    from armazem.project import dbt_sources, load_project

    project = load_project(settings)
    folder = project.transform_dir
    dbt_project = folder / "dbt_project.yml"
    if not dbt_project.is_file():
        raise ArmazemError(
            f"the project has no dbt project ({dbt_project} not found)",
            "create it with `dbt init` or copy the one `armazem init` writes",
        )
    with dbt_project.open(encoding="utf-8") as handle:
        profile = (yaml.safe_load(handle) or {}).get("profile")
    if profile != PROFILE:
        raise ArmazemError(
            f"{dbt_project} uses dbt profile {profile!r}",
            f"set `profile: {PROFILE}`: armazem fills that profile from its settings",
        )
    dbt_sources.write(project)
    return folder


def _selection(settings: Settings, late: bool) -> list[str]:
    """dbt selection arguments for the sources loaded after a stage of the run: their models are
    built once their raw tables exist (`late`: only the `after: build` ones). A source loaded
    `after: spark` must be there: say how to load it, before dbt fails on a missing table."""
    from armazem.project import load_project
    from armazem.project.dbt_sources import raw_schema
    from armazem.warehouse import open_warehouse

    sources = load_project(settings).sources
    after = {
        stage: [n for n, s in sources.items() if s.after == stage] for stage in ("spark", "build")
    }
    if late:
        return ["--select", *[f"source:{n}+" for n in after["build"]]] if after["build"] else []
    if not (after["spark"] or after["build"]):
        return []
    _connection(settings)  # a warehouse that does not exist yet is its own, clearer error
    schemas = {s for (s,) in open_warehouse(settings).query(
        "SELECT DISTINCT table_schema FROM information_schema.tables")}  # fmt: skip
    missing = [n for n in after["spark"] if raw_schema(n) not in schemas]
    if missing:
        raise ArmazemError(
            f"the models on source {missing[0]!r} need the Spark jobs' outputs, not loaded yet",
            f"run `armazem run`, or the jobs (`armazem spark JOB`) then `armazem ingest "
            f"{missing[0]}`",
        )
    waiting = [f"source:{n}+" for n in after["build"] if raw_schema(n) not in schemas]
    return ["--exclude", *waiting] if waiting else []


def _connection(settings: Settings) -> tuple[str, dict[str, str]]:
    """The profile target and the environment variables that profiles.yml reads."""
    if settings.warehouse_kind == "duckdb":
        path = settings.local_file(settings.warehouse_url)
        if path is None or not path.is_file():
            raise ArmazemError(
                f"warehouse {path} does not exist yet", "run `armazem ingest` to load it first"
            )
        return "duckdb", {"DBT_ARMAZEM_DUCKDB_PATH": str(path)}
    parts = urlsplit(settings.warehouse_url)
    dbname = parts.path.strip("/")
    if not dbname:
        raise ArmazemError(
            f"warehouse URL {redact_url(settings.warehouse_url)} names no database",
            "add one, e.g. postgresql://postgres@127.0.0.1:5432/armazem",
        )
    return "postgres", {
        "DBT_ARMAZEM_PG_HOST": parts.hostname or "127.0.0.1",
        "DBT_ARMAZEM_PG_PORT": str(parts.port or 5432),
        "DBT_ARMAZEM_PG_USER": unquote(parts.username or "postgres"),
        "DBT_ARMAZEM_PG_PASSWORD": unquote(parts.password or ""),
        "DBT_ARMAZEM_PG_DBNAME": unquote(dbname),
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set the variables profiles.yml reads, for the build only."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _close_duckdb() -> None:
    """Close the database dbt-duckdb keeps open after a run.

    dbt-duckdb holds its DuckDB instance in a class attribute for the life of the process, so the
    warehouse file would stay locked against other processes (the dashboard) and against
    connections with another configuration (read-only) in this one.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()


def _node_finished(on_event: EventCallback) -> Callable[[Any], None]:
    def callback(event: Any) -> None:
        if event.info.name == "NodeFinished":
            node = event.data.node_info
            on_event(node.node_name, node.node_status)

    return callback


def _where(settings: Settings) -> str:
    if settings.warehouse_kind == "duckdb":
        return str(settings.local_file(settings.warehouse_url))
    return redact_url(settings.warehouse_url)


def _one_line(value: object, limit: int = 300) -> str:
    """dbt's multi-line messages ("Database Error\\n  connection to ...") as one line."""
    lines = [" ".join(line.split()) for line in str(value or "").splitlines() if line.strip()]
    text = f"{lines[0]}: {' '.join(lines[1:])}" if len(lines) > 1 else "".join(lines)
    return (text[: limit - 1] + "…" if len(text) > limit else text) or "unknown error"
