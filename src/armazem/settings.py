"""Settings: `armazem.toml` (top-level defaults plus a table per profile) and `ARMAZEM_*` variables.

Precedence, highest first: command-line options, `ARMAZEM_*` environment variables, the chosen
profile's table, the top-level keys of the file, the defaults below. Relative paths in the file
(and in `sqlite:///` / `duckdb:///` URLs) are resolved against the directory that holds the file,
so the platform behaves the same from any working directory.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from armazem.errors import ArmazemError

CONFIG_FILE = "armazem.toml"
# read by armazem.project, not settings
_PROJECT_TABLES = {"project", "audit", "jobs", "schedule", "published"}
ENV_PREFIX = "ARMAZEM_"
_OLTP_SCHEMES = {"sqlite", "mysql", "mariadb", "postgresql"}
_WAREHOUSE_SCHEMES = {"duckdb", "postgresql"}
_SERVER_SCHEMES = {"mysql", "mariadb", "postgresql", "mongodb", "s3", "http", "https"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Settings(BaseSettings):
    """Everything that differs between a laptop and real infrastructure."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    profile: str = "embedded"
    base_dir: Path = Field(default_factory=Path.cwd, description="where relative paths start")
    data_dir: Path = Path("data")
    capstone_dir: Path = Path("../shared/capstone")
    seed: int = 42
    scale: float = Field(1.0, gt=0, le=100, description="1.0 is about a million order lines")
    oltp_url: str = "sqlite:///{data_dir}/sources/oltp.sqlite"
    warehouse_url: str = "duckdb:///{data_dir}/warehouse.duckdb"
    production_url: str | None = Field(
        None, description="a separate PostgreSQL server for production; None: the warehouse's"
    )
    mysql_url: str = "mysql://root@127.0.0.1:3306"
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    mongodb_url: str | None = Field(None, description="catalog server; None: files/local server")
    lake_url: str | None = Field(
        None, description="s3://bucket/prefix or hdfs://namenode:port/path; None: <data_dir>/lake"
    )
    s3_endpoint_url: str | None = Field(None, description="an S3-compatible endpoint, e.g. MinIO")
    batch_size: int = Field(100_000, ge=1_000, le=10_000_000)
    read_partitions: int = Field(2, ge=1, le=64, description="parallel reads of a large table")
    spark_master: str = Field("local[*]", description="local[N], spark://host:port, yarn, ...")
    spark_driver_memory: str = Field("1g", pattern=r"^\d+[kmgt]$")
    spark_shuffle_partitions: int = Field(8, ge=1, le=10_000)
    connections: dict[str, str] = Field(
        default_factory=dict, description="the project's own connection URLs, by name"
    )
    # The key of the pseudonyms of personal data declared `hash` (dashboard/pseudonym.py): a
    # secret like a password, from the environment (ARMAZEM_PSEUDONYM_KEY or ${VAR}); never
    # stored in the warehouse. SecretStr: it prints as '**********'.
    pseudonym_key: SecretStr | None = None

    @property
    def pseudonym(self) -> str | None:
        return None if self.pseudonym_key is None else self.pseudonym_key.get_secret_value()

    @field_validator("oltp_url")
    @classmethod
    def _oltp_url(cls, value: str) -> str:
        return _check_url(value, _OLTP_SCHEMES)

    @field_validator("warehouse_url")
    @classmethod
    def _warehouse_url(cls, value: str) -> str:
        return _check_url(value, _WAREHOUSE_SCHEMES)

    @field_validator("production_url")
    @classmethod
    def _production_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, {"postgresql"})

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

    @field_validator("spark_master")
    @classmethod
    def _spark_master(cls, value: str) -> str:
        if not re.match(r"^(local(\[(\d+|\*)(,\d+)?\])?|spark://[\w.-]+:\d+(,[\w.-]+:\d+)*|yarn|"
                        r"k8s://\S+)$", value):  # fmt: skip
            raise ValueError(
                f"spark_master {value!r} is not local[N], local[*], spark://host:port, yarn or "
                "k8s://..."
            )
        return value

    @field_validator("connections")
    @classmethod
    def _connections(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            if not re.match(r"^[a-z_][a-z0-9_]*$", name):
                raise ValueError(f"connection name {name!r} is not a lowercase identifier")
            _check_url(url, _OLTP_SCHEMES | _SERVER_SCHEMES | {"duckdb"})
        return value

    @field_validator("lake_url")
    @classmethod
    def _lake_url(cls, value: str | None) -> str | None:
        """An S3 bucket and prefix, or an HDFS folder (`hdfs:///path` on the default namenode)."""
        if value is None:
            return None
        if urlsplit(value).scheme == "hdfs" and not urlsplit(value).path.strip("/"):
            raise ValueError(
                f"URL {value!r} names no folder, e.g. hdfs://namenode:8020/armazem/lake"
            )
        return _check_url(value, {"s3", "hdfs"})

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

    def expand(self, text: str) -> str:
        """A declared path with `{data_dir}` and `{capstone_dir}` replaced by those folders, so a
        project names files in them wherever the folders are."""
        return text.replace("{data_dir}", str(self.data_path)).replace(
            "{capstone_dir}", str(self.capstone_path)
        )

    def local_file(self, url: str) -> Path | None:
        """The file behind a `sqlite:///` or `duckdb:///` URL, or None for a server URL.

        `sqlite:///rel/path` is relative, `sqlite:////abs/path` absolute (as in SQLAlchemy), and
        `{data_dir}` stands for the data directory, so moving it moves the files too."""
        parts = urlsplit(url)
        if parts.scheme not in {"sqlite", "duckdb"}:
            return None
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return self.path(self.expand(path))

    @property
    def production_server_url(self) -> str:
        """Where the `production` schema lives: `production_url`, else the warehouse."""
        return self.production_url or self.warehouse_url

    @property
    def warehouse_kind(self) -> str:
        return urlsplit(self.warehouse_url).scheme

    def connection(self, name: str) -> str | None:
        """The URL a source's `connection` names: one of `connections`, a URL setting such as
        `oltp_url`, or (with `://` in it) the URL itself."""
        if "://" in name:
            return name
        if name in self.connections:
            return self.connections[name]
        if name.endswith("_url") and name in Settings.model_fields:
            return getattr(self, name)
        known = sorted(
            [*self.connections, *(f for f in Settings.model_fields if f.endswith("_url"))]
        )
        raise ArmazemError(
            f"unknown connection {name!r}",
            f"use one of {', '.join(known)}, a URL, or add it under [connections] in armazem.toml",
        )


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


def find_config(explicit: Path | str | None = None) -> Path | None:
    """The project's armazem.toml: the one given (a file or the project folder), else
    $ARMAZEM_PROJECT, else the nearest armazem.toml from the current directory upward (like git
    and dbt), else None."""
    if explicit is not None:
        explicit = Path(explicit)
        path = explicit / CONFIG_FILE if explicit.is_dir() else explicit
        if not path.is_file():
            raise ArmazemError(
                f"no armazem project at {explicit} ({CONFIG_FILE} not found)",
                "pass --project with a folder that holds armazem.toml, or `armazem init DIR`",
            )
        return path.resolve()
    env = os.environ.get(f"{ENV_PREFIX}PROJECT")
    if env:
        return find_config(Path(env))
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / CONFIG_FILE).is_file():
            return (folder / CONFIG_FILE).resolve()
    return None


