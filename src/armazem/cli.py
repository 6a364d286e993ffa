"""The `armazem` command line: thin wrappers that turn options into settings, call the
platform's steps and show progress. A user error prints one line and exits 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from armazem.errors import ArmazemError
from armazem.settings import Settings, load_settings
from armazem.warehouse.lock import writer_lock

console = Console(stderr=True)
out = Console()


class _App(typer.Typer):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ArmazemError as exc:
            console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            sys.exit(2)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]")
            sys.exit(130)


app = _App(
    help="armazem: a data platform in a box. `armazem run` does everything on this laptop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ProfileOption = Annotated[
    str | None, typer.Option("--profile", "-p", help="settings profile (default: embedded)")
]
ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project", "-P",
        help="the project folder (default: the nearest armazem.toml, upward from here)",
    ),
]  # fmt: skip
JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
SeedOption = Annotated[int | None, typer.Option(help="random seed: same seed, same company")]
ScaleOption = Annotated[float | None, typer.Option(help="size; 1.0 is ~1 million order lines")]


@app.callback()
def main(ctx: typer.Context, profile: ProfileOption = None, project: ProjectOption = None) -> None:
    ctx.obj = {"profile": profile, "config": project}


def _settings(ctx: typer.Context, **overrides: Any) -> Settings:
    return load_settings(ctx.obj["config"], ctx.obj["profile"], **overrides)


@app.command()
def simulate(
    ctx: typer.Context,
    seed: SeedOption = None,
    scale: ScaleOption = None,
    advance: Annotated[
        int | None, typer.Option(help="move the existing company forward by DAYS")
    ] = None,
) -> None:
    """Write the operational systems of the project's simulated company."""
    from armazem.orchestrate import steps
    from armazem.project import load_project

    settings = _settings(ctx, seed=seed, scale=scale)
    name = load_project(settings).name
    with _spinner() as progress:
        task = progress.add_task("simulating", total=None)

        def report(name: str, rows: int) -> None:
            progress.update(task, description=f"{name}: {rows:,} rows")

        if advance is not None:
            changes = steps.advance(settings, advance, report).data
        else:
            changes = steps.simulate(settings, report).data
    _print_mapping(f"{name} " + ("advanced" if advance else "simulated"), changes)


@app.command()
def ingest(
    ctx: typer.Context,
    tables: Annotated[
        list[str] | None, typer.Argument(help="SOURCE or SOURCE.TABLE; all when omitted")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="read everything again and replace, ignoring watermarks")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Extract sources into the lake and the warehouse's raw tables (incrementally where a table
    has a cursor)."""
    from armazem.orchestrate import steps

    settings = _settings(ctx)
    with writer_lock(settings, "ingest"), _table_progress(quiet=as_json) as (on_table, on_rows):
        results = steps.load(settings, tables, on_table, on_rows, full_refresh).data
    if as_json:
        out.print_json(json.dumps({"loads": [r.as_dict() for r in results]}))
        return
    table = Table("table", "mode", "read", "loaded", "quarantined", "deleted", "seconds",
                  title="ingest")  # fmt: skip
    for r in results:
        table.add_row(r.table, r.mode, f"{r.read:,}", f"{r.loaded:,}", f"{r.quarantined:,}",
                      f"{r.deleted:,}", f"{r.seconds}")  # fmt: skip
    out.print(table)


@app.command()
def transform(
    ctx: typer.Context,
    full_refresh: Annotated[
        bool, typer.Option(help="rebuild incremental models from scratch (snapshots are kept)")
    ] = False,
) -> None:
    """Build and test the dbt models in staging, reconcile them with the raw data, and only
    then publish the marts to production."""
    from armazem.orchestrate import steps
    from armazem.orchestrate.runner import Runner

    runner = Runner(_settings(ctx))
    with (
        writer_lock(runner.settings, "transform"),
        _table_progress() as (on_table, on_rows),
        _node_progress() as on_node,
    ):
        steps.transform_and_publish(runner, on_table, on_rows, on_node, full_refresh)
    _print_steps(runner)


@app.command()
def docs(ctx: typer.Context) -> None:
    """Generate the dbt documentation site (models, columns, tests, lineage) as static files."""
    from armazem import transform

    site = transform.docs(_settings(ctx))
    out.print(f"documentation: {site / 'static_index.html'} (one self-contained page)")


@app.command()
def publish(
    ctx: typer.Context,
    show_status: Annotated[
        bool, typer.Option("--status", help="show what production holds, and stop")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Audit the marts built in staging and publish them to production (or, with --status, show
    when production was built and from which loads)."""
    from armazem.orchestrate import steps
    from armazem.orchestrate.runner import Runner
    from armazem.warehouse import open_warehouse
    from armazem.warehouse.publish import last_publication

    settings = _settings(ctx)
    if not show_status:
        runner = Runner(settings)
        with writer_lock(settings, "publish"):
            runner.step("audit", lambda: steps.audit_marts(settings))
            runner.step("publish", lambda: steps.publish_marts(settings, runner.run_id))
            steps.publish_copies(runner)
        _print_steps(runner)
        return
    publication = last_publication(open_warehouse(settings))
    if publication is None:
        raise ArmazemError("production has never been published", "run `armazem run`")
    if as_json:
        out.print_json(json.dumps(publication))
        return
    out.print(f"production published {publication['published_at']} by run {publication['run_id']}")
    tables = Table("table", "rows", title="production")
    for name, rows in publication["tables"].items():
        tables.add_row(name, f"{rows:,}")
    out.print(tables)
    loads = Table("raw table", "load id", title="built from")
    for name, load_id in publication["loads"].items():
        loads.add_row(name, load_id)
    out.print(loads)


