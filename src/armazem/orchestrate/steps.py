"""The platform's steps, each a plain function the CLI, the runner and Airflow can call alike."""

from __future__ import annotations

from collections.abc import Callable

from armazem import transform
from armazem.ingest.pipeline import RowsCallback, ingest
from armazem.ingest.sources import Interval, SourceTable
from armazem.orchestrate.runner import Outcome, Runner, StepFailed
from armazem.project import load_project
from armazem.project.simulator import Progress, serving
from armazem.project.simulator import load as simulator
from armazem.settings import Settings, redact_url
from armazem.warehouse import open_warehouse
from armazem.warehouse.audit import audit
from armazem.warehouse.publish import publish


def simulate(settings: Settings, progress: Progress | None = None) -> Outcome:
    """Write the systems of the project's simulated company from scratch."""
    written = simulator(load_project(settings).section.simulator).create(settings, progress)
    detail = f"{sum(written.values()):,} rows in {len(written)} tables, seed {settings.seed}"
    return Outcome(sum(written.values()), detail, written)


def advance(settings: Settings, days: int, progress: Progress | None = None) -> Outcome:
    """Move the project's simulated company forward by whole days."""
    changes = simulator(load_project(settings).section.simulator).advance(settings, days, progress)
    return Outcome(None, f"{days} day(s)", changes)


def load(
    settings: Settings,
    names: list[str] | None = None,
    on_start: Callable[[SourceTable], None] | None = None,
    on_rows: RowsCallback | None = None,
    full_refresh: bool = False,
    interval: Interval | None = None,
) -> Outcome:
    """Ingest the named sources or tables (all but the late ones by default): from their
    watermarks, or the data `interval` of the dated ones (see armazem.ingest.pipeline); the
    simulator's servers, if it has any, run meanwhile."""
    with serving(settings, load_project(settings).section.simulator) as served:
        results = ingest(served, names, on_start, on_rows, full_refresh, interval)
    quarantined = sum(r.quarantined for r in results)
    detail = f"{len(results)} tables, {quarantined:,} rows quarantined"
    return Outcome(sum(r.read for r in results), detail, results)


def spark_jobs(settings: Settings, on_marts: bool = False, reuse: bool = False) -> Outcome:
    """The project's Spark jobs that read the lake, or (`on_marts`) those that query the built
    marts. `reuse`: a job on the marts whose query returns the very rows its last run read, or
    whose last run is younger than its `refresh_days`, keeps its outputs instead of running
    again (see jobs.kept_outputs)."""
    from armazem.spark import jobs

    kind = "query" if on_marts else "input"
    names = [n for n, job in load_project(settings).jobs.items() if job.get(kind)]
    written: dict[str, int] = {}
    kept = []
    for name in names:
        outputs = jobs.kept_outputs(settings, name) if reuse else None
        if outputs is None:
            outputs = jobs.run(settings, name)
        else:
            kept.append(name)
        written.update({f"{name}.{output}": rows for output, rows in outputs.items()})
    detail = f"{len(names) - len(kept)} job(s) on {settings.spark_master}"
    if kept:
        detail += f"; kept (input unchanged or refreshed recently): {', '.join(kept)}"
    return Outcome(sum(written.values()), detail, written)


def build(
    settings: Settings,
    on_event: Callable[[str, str], None] | None = None,
    full_refresh: bool = False,
    late: bool = False,
    interval: Interval | None = None,
) -> Outcome:
    """dbt build (models and their tests) in the staging schema; raises if any node failed.
    `late`: only the models on the outputs of jobs on the built marts (see transform.build);
    `interval`: the run's data interval, given to the models as dbt variables."""
    result = transform.build(settings, on_event, full_refresh, late, interval)
    if not result.success:
        shown = "; ".join(result.failures[:3])
        raise StepFailed(
            f"{len(result.failures)} model(s) or test(s) failed, "
            f"production left as it was: {shown}",
            f"see {settings.data_path / 'dbt' / 'logs'} and fix the data or the model",
        )
    return Outcome(None, f"{result.models} models, {result.tests} tests passed", result)


