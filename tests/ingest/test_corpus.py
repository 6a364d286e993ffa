"""The corpus of bad inputs (tests/corpus/, one file per kind of fault): each file goes through
its reader and contract; every rejected record is quarantined with the expected reason, and rows
read always equal rows loaded plus rows quarantined."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from tests.softcart import SOURCES

from armazem.ingest import files
from armazem.ingest.contracts import Contract, Validator

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEARCHES = next(t.contract for t in SOURCES if t.name == "searchterms.searches")
LOGS = next(t.contract for t in SOURCES if t.name == "weblogs.access_log")
DOCUMENTS = Contract({"type": "VARCHAR", "model": "VARCHAR"}, key=("model",), required=("type",))
KEYED = Contract({"id": "INTEGER", "name": "VARCHAR", "source_file": "VARCHAR",
                  "row_number": "BIGINT"}, key=("id",))  # fmt: skip
TERMS = ["day", "month", "year", "searchterm"]

# file -> (rows loaded, reasons of the quarantined records, each as a substring)
EXPECTED: dict[str, tuple[int, list[str]]] = {
    "csv_bom_no_trailing_newline.csv": (2, []),
    "csv_no_header.csv": (2, []),
    "csv_wrong_field_count.csv": (
        1,
        ["line 3: expected 4 fields, found 2", "line 4: expected 4 fields, found 5"],
    ),
    "csv_wrong_type.csv": (1, ["day: value is not a valid INTEGER"]),
    "csv_impossible_date.csv": (1, ["not a real date"]),
    "csv_missing_value.csv": (1, ["searchterm is missing"]),
    "csv_undecodable_bytes.csv": (1, ["row 1: bytes are not UTF-8"]),
    "csv_truncated.csv": (1, ["line 3: expected 4 fields, found 3"]),
    "csv_duplicate_key.csv": (1, ["duplicate key in this load", "duplicate key in this load"]),
    "jsonl_invalid_json.jsonl": (1, ["line 2: not valid JSON"]),
    "jsonl_not_an_object.jsonl": (1, ["line 2: not a JSON object"]),
    "jsonl_undecodable_bytes.jsonl": (1, ["line 2: bytes are not UTF-8"]),
    "jsonl_missing_required_field.jsonl": (1, ["type is missing"]),
    "log_malformed_line.log": (1, ["line 2: not a combined-format log line"]),
    "log_truncated_line.log": (1, ["line 2: not a combined-format log line"]),
    "log_impossible_time.log": (1, ["line 2: time is not a valid timestamp"]),
    "log_undecodable_bytes.log": (1, ["line 2: bytes are not UTF-8"]),
}


def reader_and_contract(path: Path):
    if path.name == "csv_duplicate_key.csv":
        return files.read_csv([path], ["id", "name"]), KEYED
    if path.suffix == ".csv":
        return files.read_csv([path], TERMS, header=path.name != "csv_no_header.csv"), SEARCHES
    if path.suffix == ".jsonl":
        return files.read_documents(
            [path], {"type": "type", "model": "model"}, None, 100
        ), DOCUMENTS
    return files.read_access_logs([path], 100), LOGS


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_records_are_quarantined_with_their_reason(name: str) -> None:
    loaded_expected, reasons_expected = EXPECTED[name]
    reader, contract = reader_and_contract(CORPUS / name)
    validator = Validator(contract)
    loaded, quarantined, read = 0, [], 0
    for batch in reader:
        good, bad = validator.split(batch.rows)
        rejected = pa.concat_tables([batch.unreadable, bad])
        read += batch.read
        loaded += good.num_rows
        quarantined += rejected.to_pylist()
    assert loaded == loaded_expected
    assert len(quarantined) == len(reasons_expected)
    for record, reason in zip(quarantined, sorted(reasons_expected), strict=True):
        assert reason in record["reason"], (record, reason)
        assert record["record"]  # the raw record is kept, never dropped
    assert read == loaded + len(quarantined)
