from __future__ import annotations

import json

import pyarrow as pa
import pytest

from armazem.ingest.contracts import Contract, ContractError, Validator

CONTRACT = Contract(
    {"id": "INTEGER", "quantity": "INTEGER", "at": "TIMESTAMP", "name": "VARCHAR"},
    key=("id",),
    required=("at",),
    rules={"quantity is not positive": "quantity > 0"},
)


def split(*batches: dict[str, list]) -> tuple[list[dict], list[dict]]:
    validator = Validator(CONTRACT)
    good, bad = [], []
    for batch in batches:
        g, b = validator.split(pa.table(batch))
        good += g.to_pylist()
        bad += b.to_pylist()
    validator.close()
    return good, bad


def test_good_rows_come_back_typed_in_their_order() -> None:
    good, bad = split({"id": ["2", "1"], "quantity": ["3", "1"], "at": ["2021-01-02", "2021-01-01"],
                       "name": ["b", "a"]})  # fmt: skip
    assert bad == []
    assert [r["id"] for r in good] == [2, 1]
    assert good[0]["at"].isoformat() == "2021-01-02T00:00:00"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"id": "x", "quantity": "1", "at": "2021-01-01"}, "id: value is not a valid INTEGER"),
        ({"id": "1", "quantity": "1", "at": "2021-02-30"}, "at: value is not a valid TIMESTAMP"),
        ({"id": None, "quantity": "1", "at": "2021-01-01"}, "id is missing"),
        ({"id": "1", "quantity": "1", "at": None}, "at is missing"),
        ({"id": "1", "quantity": "0", "at": "2021-01-01"}, "quantity is not positive"),
        ({"id": "1", "quantity": None, "at": "2021-01-01"}, "quantity is not positive"),
    ],
)
def test_each_broken_promise_is_quarantined_with_its_reason(row: dict, reason: str) -> None:
    good, bad = split({k: [v] for k, v in {**row, "name": "n"}.items()})
    assert good == []
    assert bad[0]["reason"] == reason
    assert json.loads(bad[0]["record"])["id"] == row["id"]  # the raw record, as it came


def test_duplicate_keys_are_caught_within_and_across_batches() -> None:
    good, bad = split(
        {
            "id": ["1", "1", "2"],
            "quantity": ["1"] * 3,
            "at": ["2021-01-01"] * 3,
            "name": list("abc"),
        },
        {"id": ["2", "3"], "quantity": ["1"] * 2, "at": ["2021-01-01"] * 2, "name": list("de")},
    )
    assert [r["id"] for r in good] == [2, 3]
    assert [json.loads(b["record"])["name"] for b in bad] == ["a", "b", "d"]
    assert {b["reason"] for b in bad} == {"duplicate key in this load"}


def test_a_vanished_column_stops_the_table() -> None:
    with pytest.raises(ContractError, match="'name'"):
        split({"id": ["1"], "quantity": ["1"], "at": ["2021-01-01"]})
