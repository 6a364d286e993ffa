"""Source declarations: the YAML of `sources/<name>.yml`, parsed and validated by pydantic.

A source file names one system (its `kind` and `connection`) and the tables or streams read from
it. Every problem is reported as `sources/shop.yml:14: <what is wrong> (<how to fix it>)`: YAML is
composed node by node so that each value keeps the line it came from.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from armazem.errors import ArmazemError
from armazem.names import identifier
from armazem.settings import interpolate
from armazem.warehouse.plan import Mode

Kind = Literal["sql", "mongodb", "files", "http_api"]
FileFormat = Literal["csv", "jsonl", "json", "parquet", "access_log"]
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
# Types a contract may name: DuckDB's, which the warehouse maps to PostgreSQL's where they differ.
_TYPE = re.compile(
    r"^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|REAL|FLOAT|DOUBLE|VARCHAR|TEXT|DATE|TIME|"
    r"TIMESTAMP|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|BLOB|JSON|UUID|DECIMAL\(\d{1,2}, ?\d{1,2}\))$",
    re.IGNORECASE,
)


def duration(value: int | str) -> int:
    """A lookback: a number (cursor units: seconds, or key values) or `30s`, `15m`, `6h`, `1d`."""
    if isinstance(value, bool):
        raise ValueError("lookback must be a number or a duration like 1d, 6h, 15m")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("lookback must not be negative")
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"lookback {value!r} is not a duration (use e.g. 1d, 6h, 15m, 30s or 100)")
    return int(match.group(1)) * _SECONDS[match.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Drift(_Strict):
    """What a change of the source's shape does (see `Contract`)."""

    new_column: Literal["evolve", "ignore", "stop"] = "evolve"
    missing_column: Literal["stop", "quarantine"] = "stop"
    bad_type: Literal["quarantine", "stop"] = "quarantine"


class Deletes(_Strict):
    """How rows deleted at the source leave the warehouse: a boolean `soft_delete` column, or
    `compare_keys` (read the source's whole key set on every load: for small tables)."""

    soft_delete: str | None = None
    compare_keys: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> Deletes:
        if self.soft_delete and self.compare_keys:
            raise ValueError("choose one of soft_delete and compare_keys")
        if self.soft_delete:
            identifier(self.soft_delete, "soft_delete column")
        return self


class Freshness(_Strict):
    """`dbt source freshness` thresholds for a table (or a whole source)."""

    loaded_at: str | None = None
    warn_after: str | None = None
    error_after: str | None = None

    @field_validator("warn_after", "error_after")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^\d+[hd]$", value):
            raise ValueError(f"{value!r} is not a freshness period (use e.g. 6h or 2d)")
        return value


