"""`[project.privacy]` in armazem.toml: what readers other than the platform (the BI role, the
Tables page) may see of marts about people, beyond the personal columns masked by
`[project.personal]`.

    [project.privacy]
    min_group = 5                                   # the smallest group a figure may describe
    hidden = ["dim_person"]                         # per-person marts: not readable at all
    [project.privacy.groups]                        # mart = the column counting its people
    rpt_team_monthly = "headcount"                  # rows of fewer people are left out
    rpt_costs_monthly = { people = "people", columns = ["payroll", "expenses"] }
                                                    # the row stays; those figures become NULL

A row whose people column is NULL is not about people (a ledger line that is no payroll) and is
shown as it is; a row counting fewer than `min_group` people is left out, or, when `columns` are
named, shown with those columns NULL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from armazem.errors import ArmazemError
from armazem.names import identifier

DEFAULT_MIN_GROUP = 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Strict):
    """One mart's rule: `people` counts the people behind a row; `columns`, when given, are the
    figures withheld from small groups (the row itself stays), else the whole row is withheld."""

    people: str
    columns: tuple[str, ...] = ()

    @field_validator("people")
    @classmethod
    def _people(cls, value: str) -> str:
        return identifier(value, "people column")

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(identifier(v, "withheld column") for v in value)

    @model_validator(mode="after")
    def _not_the_count(self) -> Group:
        if self.people in self.columns:
            raise ValueError(f"{self.people!r} counts the people: it cannot also be withheld")
        return self


class Privacy(_Strict):
    """The declaration; empty (no mart restricted) by default."""

    min_group: int = DEFAULT_MIN_GROUP
    hidden: tuple[str, ...] = ()
    groups: dict[str, Group] = Field(default_factory=dict)

    @field_validator("min_group")
    @classmethod
    def _min_group(cls, value: int) -> int:
        if value < 2:
            raise ValueError(f"min_group {value} is under 2: a group of one person is that person")
        return value

    @field_validator("hidden")
    @classmethod
    def _hidden(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(identifier(v, "hidden mart") for v in value)

    @field_validator("groups", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        """`mart = "column"` is `mart = { people = "column" }`."""
        if isinstance(value, dict):
            return {k: {"people": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _disjoint(self) -> Privacy:
        for mart in self.groups:
            identifier(mart, "grouped mart")
            if mart in self.hidden:
                raise ValueError(f"mart {mart!r} is both hidden and grouped: keep one")
        return self

    @property
    def marts(self) -> set[str]:
        return set(self.hidden) | set(self.groups)

    def check_marts(self, known: set[str], where: str) -> None:
        """Every mart named is one of `known` (the project's models)."""
        unknown = sorted(self.marts - known)
        if unknown:
            raise ArmazemError(
                f"[project.privacy] names {', '.join(unknown)}, which {where} does not define",
                "name the marts by their model names, or remove them",
            )

    def check_columns(self, columns: Mapping[str, Sequence[str]]) -> None:
        """Every grouped mart of `columns` (mart -> its columns) has the columns its rule names."""
        for mart, rule in sorted(self.groups.items()):
            if mart not in columns:
                continue
            missing = [c for c in (rule.people, *rule.columns) if c not in columns[mart]]
            if missing:
                raise ArmazemError(
                    f"[project.privacy.groups] {mart}: no column {', '.join(missing)} in {mart}",
                    "name a column of the mart (the people column counts the people of a row)",
                )

    def shown(self, mart: str) -> bool:
        return mart not in self.hidden
