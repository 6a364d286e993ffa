"""Settings: `armazem.toml` (top-level defaults plus a table per profile) and `ARMAZEM_*` variables.

Precedence, highest first: command-line options, `ARMAZEM_*` environment variables, the chosen
profile's table, the top-level keys of the file, the defaults below. Relative paths in the file
(and in `sqlite:///` / `duckdb:///` URLs) are resolved against the directory that holds the file,
so the platform behaves the same from any working directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from armazem.errors import ArmazemError

CONFIG_FILE = "armazem.toml"
ENV_PREFIX = "ARMAZEM_"
_OLTP_SCHEMES = {"sqlite", "mysql", "mariadb", "postgresql"}
_WAREHOUSE_SCHEMES = {"duckdb", "postgresql"}
_SERVER_SCHEMES = {"mysql", "mariadb", "postgresql", "mongodb", "s3", "http", "https"}


class Settings(BaseSettings):
    """Everything that differs between a laptop and real infrastructure."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    profile: str = "embedded"
    base_dir: Path = Field(default_factory=Path.cwd, description="where relative paths start")
    data_dir: Path = Path("data")
    capstone_dir: Path = Path("../shared/capstone")
    seed: int = 42
    scale: float = Field(1.0, gt=0, le=100, description="1.0 is about a million order lines")
    oltp_url: str = "sqlite:///{data_dir}/sources/softcart.sqlite"
    warehouse_url: str = "duckdb:///{data_dir}/warehouse.duckdb"
    mysql_url: str = "mysql://root@127.0.0.1:3306"
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    mongodb_url: str | None = Field(None, description="catalog server; None: files/local server")
    lake_url: str | None = Field(None, description="s3://bucket/prefix; None: <data_dir>/lake")
    s3_endpoint_url: str | None = Field(None, description="an S3-compatible endpoint, e.g. MinIO")
    batch_size: int = Field(100_000, ge=1_000, le=10_000_000)
    read_partitions: int = Field(2, ge=1, le=64, description="parallel reads of a large table")

    @field_validator("oltp_url")
    @classmethod
    def _oltp_url(cls, value: str) -> str:
        return _check_url(value, _OLTP_SCHEMES)

    @field_validator("warehouse_url")
    @classmethod
    def _warehouse_url(cls, value: str) -> str:
        return _check_url(value, _WAREHOUSE_SCHEMES)

    @field_validator("mysql_url")
    @classmethod
    def _mysql_url(cls, value: str) -> str:
        return _check_url(value, {"mysql", "mariadb"})

    @field_validator("postgres_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        return _check_url(value, {"postgresql"})

    @field_validator("mongodb_url")
    @classmethod
    def _mongodb_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, {"mongodb"})

    @field_validator("lake_url")
    @classmethod
    def _lake_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, {"s3"})

    @field_validator("s3_endpoint_url")
    @classmethod
    def _s3_endpoint_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, {"http", "https"})

    # Derived locations: one place decides where things live.
    def path(self, value: Path | str) -> Path:
        """An absolute path for a setting that may be relative to the config file's directory."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def data_path(self) -> Path:
        return self.path(self.data_dir)

    @property
    def sources_path(self) -> Path:
        """Where the embedded profile keeps the company's file-based systems."""
        return self.data_path / "sources"

    @property
    def lake_path(self) -> Path:
        return self.data_path / "lake"

    @property
    def capstone_path(self) -> Path:
        return self.path(self.capstone_dir)

    def local_file(self, url: str) -> Path | None:
        """The file behind a `sqlite:///` or `duckdb:///` URL, or None for a server URL.

        `sqlite:///rel/path` is relative, `sqlite:////abs/path` absolute (as in SQLAlchemy), and
        `{data_dir}` stands for the data directory, so moving it moves the files too."""
        parts = urlsplit(url)
        if parts.scheme not in {"sqlite", "duckdb"}:
            return None
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return self.path(path.replace("{data_dir}", str(self.data_path)))

    @property
    def warehouse_kind(self) -> str:
        return urlsplit(self.warehouse_url).scheme


