"""The `dashboard`, `bi` and `export` commands, added to the CLI by `register`.

Kept light: this module is imported whenever `armazem` starts, so everything heavy (Streamlit,
psycopg, pyarrow) is imported inside the commands.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from armazem.errors import ArmazemError

SettingsFactory = Callable[..., Any]


def register(app: typer.Typer, settings_factory: SettingsFactory) -> None:
    """Add the commands to `app`; settings_factory(ctx, **overrides) gives the run's settings."""

    @app.command()
    def dashboard(
        ctx: typer.Context,
        dataset: Annotated[
            str, typer.Option(help="production (the marts), or one the project declares")
        ] = "production",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8501,
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    ) -> None:
        """Start the dashboards (Streamlit) on the production warehouse."""
        from armazem.dashboard import launch
        from armazem.project import load_project
        from armazem.settings import find_config

        settings = settings_factory(ctx)
        datasets = load_project(settings).section.datasets
        if dataset not in datasets:
            raise ArmazemError(f"unknown data set {dataset!r}", f"use {' or '.join(datasets)}")
        config = find_config(ctx.obj.get("config") if ctx.obj else None)
        _stderr(f"dashboards on http://{host}:{port} (data set {dataset}, profile "
                f"{settings.profile}); Ctrl-C stops them")  # fmt: skip
        launch.start(settings, config, host, port, dataset)

    @app.command()
    def bi(
        ctx: typer.Context,
        out: Annotated[
            Path | None,
            typer.Option(help="Power BI data-source file (default: data/armazem.pbids)"),
        ] = None,
        role: Annotated[str, typer.Option(help="the login role to create or refresh")] = (
            "armazem_bi"
        ),
    ) -> None:
        """Create or refresh the read-only BI role (PostgreSQL warehouse: services profile).

        It reads the production marts only, e-mails as keyed pseudonyms (ARMAZEM_PSEUDONYM_KEY;
        without it they are left out), and marts about people as the project's privacy
        declaration allows: some not at all, the others for groups of at least min_group people.
        A new role's
        password is BI_PASSWORD if set, else generated and printed once; an existing role keeps
        its password unless BI_PASSWORD is set."""
        from armazem.dashboard import bi as bi_access

        settings = settings_factory(ctx)
        if settings.warehouse_kind != "postgresql":
            raise ArmazemError(
                "BI access needs the PostgreSQL warehouse; this profile's is DuckDB",
                "use `armazem --profile services bi` (DuckDB files are read by the dashboards "
                "and `armazem export`)",
            )
        from armazem.project import load_project

        section = load_project(settings).section
        access = bi_access.setup(
            settings.production_server_url, section.personal, role, os.environ.get("BI_PASSWORD"),
            key=settings.pseudonym, privacy=section.privacy,
        )  # fmt: skip
        path = bi_access.write_pbids(out or settings.data_path / "armazem.pbids", access)
        _print_access(access, path)

    @app.command()
    def export(
        ctx: typer.Context,
        table: Annotated[str, typer.Argument(help="a production table (see `armazem status`)")],
        fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
        out: Annotated[
            Path | None, typer.Option(help="file to write (default: data/exports/TABLE.FORMAT)")
        ] = None,
    ) -> None:
        """Export a production table to a CSV or Parquet file."""
        from armazem.dashboard.export import export_table
        from armazem.warehouse.lock import reader_lock

        settings = settings_factory(ctx)
        with reader_lock(settings, "export"):
            path, rows = export_table(settings, table, fmt, out)
        typer.echo(f"{rows:,} rows of {table} written to {path}")


def _print_access(access: Any, pbids: Path) -> None:
    lines = [
        f"BI role {access.role} {'created' if access.created else 'refreshed'}: it reads "
        f"{len(access.views)} production marts in schema {access.schema} "
        "(personal data pseudonymised or left out, people only as the project's privacy "
        "declaration allows), and nothing else.",
        f"  host      {access.host}",
        f"  port      {access.port}",
        f"  database  {access.database}",
        f"  schema    {access.schema}",
        f"  user      {access.role}",
    ]
    if access.password is not None:
        lines.append(f"  password  {access.password}   (shown once: keep it now)")
    else:
        lines.append("  password  unchanged (set BI_PASSWORD and run again to change it)")
    lines.append(f"  url       {access.url()}")
    lines.append(f"Power BI data source: {pbids}")
    if not access.views:
        lines.append("production has no marts yet: run `armazem run`, then `armazem bi` again.")
    typer.echo("\n".join(lines))


def _stderr(message: str) -> None:
    typer.echo(message, err=True)