class Table(_Strict):
    """One table or stream of a source: how to read it and what it promises."""

    description: str = ""
    mode: Mode = "full"
    cursor: str | None = None
    lookback: int = 0
    key: list[str] = Field(default_factory=list)
    columns: dict[str, str]
    required: list[str] = Field(default_factory=list)
    rules: dict[str, str] = Field(default_factory=dict)
    drift: Drift = Drift()
    deletes: Deletes = Deletes()
    batch_size: int | None = Field(None, ge=1_000, le=10_000_000)
    freshness: Freshness | None = None
    # sql: the table at the source (default: the declared name) and a parallel read by key ranges
    source_table: str | None = None
    partitioned: bool = False
    # files: a glob, relative to the project (or with {data_dir}) or an s3:// URL
    path: str | None = None
    header: bool = True
    delimiter: str = ","
    encoding: str = "utf8"
    # mongodb, http_api and json files: where the records are, and how their fields become
    # columns (a dotted field name reaches into nested objects: `fields.status.name`)
    database: str | None = None
    collection: str | None = None
    endpoint: str | None = None
    pagination: Literal["page", "cursor", "link"] = "page"
    records_key: str = "data"  # http_api: the list in a page; json: the list in the file
    params: dict[str, str | int] = Field(default_factory=dict)
    since_param: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    rest: str | None = None

    @field_validator("lookback", mode="before")
    @classmethod
    def _lookback(cls, value: int | str) -> int:
        return duration(value)

    @field_validator("key", "required", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("a table needs at least one column")
        for name, kind in value.items():
            identifier(name, "column")
            if not isinstance(kind, str) or not _TYPE.match(kind.strip()):
                raise ValueError(
                    f"column {name!r} has unknown type {kind!r} "
                    "(use e.g. INTEGER, BIGINT, DECIMAL(10,2), DOUBLE, VARCHAR, DATE, TIMESTAMP)"
                )
        return {name: kind.strip().upper() for name, kind in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> Table:
        named = set(self.columns)
        for what, names in (("key", self.key), ("required", self.required)):
            for name in names:
                if name not in named:
                    raise ValueError(f"{what} column {name!r} is not among the columns")
        if self.cursor is not None and self.cursor not in named:
            raise ValueError(f"cursor {self.cursor!r} is not among the columns")
        if self.mode == "merge" and not self.key:
            raise ValueError("mode merge needs a key (the columns a row is matched on)")
        if self.mode != "full" and self.cursor is None:
            raise ValueError(f"mode {self.mode} needs a cursor (the column that orders new rows)")
        if self.deletes.compare_keys and not self.key:
            raise ValueError("deletes.compare_keys needs a key")
        if self.deletes.soft_delete and self.deletes.soft_delete not in named:
            raise ValueError(f"soft_delete column {self.deletes.soft_delete!r} is not a column")
        if self.source_table is not None:
            identifier(self.source_table, "source_table")
        if self.path is not None and "{date}" in self.path.rsplit("/", 1)[0]:
            raise ValueError("{date} may stand only in the file name of a path, not a folder")
        if self.partitioned and (not self.key or "INT" not in self.columns[self.key[0]]):
            raise ValueError("partitioned reads need an integer first key column")
        for column in [*self.fields.values(), *([self.rest] if self.rest else [])]:
            if column not in named:
                raise ValueError(f"field column {column!r} is not among the columns")
        return self


class Source(_Strict):
    """One source system: `sources/<name>.yml`."""

    kind: Kind
    description: str = ""
    # The tables are outputs of the project's Spark jobs, loaded by `armazem run` after its step
    # `spark` (jobs on the lake) or `build` (jobs on the built marts, e.g. a forecast); a plain
    # `armazem ingest` leaves them out (name them to load them).
    after: Literal["spark", "build"] | None = None
    connection: str | None = None
    format: FileFormat | None = None
    freshness: Freshness | None = None
    tables: dict[str, Table]

    @field_validator("tables")
    @classmethod
    def _tables(cls, value: dict[str, Table]) -> dict[str, Table]:
        if not value:
            raise ValueError("a source needs at least one table")
        for name in value:
            identifier(name, "table")
        return value

    @model_validator(mode="after")
    def _kind_options(self) -> Source:
        if self.kind == "files":
            if self.format is None:
                raise ValueError(
                    "a files source needs a format (csv, jsonl, json, parquet, access_log)"
                )
            for name, table in self.tables.items():
                if not table.path:
                    raise ValueError(f"table {name!r} needs a path (a glob such as data/*.csv)")
                if table.mode != "full" and table.cursor != "source_file":
                    raise ValueError(
                        f"table {name!r}: files are read incrementally by file name: "
                        "use cursor: source_file"
                    )
        elif self.format is not None:
            raise ValueError(f"format applies to files sources only, not {self.kind}")
        if self.kind in {"sql", "mongodb", "http_api"} and not self.connection:
            raise ValueError(f"a {self.kind} source needs a connection (a setting name or a URL)")
        for name, table in self.tables.items():
            if self.kind == "mongodb" and not table.collection:
                raise ValueError(f"table {name!r} needs a collection")
            if self.kind == "http_api" and not table.endpoint:
                raise ValueError(f"table {name!r} needs an endpoint (a path such as /v1/items)")
        return self


class DeclarationError(ArmazemError):
    """A project file that does not parse or does not validate."""


def load_source(path: Path, relative_to: Path, profile: str) -> Source:
    """The source declared in `path`, with the profile's overrides applied."""
    shown = _shown(path, relative_to)
    document, lines = read_yaml(path, shown)
    if not isinstance(document, dict):
        raise DeclarationError(f"{shown}:1: a source file is a mapping (kind, connection, tables)",
                               "see examples/softcart/sources/ for the layout")  # fmt: skip
    # A profile's overrides are merged into the source, key by key (null removes a key), e.g.
    # another kind and connection on one profile. Only the chosen profile's variables must be set.
    overrides = document.pop("profiles", None) or {}
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise DeclarationError(f"{shown}:{lines.get(('profiles',), 1)}: profiles maps a profile "
                               "name to the keys it overrides", "e.g. profiles: {services: "
                               "{connection: oltp_url}}")  # fmt: skip
    document = interpolate(_merged(document, overrides.get(profile, {})), shown)
    try:
        return Source.model_validate(document)
    except ValidationError as exc:
        raise _described(exc, shown, lines) from None


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_yaml(path: Path, shown: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """A YAML document and the line of every value in it, by its path of keys and indexes.
    A repeated key is an error: YAML would silently keep the last one."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise DeclarationError(f"{shown}: not UTF-8 text", "save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DeclarationError(f"{shown}{line}: not valid YAML: {problem}",
                               "correct the file's indentation and quoting") from None  # fmt: skip
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _walk(node, (), lines, shown)
    return document, lines


def _walk(node: yaml.Node, at: tuple[Any, ...], lines: dict, shown: str) -> None:
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                raise DeclarationError(
                    f"{shown}:{key.start_mark.line + 1}: key {key.value!r} appears twice",
                    "keep one of them",
                )
            seen.add(key.value)
            _walk(value, (*at, key.value), lines, shown)
            lines[(*at, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _walk(value, (*at, index), lines, shown)


def _described(exc: ValidationError, shown: str, lines: dict[tuple[Any, ...], int]) -> Exception:
    error = exc.errors()[0]
    loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
    line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
    where = ".".join(str(p) for p in loc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        fix = "remove it or correct its spelling (see the source file reference in the README)"
    elif error["type"] == "literal_error":
        allowed = error["ctx"]["expected"].replace("'", "")
        message = f"unknown {loc[-1]} {error['input']!r}"
        fix = f"use {allowed}"
    elif error["type"] == "missing":
        message = f"{where} is missing"
        fix = f"add {loc[-1]}:"
    else:
        fix = "correct the value"
        if where:
            message = f"{where}: {message}"
    return DeclarationError(f"{shown}:{line}: {message}", fix)


def _shown(path: Path, relative_to: Path) -> str:
    try:
        return str(path.relative_to(relative_to))
    except ValueError:
        return str(path)
