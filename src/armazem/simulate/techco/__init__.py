"""TechCo, the technology company: its HR database, finance ledger, issue tracker exports,
helpdesk exports and Git hosting service.

The company's whole horizon (2023 to the end of 2026) is a pure function of (seed, scale);
`create` shows it as it stands at the end of 2025 and `advance` moves the day it has reached,
rewriting each system as of that day. Systems only ever grow forwards: what happened before the
old day is unchanged, so a reload after `advance` equals an incremental load.

The project's connections name where the systems live: `hr` and `finance` (SQLite files on the
embedded profile; PostgreSQL and MySQL/MariaDB databases on the services profile) and `githost`
(the SQLite file behind the API). `serve(settings)` runs the Git
hosting API on 127.0.0.1 and yields the connection it answers on (`githost_api`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from armazem.errors import ArmazemError
from armazem.settings import Settings
from armazem.simulate.techco import engineering, githost, helpdesk, ledger, people, tracker
from armazem.simulate.techco.portfolio import portfolio
from armazem.simulate.techco.reference import HISTORY_END, HORIZON_END
from armazem.simulate.techco.store import server_has_tables, write_server, write_sqlite
from armazem.simulate.techco.tables import table

Progress = Callable[[str, int], None]
STATE_FILE = "techco.json"
DATABASES = ("hr", "finance", "githost")


def _url(settings: Settings, name: str) -> str:
    url = settings.connections.get(name)
    if url is None:
        raise ArmazemError(
            f"the TechCo simulator needs the connection {name!r}",
            f'add {name} = "sqlite:///{{data_dir}}/sources/{name}.sqlite" under [connections]',
        )
    return url


def _database(settings: Settings, name: str) -> Path:
    """The SQLite file of a system kept in one (always the Git hosting service's)."""
    path = settings.local_file(_url(settings, name))
    if path is None:
        raise ArmazemError(
            f"the TechCo simulator keeps {name} in a SQLite file, not {_url(settings, name)}",
            f'set {name} = "sqlite:///{{data_dir}}/sources/{name}.sqlite" under [connections]',
        )
    return path


def _store(settings: Settings, name: str, tables: dict) -> dict[str, int]:
    """Write a system's tables where its connection points: a SQLite file or a server."""
    url = _url(settings, name)
    path = settings.local_file(url)
    return write_sqlite(path, tables) if path is not None else write_server(url, tables)


def _stored(settings: Settings, name: str, table: str) -> bool:
    url = _url(settings, name)
    path = settings.local_file(url)
    return path.is_file() if path is not None else server_has_tables(url, (table,))


def _state_path(settings: Settings) -> Path:
    return settings.sources_path / STATE_FILE


def exists(settings: Settings) -> bool:
    state = _state_path(settings)
    return (
        state.is_file()
        and _stored(settings, "hr", "workers")
        and _stored(settings, "finance", "journal_lines")
        and _database(settings, "githost").is_file()
    )


def current_day(settings: Settings) -> date:
    state = json.loads(_state_path(settings).read_text())
    return date.fromisoformat(state["as_of"])


def create(settings: Settings, progress: Progress | None = None) -> dict[str, int]:
    """Write every system as it stands at the end of the history."""
    return _write(settings, HISTORY_END, progress)


def advance(settings: Settings, days: int, progress: Progress | None = None) -> dict[str, Any]:
    if days < 1:
        raise ArmazemError(f"--advance {days} moves nothing", "pass a number of days >= 1")
    if not exists(settings):
        raise ArmazemError("there is no TechCo to advance yet", "run `armazem simulate` first")
    day = current_day(settings) + timedelta(days=days)
    if day > HORIZON_END:
        raise ArmazemError(
            f"TechCo is simulated up to {HORIZON_END}, not {day}",
            "advance fewer days, or `armazem simulate` it again",
        )
    # the company it was created as, whatever the settings now say
    state = json.loads(_state_path(settings).read_text())
    same = settings.model_copy(update={"seed": state["seed"], "scale": state["scale"]})
    written: dict[str, Any] = dict(_write(same, day, progress))
    written["last_day"] = day.isoformat()
    return written


def _write(settings: Settings, as_of: date, progress: Progress | None) -> dict[str, int]:
    report = progress or (lambda _name, _rows: None)
    seed, scale = settings.seed, settings.scale
    force = people.workforce(seed, scale)
    book = portfolio(seed, scale)
    written: dict[str, int] = {}

    def note(prefix: str, counts: dict[str, int]) -> None:
        for name, rows in counts.items():
            key = name if "." in name else f"{prefix}.{name}"
            written[key] = rows
            report(key, rows)

    note("hr", _store(settings, "hr", people.hr_tables(force, as_of)))
    books = ledger.ledger(seed, scale, force, book)
    note(
        "finance",
        _store(settings, "finance", ledger.ledger_tables(books, book, as_of)),
    )
    git = engineering.cut(engineering.githost(seed, scale, force), as_of)
    note(
        "githost",
        write_sqlite(_database(settings, "githost"), {k: table(v) for k, v in git.items()}),
    )
    root = settings.sources_path
    note("tracker", tracker.write_export(root, tracker.tracker(seed, force, book), force, as_of))
    note(
        "helpdesk", helpdesk.write_exports(root, helpdesk.helpdesk(seed, scale, force, book), as_of)
    )
    state = {"as_of": as_of.isoformat(), "seed": seed, "scale": scale}
    _state_path(settings).write_text(json.dumps(state))
    return written


@contextmanager
def serve(settings: Settings) -> Iterator[dict[str, str]]:
    """The Git hosting API on 127.0.0.1 while the block runs: {connection name: its URL}."""
    database = _database(settings, "githost")
    if not database.is_file():
        raise ArmazemError(
            "the Git hosting service has no data yet", "run `armazem simulate` first"
        )
    with githost.serving(database) as api:
        yield {"githost_api": api.url}
