"""Names that reach SQL: tables, columns, schemas. Only plain identifiers are accepted, so a name
from a project file can never carry SQL of its own, and each is still quoted where it is used."""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def identifier(value: object, what: str = "name") -> str:
    """`value` if it is a plain identifier, else ValueError saying what is allowed."""
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise ValueError(
            f"{what} {value!r} is not a plain identifier (use letters, digits and _, "
            "starting with a letter or _, at most 63 characters)"
        )
    return value


def quote(name: str) -> str:
    """A name as a double-quoted SQL identifier (DuckDB, PostgreSQL, SQLite)."""
    return '"' + name.replace('"', '""') + '"'
