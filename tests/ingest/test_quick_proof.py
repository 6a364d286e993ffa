"""The quick proof that a batch keeps every promise (Arrow casts and null counts, one DuckDB count
for the rules, key ranges before any join) must keep exactly the rows the full check keeps, with
the same values and types, and never let a broken promise through: for any batches, a validator
splits them as one that always runs the full check."""

from __future__ import annotations

import random
from decimal import Decimal

import pyarrow as pa
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from armazem.ingest.contracts import Contract, KeyRanges, Validator

CONTRACT = Contract(
    {"id": "INTEGER", "quantity": "SMALLINT", "price": "DECIMAL(10,2)", "at": "TIMESTAMP",
     "name": "VARCHAR"},
    key=("id",), required=("at",), rules={"quantity is not positive": "quantity > 0"},
)  # fmt: skip
# The types a database reader hands over: wider than the contract's, so the casts are exercised.
SOURCE = pa.schema([("id", pa.int64()), ("quantity", pa.int64()), ("price", pa.decimal128(38, 10)),
                    ("at", pa.timestamp("ns")), ("name", pa.large_string())])  # fmt: skip


def mostly(valid: st.SearchStrategy, *broken: object) -> st.SearchStrategy:
    """Valid values nine times in ten, so that whole batches keep every promise often."""
    return st.one_of(*[valid] * 9, st.sampled_from([*broken, None]))


rows = st.fixed_dictionaries({
    "id": mostly(st.integers(0, 40), 2**40),
    "quantity": mostly(st.integers(1, 3), 0, -2, 70_000),
    "price": mostly(st.sampled_from(["1.50", "0"]).map(Decimal),
                    *map(Decimal, ["0.005", "12345678901.00", "-1"])),
    "at": mostly(st.integers(0, 3).map(lambda n: n * 1_000_000_000), 500),  # sub-microsecond
    "name": st.one_of(st.text(max_size=3), st.none()),
})  # fmt: skip
batches = st.lists(st.lists(rows, max_size=6), max_size=6)


def run(validator: Validator, data: list[list[dict]]) -> list[tuple[pa.Table, pa.Table]]:
    try:
        return [validator.split(pa.Table.from_pylist(rows, SOURCE)) for rows in data]
    finally:
        validator.close()


class FullCheckOnly(Validator):
    def _kept_every_promise(self, batch: pa.Table) -> pa.Table | None:
        return None


@hypothesis_settings(max_examples=150, deadline=None)
@given(data=batches)
def test_the_quick_proof_keeps_what_the_full_check_keeps(data: list[list[dict]]) -> None:
    quick, full = run(Validator(CONTRACT, "id"), data), run(FullCheckOnly(CONTRACT, "id"), data)
    for (good, bad), (full_good, full_bad) in zip(quick, full, strict=True):
        assert good.schema == full_good.schema
        assert good.to_pylist() == full_good.to_pylist()
        assert bad.to_pylist() == full_bad.to_pylist()


def test_clean_batches_are_kept_whole_and_typed() -> None:
    validator = Validator(CONTRACT, "id")
    clean = [{"id": i, "quantity": 1, "price": Decimal("1.5"), "at": 0, "name": "a"}
             for i in range(3)]  # fmt: skip
    good, bad = validator.split(pa.Table.from_pylist(clean, SOURCE))
    validator.close()
    assert (good.num_rows, bad.num_rows) == (3, 0)
    assert good.schema.field("quantity").type == pa.int16()
    assert validator.highest == 2


def test_key_ranges_answer_as_the_keys_themselves() -> None:
    chance = random.Random(7)
    ranges, seen = KeyRanges(), set()
    for _ in range(2_000):
        low = chance.randint(0, 1_000)
        high = low + chance.randint(0, 30)
        assert ranges.overlaps(low, high) == any(low <= k <= high for k in seen)
        if chance.random() < 0.5:
            ranges.add(low, high)
            seen.update(range(low, high + 1))
        assert ranges.lows == sorted(ranges.lows)
        assert all(h < nxt for h, nxt in zip(ranges.highs, ranges.lows[1:], strict=False))
