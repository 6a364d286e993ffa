"""The `init` and `sources` commands, added to the CLI by `register`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from armazem.errors import ArmazemError

SettingsFactory = Callable[..., Any]


def register(app: typer.Typer, settings_factory: SettingsFactory) -> None:
    @app.command()
    def init(
        folder: Annotated[Path, typer.Argument(help="the new project's folder")],
        example: Annotated[
            str | None, typer.Option(help="copy an example project (softcart, techco)")
        ] = None,
    ) -> None:
        """Create a project: a minimal one (a commented source file and one model), or a copy
        of an example."""
        from armazem.project.scaffold import init as create

        create(folder, example)
        what = f"the {example} example" if example else "a new project"
        typer.echo(f"{what} in {folder}: `cd {folder} && armazem run`")

    sources = typer.Typer(help="List, check and discover the project's sources.",
                          no_args_is_help=True)  # fmt: skip
    app.add_typer(sources, name="sources")

    @sources.command("list")
    def list_sources(ctx: typer.Context) -> None:
        """Every declared table: its source kind, mode, cursor and key."""
        from armazem.project import load_project

        project = load_project(settings_factory(ctx))
        for name, source in project.sources.items():
            for table_name, table in source.tables.items():
                cursor = f" cursor {table.cursor}" if table.cursor else ""
                key = f" key {','.join(table.key)}" if table.key else ""
                typer.echo(f"{name}.{table_name}  {source.kind}  {table.mode}{cursor}{key}")

    @sources.command("check")
    def check(
        ctx: typer.Context,
        offline: Annotated[bool, typer.Option(help="parse only; do not connect")] = False,
    ) -> None:
        """Parse every declaration and try every connection: one line per problem."""
        from armazem.project import dbt_sources, load_project
        from armazem.project.check import problems
        from armazem.project.simulator import serving

        settings = settings_factory(ctx)
        project = load_project(settings)
        if offline:
            found = list(problems(project, settings, connect=False))
        else:  # a simulated company's servers answer while their tables are tried
            with serving(settings, project.section.simulator) as served:
                found = list(problems(project, served))
        for line in found:
            typer.echo(line, err=True)
        if found:
            raise typer.Exit(1)
        if project.transform_dir.is_dir():
            dbt_sources.write(project)
        tables = sum(len(s.tables) for s in project.sources.values())
        typer.echo(f"{len(project.sources)} sources, {tables} tables: no problems")

    @sources.command("discover")
    def discover(
        ctx: typer.Context,
        source: Annotated[str, typer.Argument(help="the source's name (sources/NAME.yml)")],
        connection: Annotated[
            str | None,
            typer.Option(help="a URL, a connection or setting name, or a folder or glob of files"),
        ] = None,
        table: Annotated[
            list[str] | None, typer.Option(help="only this table (repeatable)")
        ] = None,
        write: Annotated[bool, typer.Option(help="write sources/NAME.yml")] = False,
    ) -> None:
        """Reflect a database, sample a collection or files, and print (or write) its YAML."""
        import yaml

        from armazem.names import identifier
        from armazem.project import SOURCES_DIR
        from armazem.project.discover import discover as reflect
        from armazem.project.discover import render
        from armazem.project.discover import write as write_file

        settings = settings_factory(ctx)
        try:
            identifier(source, "source name")
        except ValueError as exc:
            raise ArmazemError(str(exc), "use a lowercase name such as shop") from None
        path = settings.base_dir / SOURCES_DIR / f"{source}.yml"
        if connection is None:
            if not path.is_file():
                raise ArmazemError(f"{path.name} does not exist yet",
                                   "pass --connection URL (or a folder of files)")  # fmt: skip
            connection = (yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}).get(
                "connection"
            )
            if not connection:
                raise ArmazemError(f"{path.name} names no connection", "pass --connection")
        declaration = reflect(settings, source, connection, table)
        if not write:
            sys.stdout.write(render(source, declaration))
            return
        added = write_file(path, source, declaration)
        shown = ", ".join(added) if added else "nothing new (every table is declared already)"
        typer.echo(f"{SOURCES_DIR}/{path.name}: {shown}")
