"""The corpus of bad inputs (tests/corpus/, one file per kind of fault): each file goes through
its reader and contract; every rejected record is quarantined with the expected reason, and rows
read always equal rows loaded plus rows quarantined."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest
from tests.softcart import SOURCES

from armazem.errors import ArmazemError
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
    "zero_byte.csv": (0, []),
    "csv_header_only.csv": (0, []),
    "csv_mixed_line_endings.csv": (4, []),  # \n, \r\n, \r and none at the end: 4 rows
    # UTF-16 read as the declared UTF-8: nothing garbled is loaded, every line is quarantined
    # (the header's skipped; its NUL byte starts line 2). Declared as utf-16 it loads: see below.
    "csv_utf16.csv": (0, ["csv_utf16.csv line 4: expected 4 fields, found 1",
                          "csv_utf16.csv row 2: bytes are not UTF-8",
                          "day: value is not a valid INTEGER"]),
}  # fmt: skip
# Files that stop their load with one clear line (nothing of the load is committed): the reason.
STOPS = {"csv_gzip_cut_short.csv.gz": "csv_gzip_cut_short.csv.gz cannot be read as CSV: "
                                      "Truncated compressed stream"}  # fmt: skip


def reader_and_contract(path: Path):
    if path.name == "csv_duplicate_key.csv":
        return files.read_csv([path], ["id", "name"]), KEYED
    if path.suffix == ".csv" or path.name.endswith(".csv.gz"):
        return files.read_csv([path], TERMS, header=path.name != "csv_no_header.csv"), SEARCHES
    if path.suffix == ".jsonl":
        return files.read_documents(
            [path], {"type": "type", "model": "model"}, None, 100
        ), DOCUMENTS
    return files.read_access_logs([path], 100), LOGS


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted([*EXPECTED, *STOPS])


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


@pytest.mark.parametrize("name", sorted(STOPS))
def test_a_file_cut_short_stops_its_load_with_one_clear_line(name: str) -> None:
    reader, contract = reader_and_contract(CORPUS / name)
    validator = Validator(contract)
    with pytest.raises(ArmazemError) as caught:
        for batch in reader:
            validator.split(batch.rows)
    assert STOPS[name] in caught.value.problem and "\n" not in str(caught.value)
    assert caught.value.fix


def test_a_utf16_file_loads_when_its_encoding_is_declared() -> None:
    reader = files.read_csv([CORPUS / "csv_utf16.csv"], TERMS, encoding="utf-16")
    rows = [row for batch in reader for row in Validator(SEARCHES).split(batch.rows)[0].to_pylist()]
    assert [(r["day"], r["searchterm"]) for r in rows] == [(1, "laptop"), (3, "café")]


def test_a_file_that_grows_while_it_is_read(tmp_path: Path) -> None:
    """A web server appends to its log while the load reads it: every line the reader got is
    loaded once, in order, whole; what came after is left for the next load (which starts again
    at the newest file, see files.matching)."""
    path = tmp_path / "access.log"
    line = '10.0.0.{n} - - [17/May/2015:10:05:03 +0000] "GET /{n} HTTP/1.1" 200 1 "-" "agent"\n'
    path.write_text("".join(line.format(n=n) for n in range(50)))
    reading = threading.Event()

    def server() -> None:  # appends whole lines, as a web server does, once the read has begun
        reading.wait(30)
        with path.open("a") as log:
            for n in range(50, 1050):
                log.write(line.format(n=n))
                log.flush()
                time.sleep(0.0005)

    writer = threading.Thread(target=server)
    writer.start()
    validator = Validator(LOGS)
    loaded, read, quarantined = [], 0, 0
    try:
        for batch in files.read_access_logs([path], 20):
            reading.set()
            good, bad = validator.split(batch.rows)
            read += batch.read
            quarantined += batch.unreadable.num_rows + bad.num_rows
            loaded += good.column("path").to_pylist()
    finally:
        reading.set()
        writer.join()
        validator.close()
    assert read == len(loaded) + quarantined and quarantined == 0
    assert loaded == [f"/{n}" for n in range(len(loaded))]  # a prefix of the file, in order
    assert len(loaded) > 50  # it did grow while being read
    assert len(path.read_text().splitlines()) >= len(loaded)
