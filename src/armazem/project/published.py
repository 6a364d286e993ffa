"""`[published]` in armazem.toml: what a publish writes beyond the warehouse's production schema.

    [published.files]                  # marts also as Parquet, under <lake>/published/<mart>/
    retention_days = 7                 # older publications are deleted (see publish_files)
    [published.files.marts]
    dim_item = {}
    fct_orders = {partition_by = "ordered_at", granularity = "month"}

    [published.documents]              # document views of the marts, in a MongoDB database
    connection = "mongodb_url"         # a setting, a [connections] name or a URL; unset or
    database = "shop"                  # empty: a local server with its data in <data_dir>/mongo
    [published.documents.views.items]
    key = "item_id"                    # becomes the document's _id
    query = "SELECT ... AS \"stock.quantity\" FROM production.dim_item ..."
    indexes = ["category", ["category", "current_price"]]
    json = ["catalog.attributes"]      # text columns holding JSON objects
    [published.documents.views.items.embed.price_history]
    query = "SELECT item_id, price, valid_from FROM production.dim_item_price"
    order_by = ["valid_from"]

A document is assembled in Python from flat rows, not built by SQL: `catalog.model` in a column
name nests the value under `catalog`, and each `embed` query's rows become an array under its
name, grouped by the view's key. Flat SELECTs are the same SQL on DuckDB and PostgreSQL, whereas
lists and structs are spelled differently by each engine (list()/struct_pack against
json_agg/json_build_object) and arrive through different drivers as different types.

Errors are one line with the place: `armazem.toml:42: ... (fix: ...)`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from armazem.names import identifier
from armazem.project.declarations import DeclarationError
from armazem.settings import CONFIG_FILE, interpolate

TABLE = "published"
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MartFiles(_Strict):
    """One mart written as files: optionally partitioned by the year, month or day of a date or
    timestamp column (folders `<column>_<granularity>=2024-03`; the column stays in the files,
    so a reader that ignores the folders loses nothing)."""

    partition_by: str | None = None
    granularity: Literal["year", "month", "day"] = "month"

    @field_validator("partition_by")
    @classmethod
    def _column(cls, value: str | None) -> str | None:
        return None if value is None else identifier(value, "partition_by column")


class Files(_Strict):
    retention_days: float = Field(7, ge=0, le=3650)
    marts: dict[str, MartFiles]

    @field_validator("marts")
    @classmethod
    def _marts(cls, value: dict[str, MartFiles]) -> dict[str, MartFiles]:
        if not value:
            raise ValueError("name at least one mart, e.g. marts = {dim_item = {}}")
        for name in value:
            identifier(name, "mart")
        return value


def _field_name(value: str, what: str) -> str:
    if not _FIELD.match(value):
        raise ValueError(f"{what} {value!r} is not a field name such as price or stock.quantity")
    return value


class Embed(_Strict):
    """An array of sub-documents: the rows of `query` that carry the document's key."""

    query: str
    order_by: list[str] = Field(default_factory=list)

    @field_validator("order_by", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("order_by")
    @classmethod
    def _columns(cls, value: list[str]) -> list[str]:
        return [identifier(v, "order_by column") for v in value]


class DocumentView(_Strict):
    """One collection: a document per row of `query`, `_id` its `key` column."""

    key: str
    query: str
    indexes: list[str | list[str]] = Field(default_factory=list)
    json_columns: list[str] = Field(default_factory=list, alias="json")
    embed: dict[str, Embed] = Field(default_factory=dict)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        return identifier(value, "key column")

    @field_validator("indexes")
    @classmethod
    def _indexes(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        for index in value:
            fields = [index] if isinstance(index, str) else index
            if not fields:
                raise ValueError("an index names at least one field")
            for name in fields:
                _field_name(name, "index field")
        return value

    @field_validator("json_columns")
    @classmethod
    def _json(cls, value: list[str]) -> list[str]:
        return [_field_name(v, "json column") for v in value]

    @field_validator("embed")
    @classmethod
    def _embed(cls, value: dict[str, Embed]) -> dict[str, Embed]:
        for name in value:
            identifier(name, "embedded array")
        return value


class Documents(_Strict):
    connection: str | None = None
    database: str
    views: dict[str, DocumentView]

    @field_validator("database")
    @classmethod
    def _database(cls, value: str) -> str:
        return identifier(value, "database")

    @field_validator("views")
    @classmethod
    def _views(cls, value: dict[str, DocumentView]) -> dict[str, DocumentView]:
        if not value:
            raise ValueError("declare at least one view, e.g. [published.documents.views.x]")
        for name in value:
            identifier(name, "collection")
            if "__" in name:
                raise ValueError(f"collection {name!r} has '__', which marks armazem's new copies")
        return value


class Published(_Strict):
    files: Files | None = None
    documents: Documents | None = None

    @property
    def declared(self) -> bool:
        return self.files is not None or self.documents is not None


def load_published(root: Path) -> Published:
    """The `[published]` table of the project in `root`; empty when it has none."""
    path = root / CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    section = tomllib.loads(text).get(TABLE)
    if section is None:
        return Published()
    if not isinstance(section, dict):
        raise DeclarationError(f"{CONFIG_FILE}:{_line(text, ())}: {TABLE} must be a table",
                               "write [published.files] and [published.documents]")  # fmt: skip
    try:
        return Published.model_validate(interpolate(section, f"{CONFIG_FILE} [{TABLE}]"))
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(str(p) for p in error["loc"] if not str(p).startswith("function-"))
        loc = tuple("json" if p == "json_columns" else p for p in loc)
        message = error["msg"].removeprefix("Value error, ")
        fix = "correct the value (see the README's [published] reference)"
        if error["type"] == "extra_forbidden":
            message, fix = f"unknown key {loc[-1]!r}", "remove it or correct its spelling"
        elif error["type"] == "literal_error":
            allowed = error["ctx"]["expected"].replace("'", "")
            message, fix = f"unknown {loc[-1]} {error['input']!r}", f"use {allowed}"
        elif error["type"] == "missing":
            message, fix = f"{'.'.join((TABLE, *loc))} is missing", f"add {loc[-1]} = ..."
        elif loc:
            message = f"{'.'.join((TABLE, *loc))}: {message}"
        raise DeclarationError(f"{CONFIG_FILE}:{_line(text, loc)}: {message}", fix) from None


def _line(text: str, loc: tuple[str, ...]) -> int:
    """The line of the deepest part of `loc` (a path of keys under [published]) that the text
    shows: its table header, or its `key =` inside the nearest header above it. TOML readers keep
    no positions, so this searches the text; the first line when nothing matches."""
    lines = text.splitlines()
    path = (TABLE, *loc)
    best, start = 1, 0
    for depth in range(len(path), 0, -1):  # the longest declared table header
        header = re.compile(
            r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, path[:depth])) + r"\s*\]"
        )
        found = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if found is not None:
            best, start = found + 1, found + 1
            rest = path[depth:]
            break
    else:
        return best
    for key in rest:  # then each further key, at the start of a line or inside an inline table
        pattern = re.compile(r"(^|[{,]\s*)" + re.escape(key) + r"\s*=")
        for i in range(start, len(lines)):
            if lines[i].lstrip().startswith("[") and i > start:
                break
            if pattern.search(lines[i].lstrip()):
                best, start = i + 1, i
                break
    return best
