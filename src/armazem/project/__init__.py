"""A project: the folder of declarations that describes one company's pipeline.

    <project>/
      armazem.toml        [project] name, simulator, what to publish; settings and profiles;
                          [[audit]] reconciliation checks run before a publish; [schedule]
                          of its Airflow DAG
      sources/<name>.yml  one file per source system (see `declarations`)
      transform/          the company's dbt project
      dashboards/         the company's Streamlit pages (optional)
      notebooks/          optional

The engine reads a project the way dbt reads a dbt project: nothing in it is code the engine
imports, except the dashboard pages, which Streamlit runs.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from armazem.errors import ArmazemError
from armazem.names import identifier
from armazem.project.declarations import DeclarationError, Source, duration, load_source
from armazem.project.privacy import Privacy
from armazem.settings import CONFIG_FILE, Settings, interpolate
from armazem.warehouse.audit import Check, relationship_check

SOURCES_DIR = "sources"
TRANSFORM_DIR = "transform"
DASHBOARDS_DIR = "dashboards"
DEFAULT_PUBLISH = ("dim_", "fct_", "rpt_")
_CRON = re.compile(r"^(@(hourly|daily|weekly|monthly|yearly|annually)|\S+(\s+\S+){4})$")
_RELATIONSHIP = re.compile(r"^\s*(\w+)\.(\w+)\s*->\s*(\w+)\.(\w+)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectSection(_Strict):
    """`[project]` in armazem.toml."""

    name: str
    description: str = ""
    simulator: str | None = None  # a module path, e.g. "armazem.simulate.softcart"
    # The data sets the dashboard can be opened on (`armazem dashboard --dataset`); its pages
    # say what each means. `production` is the published marts.
    datasets: list[str] = Field(default_factory=lambda: ["production"])
    publish: list[str] = Field(default_factory=lambda: list(DEFAULT_PUBLISH))
    owner: str = "data"
    tags: list[str] = Field(default_factory=list)
    # Personal data in the marts and raw tables, by column name, and how readers other than the
    # platform see it (the BI role, the Tables page): hashed (still countable, joinable) or left
    # out.
    personal: dict[str, Literal["hash", "drop"]] = Field(default_factory=dict)
    # Marts about people as those readers see them: some hidden, others shown only for groups of
    # at least `min_group` people (project/privacy.py).
    privacy: Privacy = Field(default_factory=Privacy)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return identifier(value, "project name")

    @field_validator("simulator")
    @classmethod
    def _simulator(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$", value):
            raise ValueError(f"simulator {value!r} is not a module path such as package.module")
        return value

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, value: list[str]) -> list[str]:
        return [identifier(v, "data set") for v in value]


class AuditSection(_Strict):
    """One `[[audit]]` check: `offending` SQL that returns the rows breaking it, or the shorthand
    `relationship = "fact.column -> dimension.key"` (every fact row resolves to a dimension row).
    """

    name: str | None = None
    offending: str | None = None
    relationship: str | None = None

    def check(self) -> Check:
        if self.relationship is not None:
            match = _RELATIONSHIP.match(self.relationship)
            if not match:
                raise ValueError(
                    f"relationship {self.relationship!r} is not 'fact.column -> dimension.key'"
                )
            return relationship_check(*match.groups())
        if not (self.name and self.offending):
            raise ValueError("an audit check needs name and offending, or a relationship")
        return Check(self.name, self.offending)


class ScheduleSection(_Strict):
    """`[schedule]` in armazem.toml: when the project's Airflow DAG runs. Each run covers a data
    interval between two ticks of `cron` (the day before a daily run) and loads that interval."""

    cron: str = "@daily"
    start_date: date = date(2024, 1, 1)
    catchup: bool = False
    retries: int = Field(2, ge=0, le=20)
    retry_delay: int = 60  # seconds, or a duration such as 30s, 5m; doubles on each retry

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not _CRON.match(value):
            raise ValueError(f"{value!r} is not a cron expression such as '0 2 * * *' or @daily")
        return value

    @field_validator("retry_delay", mode="before")
    @classmethod
    def _retry_delay(cls, value: int | str) -> int:
        return duration(value)


@dataclass(frozen=True)
class Project:
    """A project read for one settings profile."""

    root: Path
    section: ProjectSection
    checks: tuple[Check, ...] = ()
    profile: str = "embedded"
    jobs: dict[str, dict[str, str]] = field(default_factory=dict)  # [jobs.<name>] input = ...
    schedule: ScheduleSection = field(default_factory=ScheduleSection)

    @property
    def name(self) -> str:
        return self.section.name

    @property
    def sources_dir(self) -> Path:
        return self.root / SOURCES_DIR

    @property
    def transform_dir(self) -> Path:
        return self.root / TRANSFORM_DIR

    @property
    def dashboards_dir(self) -> Path:
        return self.root / DASHBOARDS_DIR

    def source_files(self) -> dict[str, Path]:
        """`sources/*.yml` (or `.yaml`) by source name, the name checked."""
        found: dict[str, Path] = {}
        for path in sorted(self.sources_dir.glob("*.y*ml")):
            name = path.name.rsplit(".", 1)[0]
            if path.suffix not in {".yml", ".yaml"}:
                continue
            if name in found:
                raise DeclarationError(f"{SOURCES_DIR}/{path.name}: source {name!r} is declared "
                                       "twice (.yml and .yaml)", "keep one file")  # fmt: skip
            if not re.match(r"^[a-z_][a-z0-9_]{0,62}$", name):
                raise DeclarationError(
                    f"{SOURCES_DIR}/{path.name}: source name {name!r} is not a lowercase "
                    "identifier",
                    "rename the file, e.g. sources/shop.yml",
                )
            found[name] = path
        return found

    @cached_property
    def sources(self) -> dict[str, Source]:
        """Every source file, parsed and validated."""
        return {
            name: load_source(path, self.root, self.profile)
            for name, path in self.source_files().items()
        }


def load_project(settings: Settings) -> Project:
    """The project in the folder that holds the settings' armazem.toml."""
    root = settings.base_dir
    path = root / CONFIG_FILE
    if not path.is_file():
        raise ArmazemError(
            f"no armazem project in {root} (no {CONFIG_FILE})",
            "run the command inside a project, pass --project DIR, or create one with "
            "`armazem init DIR`",
        )
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    section = document.get("project")
    if not isinstance(section, dict):
        raise ArmazemError(f"{path} has no [project] table", 'add [project] with name = "..."')
    try:
        project = ProjectSection.model_validate(interpolate(section, f"{CONFIG_FILE} [project]"))
        checks = tuple(
            AuditSection.model_validate(entry).check() for entry in document.get("audit", [])
        )
        schedule = ScheduleSection.model_validate(document.get("schedule", {}))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise ArmazemError(
            f"{CONFIG_FILE}: bad [project], [schedule] or [[audit]] entry {key!r}: "
            f"{error['msg'].removeprefix('Value error, ')}",
            "correct it (see the README's project reference)",
        ) from None
    except ValueError as exc:
        raise ArmazemError(f"{CONFIG_FILE} [[audit]]: {exc}", "correct the check") from None
    jobs = document.get("jobs", {})
    if not isinstance(jobs, dict) or not all(isinstance(v, dict) for v in jobs.values()):
        raise ArmazemError(f"{CONFIG_FILE}: [jobs] holds one table per job",
                           '[jobs.web_analytics] input = "weblogs.access_log"')  # fmt: skip
    if project.privacy.marts:
        models = {p.stem for p in (root / TRANSFORM_DIR / "models").rglob("*.sql")}
        project.privacy.check_marts(models, f"{TRANSFORM_DIR}/models")
    return Project(root, project, checks, settings.profile, jobs, schedule)