def _check_url(value: str, schemes: set[str]) -> str:
    try:
        parts: SplitResult = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"malformed URL {value!r}: {exc}") from None
    if parts.scheme not in schemes:
        raise ValueError(
            f"URL {value!r} must start with one of {', '.join(s + '://' for s in sorted(schemes))}"
        )
    if parts.scheme in _SERVER_SCHEMES and not parts.hostname:
        raise ValueError(f"URL {value!r} names no host, e.g. {parts.scheme}://user@127.0.0.1/db")
    if parts.scheme not in _SERVER_SCHEMES and not parts.path.strip("/"):
        raise ValueError(f"URL {value!r} names no file, e.g. {parts.scheme}:///data/file")
    return value


def redact_url(url: str) -> str:
    """A URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def find_config(explicit: Path | None = None) -> Path | None:
    """The config file: the one given, else $ARMAZEM_CONFIG, else ./armazem.toml if present."""
    if explicit is not None:
        if not explicit.is_file():
            raise ArmazemError(
                f"config file {explicit} not found", "pass an existing --config path"
            )
        return explicit.resolve()
    env = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if env:
        return find_config(Path(env))
    here = Path.cwd() / CONFIG_FILE
    return here.resolve() if here.is_file() else None


def load_settings(
    config: Path | None = None, profile: str | None = None, **overrides: Any
) -> Settings:
    """Settings for one run: file, then environment, then command-line overrides."""
    path = find_config(config)
    document = _read_toml(path) if path else {}
    profiles: dict[str, dict[str, Any]] = document.pop("profiles", {})
    name = profile or os.environ.get(f"{ENV_PREFIX}PROFILE") or document.pop("profile", "embedded")
    document.pop("profile", None)
    if profiles and name not in profiles:
        raise ArmazemError(
            f"unknown profile {name!r}",
            f"use one of {', '.join(sorted(profiles))}, or add [profiles.{name}] to {path}",
        )
    _reject_unknown_environment()
    from_file = {**document, **profiles.get(name, {})}
    # The environment beats the file: drop file values that an ARMAZEM_* variable sets.
    values = {k: v for k, v in from_file.items() if f"{ENV_PREFIX}{k.upper()}" not in os.environ}
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["profile"] = name
    values.setdefault("base_dir", path.parent if path else Path.cwd())
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ArmazemError(_describe(exc, path, name), _fix_hint(path)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ArmazemError(
            f"{path} is not valid TOML: {exc}", "correct the file's syntax"
        ) from None


def _reject_unknown_environment() -> None:
    known = {f"{ENV_PREFIX}{field.upper()}" for field in Settings.model_fields} | {
        f"{ENV_PREFIX}CONFIG",
        f"{ENV_PREFIX}FAILPOINT",  # see armazem.failpoints
    }
    unknown = sorted(
        k for k in os.environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known
    )
    if unknown:
        raise ArmazemError(
            f"unknown environment variable {unknown[0]}",
            f"unset it or use one of {', '.join(sorted(known))}",
        )


def _describe(exc: ValidationError, path: Path | None, profile: str) -> str:
    error = exc.errors()[0]
    key = ".".join(str(p) for p in error["loc"]) or "settings"
    variable = f"{ENV_PREFIX}{key.upper()}"
    where = f"{path.name} [profiles.{profile}]" if path else "settings"
    if variable in {k.upper() for k in os.environ}:
        where = variable
    if error["type"] == "extra_forbidden":
        return f"unknown setting {key!r} in {where}"
    message = error["msg"].removeprefix("Value error, ")
    return f"bad value for {key!r} in {where}: {message}"


def _fix_hint(path: Path | None) -> str:
    where = str(path) if path else "armazem.toml"
    return f"correct it in {where} or in its ARMAZEM_* environment variable"
