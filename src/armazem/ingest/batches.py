"""What every reader yields: a batch of rows, plus the records it could not even parse."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from armazem.ingest.contracts import QUARANTINE_SCHEMA


@dataclass(frozen=True)
class Batch:
    rows: pa.Table
    unreadable: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)  # reason, record

    @property
    def read(self) -> int:
        return self.rows.num_rows + self.unreadable.num_rows


def unreadable(pairs: list[tuple[str, str]]) -> pa.Table:
    """A quarantine table from (reason, raw record) pairs."""
    return pa.table(
        {"reason": [r for r, _ in pairs], "record": [rec for _, rec in pairs]},
        schema=QUARANTINE_SCHEMA,
    )


Reader = Iterator[Batch]