def interpolate(value: Any, where: str) -> Any:
    """`${NAME}` in strings replaced by environment variables, through dicts and lists.

    Secrets come from the environment only: a URL that holds a password written out in a file
    is refused, so it never reaches a repository, a manifest or a log."""
    if isinstance(value, dict):
        return {k: interpolate(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, where) for v in value]
    if not isinstance(value, str):
        return value
    if "://" in value:
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password and not _VARIABLE.fullmatch(password):
            raise ArmazemError(
                f"{where} holds a password written in the file",
                "write it as ${SOME_VARIABLE} and export that variable",
            )

    return expand(value, where)


def expand(value: str, where: str) -> str:
    """`${NAME}` replaced by the environment variable NAME; a missing one is an error."""

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ArmazemError(
                f"{where} uses ${{{name}}}, which is not set",
                f"export {name}=... before running armazem",
            )
        return os.environ[name]

    return _VARIABLE.sub(variable, value)


def load_settings(
    config: Path | str | None = None, profile: str | None = None, **overrides: Any
) -> Settings:
    """Settings for one run: file, then environment, then command-line overrides."""
    path = find_config(config)
    document = _read_toml(path) if path else {}
    document = {k: v for k, v in document.items() if k not in _PROJECT_TABLES}
    document = interpolate(document, path.name if path else "settings")
    profiles: dict[str, dict[str, Any]] = document.pop("profiles", {})
    name = profile or os.environ.get(f"{ENV_PREFIX}PROFILE") or document.pop("profile", "embedded")
    document.pop("profile", None)
    if profiles and name not in profiles:
        raise ArmazemError(
            f"unknown profile {name!r}",
            f"use one of {', '.join(sorted(profiles))}, or add [profiles.{name}] to {path}",
        )
    _reject_unknown_environment()
    chosen = profiles.get(name, {})
    from_file = {**document, **chosen}
    if isinstance(document.get("connections"), dict) and isinstance(
        chosen.get("connections"), dict
    ):
        from_file["connections"] = {**document["connections"], **chosen["connections"]}
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
        f"{ENV_PREFIX}PROJECT",
        f"{ENV_PREFIX}PROJECTS",  # the projects of armazem's Airflow DAG file
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