def audit_marts(settings: Settings) -> Outcome:
    """Reconcile the built marts with the raw data (the project's `[[audit]]` checks); refuse
    to go on if anything is off."""
    checks = load_project(settings).checks
    failures = audit(open_warehouse(settings), checks)
    if failures:
        raise StepFailed(
            f"{len(failures)} reconciliation check(s) failed, production left as it was: "
            + " | ".join(str(f) for f in failures[:3]),
            "fix the source rows shown (or the model), then run `armazem transform` again",
        )
    return Outcome(None, f"{len(checks)} reconciliation checks passed")


def publish_marts(settings: Settings, run_id: str = "") -> Outcome:
    """The audited marts to production (the BI role's relations recreated in the same
    transaction), on the warehouse or, with `production_url`, on that server."""
    section = load_project(settings).section
    published = publish(open_warehouse(settings), tuple(section.publish), run_id,
                         section.personal, settings.production_url, settings.pseudonym,
                         section.privacy)  # fmt: skip
    where = f" on {redact_url(settings.production_url)}" if settings.production_url else ""
    return Outcome(sum(published.values()), f"{len(published)} marts to production{where}",
                   published)  # fmt: skip


# --- published copies (issue 14): Parquet files and MongoDB documents, after the warehouse publish


def copies(settings: Settings, run_id: str = "") -> Outcome:
    """Production also as the files and documents the project declares in `[published]`."""
    from armazem.warehouse.publish_copies import publish_copies as write

    done = write(settings, run_id)
    detail = "; ".join(f"{store}: {', '.join(rows)}" for store, rows in done.items())
    return Outcome(sum(sum(rows.values()) for rows in done.values()), detail, done)


def publish_copies(runner: Runner) -> None:
    """The step `publish copies` after `publish`, when the project declares any."""
    from armazem.warehouse.publish_copies import declared

    if declared(runner.settings).declared:
        runner.step("publish copies", lambda: copies(runner.settings, runner.run_id))


# ---


def run_all(
    runner: Runner,
    resimulate: bool = False,
    simulate_progress: Progress | None = None,
    on_table: Callable[[SourceTable], None] | None = None,
    on_rows: RowsCallback | None = None,
    on_node: Callable[[str, str], None] | None = None,
) -> None:
    """simulate (if the project has a simulator and its company does not exist yet) → ingest →
    spark and the ingest of its outputs (if a source is loaded `after: spark`) → transform →
    audit → publish."""
    settings = runner.settings
    project = load_project(settings)
    project.sources  # noqa: B018 - a bad declaration fails before any work
    with open_warehouse(settings).connect():  # an unreachable warehouse fails before any work
        pass
    simulated = False
    if project.section.simulator is None:
        runner.skip("simulate", "the project's sources are real systems")
    elif resimulate or not simulator(project.section.simulator).exists(settings):
        runner.step("simulate", lambda: simulate(settings, simulate_progress))
        simulated = True
    else:
        runner.skip("simulate", "sources exist; pass --resimulate to regenerate them")
    # A company simulated afresh replaces the old one: what was loaded from it goes too.
    runner.step("ingest", lambda: load(settings, None, on_table, on_rows, simulated))
    after_spark = [name for name, source in project.sources.items() if source.after == "spark"]
    if after_spark:
        runner.step("spark", lambda: spark_jobs(settings))
        runner.step("ingest spark", lambda: load(settings, after_spark, on_table, on_rows))
    transform_and_publish(runner, on_table, on_rows, on_node)


def transform_and_publish(
    runner: Runner,
    on_table: Callable[[SourceTable], None] | None = None,
    on_rows: RowsCallback | None = None,
    on_node: Callable[[str, str], None] | None = None,
    full_refresh: bool = False,
) -> None:
    """transform → the jobs on the built marts, the ingest of their outputs and the late build
    (if a source is loaded `after: build`) → audit → publish."""
    settings = runner.settings
    runner.step("transform", lambda: build(settings, on_node, full_refresh))
    project = load_project(settings)
    after_build = [name for name, source in project.sources.items() if source.after == "build"]
    if after_build:
        # A rebuild runs them all again; otherwise a job whose input is unchanged is not rerun.
        runner.step("spark on marts", lambda: spark_jobs(settings, True, not full_refresh))
        runner.step("ingest late", lambda: load(settings, after_build, on_table, on_rows))
        runner.step("transform late", lambda: build(settings, on_node, full_refresh, late=True))
    runner.step("audit", lambda: audit_marts(settings))
    runner.step("publish", lambda: publish_marts(settings, runner.run_id))
    publish_copies(runner)