@app.command()
def run(
    ctx: typer.Context,
    seed: SeedOption = None,
    scale: ScaleOption = None,
    resimulate: Annotated[
        bool, typer.Option(help="regenerate the company even if its systems exist")
    ] = False,
) -> None:
    """Run the whole platform: simulate, ingest, transform, publish."""
    from armazem.orchestrate import steps
    from armazem.orchestrate.runner import Runner

    settings = _settings(ctx, seed=seed, scale=scale)
    runner = Runner(settings)
    with writer_lock(settings, "run"):
        console.print(
            f"armazem run [bold]{runner.run_id}[/]: profile {settings.profile}, "
            f"seed {settings.seed}, scale {settings.scale}"
        )
        with (
            _spinner() as sim,
            _table_progress() as (on_table, on_rows),
            _node_progress() as on_node,
        ):
            task = sim.add_task("simulate", total=None)
            steps.run_all(
                runner,
                resimulate=resimulate or seed is not None or scale is not None,
                simulate_progress=lambda name, rows: sim.update(
                    task, description=f"{name}: {rows:,}"
                ),
                on_table=on_table,
                on_rows=on_rows,
                on_node=on_node,
            )
    _print_steps(runner)


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """What the warehouse holds (every table and its rows), the last runs, and where each
    publication went (warehouse, files, documents) and when."""
    from armazem.warehouse import open_warehouse
    from armazem.warehouse.publish_copies import publications

    settings = _settings(ctx)
    report = open_warehouse(settings).status()
    report["publications"] = publications(settings)
    if as_json:
        out.print_json(json.dumps(report))
        return
    tables = Table("table", "rows", title="warehouse")
    for name, info in report["tables"].items():
        tables.add_row(name, f"{info['rows']:,}")
    out.print(tables)
    runs = Table("run", "step", "started", "rows", "status", title="last runs")
    for r in report["runs"][:12]:
        runs.add_row(
            r["run_id"], r["step"], r["started_at"][:19], str(r["rows"] or ""), r["status"]
        )
    out.print(runs)
    where = Table("store", "where", "publication", "published (UTC)", "rows", title="publications")
    for p in report["publications"]:
        unit = "collections" if p["store"] == "documents" else "tables"
        rows = f"{sum(p['rows'].values()):,} in {len(p['rows'])} {unit}"
        where.add_row(p["store"], p["target"], p["publication"], p["published_at"][:19], rows)
    out.print(where)


@app.command()
def capstone(
    ctx: typer.Context,
    module: Annotated[str, typer.Argument(help="capstone module, e.g. oltp or warehouse")],
    as_json: JsonOption = False,
) -> None:
    """Run a SoftCart capstone module on the real data in ../shared/capstone."""
    from armazem.capstone import MODULES

    if module not in MODULES:
        raise ArmazemError(
            f"unknown capstone module {module!r}", f"use one of {', '.join(MODULES)}"
        )
    settings = _settings(ctx)
    if as_json:
        result = MODULES[module](settings)
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        return
    with _spinner() as progress:
        progress.add_task(f"capstone {module}", total=None)
        result = MODULES[module](settings)
    _print_mapping(f"capstone {module}", result)


