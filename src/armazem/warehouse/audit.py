"""Reconciliation checks run on the freshly built `staging` marts before they may be published.

dbt's tests check each model on its own; these check the marts against the raw data they came
from: nothing lost or invented between the source and the facts, and every fact row pointing at
a dimension row. Each check is one portable SQL query returning the offending rows, so a failure
can show a few of them. A project declares its checks as `[[audit]]` entries in armazem.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from armazem.names import identifier

BUILD = "staging"
SAMPLE = 5


@dataclass(frozen=True)
class Check:
    name: str
    offending: str  # SQL returning the rows that break the check (none when it holds)


@dataclass(frozen=True)
class Failure:
    check: str
    count: int
    sample: list[tuple[Any, ...]]

    def __str__(self) -> str:
        rows = "; ".join(str(row) for row in self.sample)
        return f"{self.check}: {self.count} offending row(s), e.g. {rows}"


class Queryable(Protocol):
    def query(self, sql: str) -> list[tuple[Any, ...]]: ...


def relationship_check(fact: str, column: str, dimension: str, key: str) -> Check:
    """Every row of `fact` has a `column` that resolves to a row of `dimension` (by `key`).

    An outer join, not `IS NULL OR NOT EXISTS`: PostgreSQL cannot turn that OR into an anti-join
    and runs the subquery once per fact row, a scan of the dimension each (hours at 10 M sales)."""
    for name in (fact, column, dimension, key):
        identifier(name, "relationship name")
    return Check(
        f"every {fact}.{column} resolves to {dimension}",
        f"SELECT f.{column}, count(*) FROM {BUILD}.{fact} f "
        f"LEFT JOIN {BUILD}.{dimension} d ON d.{key} = f.{column} "
        f"WHERE d.{key} IS NULL GROUP BY f.{column}",
    )


def audit(warehouse: Queryable, checks: tuple[Check, ...]) -> list[Failure]:
    """Every check that fails, with its count and a few offending rows."""
    failures = []
    for check in checks:
        rows = warehouse.query(check.offending)
        if rows:
            failures.append(Failure(check.name, len(rows), rows[:SAMPLE]))
    return failures