@app.command()
def spark(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="web_analytics, search_terms, or cluster")],
    action: Annotated[str | None, typer.Argument(help="for cluster: start, stop or status")] = None,
    master: Annotated[
        str | None, typer.Option(help="Spark master (default: the spark_master setting)")
    ] = None,
    port: Annotated[int, typer.Option(help="cluster: the master's port")] = 7077,
    webui_port: Annotated[int, typer.Option(help="cluster: the master's web UI port")] = 8080,
    workers: Annotated[int, typer.Option(help="cluster: workers to start")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Run a Spark job on the lake (outputs in data/spark/JOB/ as Parquet), or start, stop or
    show a standalone cluster on 127.0.0.1 (`armazem spark cluster start`)."""
    from armazem.spark import cluster as standalone
    from armazem.spark import jobs

    settings = _settings(ctx, spark_master=master)
    if job == "cluster":
        where = standalone.cluster(settings, port, webui_port)
        if action == "start":
            result: dict[str, Any] = standalone.start(where, workers)
        elif action == "stop":
            result = {"stopped": standalone.stop(where)}
        elif action == "status":
            result = standalone.status(where) or {"master": "not running"}
        else:
            raise ArmazemError(f"unknown cluster action {action!r}", "use start, stop or status")
    elif as_json:
        result = jobs.run(settings, job)
    else:
        with _spinner() as progress:
            progress.add_task(f"spark {job} on {settings.spark_master}", total=None)
            result = jobs.run(settings, job)
    if as_json:
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        return
    _print_mapping(f"spark {job} {action or ''}".strip(), result)


@app.command()
def notebook(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="port to listen on")] = 8888,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    hub: Annotated[bool, typer.Option("--hub", help="JupyterHub for a team (armazem.hub)")] = False,
) -> None:
    """Start JupyterLab in the project, with the warehouse and Spark ready (armazem.notebook);
    with --hub, a JupyterHub where each member of a team gets their own JupyterLab."""
    from armazem import notebook as lab
    from armazem.settings import find_config

    settings = _settings(ctx)
    config = find_config(ctx.obj["config"])
    if config is None:
        raise ArmazemError("no armazem project here", "pass --project DIR or `armazem init DIR`")
    if hub:
        from armazem import hub as team_hub

        keys = team_hub.passwords(team_hub.hub_dir(settings))
        console.print(f"JupyterHub on http://{host}:{port} in {config.parent}; Ctrl-C stops it")
        console.print(f"admin login: {team_hub.ADMIN} / {keys.admin}")
        console.print(f"team login: any name / {keys.team}")
        team_hub.start(settings, config.parent, host, port)
    console.print(f"JupyterLab on http://{host}:{port} in {config.parent}; Ctrl-C stops it")
    lab.start(settings, config, host, port)


@app.command()
def airflow(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="the API server's port on 127.0.0.1")] = 8080,
    with_capstone: Annotated[
        bool, typer.Option("--capstone", help="also the capstone's DAGs (process_web_log, sync)")
    ] = False,
) -> None:
    """Start Airflow on 127.0.0.1 with the project's DAG (metadata and logs under the data
    directory); Ctrl-C stops it."""
    from armazem.capstone.weblog import DAG_FILE, DAG_IDS
    from armazem.orchestrate.airflow.home import AirflowHome

    extra = ((DAG_FILE,), DAG_IDS) if with_capstone else ((), ())
    home = AirflowHome(_settings(ctx), port, *extra)
    code = home.serve()
    if code not in (0, -2, 130):
        raise typer.Exit(code)


from armazem.dashboard.commands import register as _register_dashboard  # noqa: E402
from armazem.project.commands import register as _register_project  # noqa: E402

_register_project(app, _settings)
_register_dashboard(app, _settings)


# Display helpers ---------------------------------------------------------------------------


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")


@contextmanager
def _spinner():
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:  # fmt: skip
        yield progress


@contextmanager
def _table_progress(quiet: bool = False):
    """A bar per table with rows read and rows/s; callbacks for the ingest step."""
    progress = Progress(
        TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.completed:,.0f} rows"),
        _RateColumn(), TimeElapsedColumn(),
        console=console, disable=quiet, transient=True,
    )  # fmt: skip
    tasks: dict[str, Any] = {}

    def on_table(table) -> None:
        tasks[table.name] = progress.add_task(table.name, total=None)

    def on_rows(name: str, rows: int) -> None:
        progress.advance(tasks[name], rows)

    with progress:
        yield on_table, on_rows


@contextmanager
def _node_progress():
    with Progress(SpinnerColumn(), TextColumn("dbt build"), MofNCompleteColumn(),
                  TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:  # fmt: skip
        task = progress.add_task("", total=None)

        def on_node(name: str, status: str) -> None:
            progress.update(task, advance=1, description=f"{name} {status}")

        yield on_node


def _print_steps(runner) -> None:
    table = Table("step", "rows", "seconds", "status", "", title=f"run {runner.run_id}")
    for r in runner.results:
        rows = "" if r.rows is None else f"{r.rows:,}"
        table.add_row(r.step, rows, f"{r.seconds:.2f}", r.status, r.detail)
    total = sum(r.seconds for r in runner.results)
    table.add_row("[bold]total", "", f"[bold]{total:.2f}", "", "")
    out.print(table)


def _print_mapping(title: str, mapping: dict[str, Any]) -> None:
    table = Table("", "", title=title, show_header=False)
    for key, value in mapping.items():
        shown = f"{value:,}" if isinstance(value, int) else json.dumps(value, default=str)
        table.add_row(key, shown.strip('"'))
    out.print(table)
