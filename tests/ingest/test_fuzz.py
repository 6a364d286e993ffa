"""Hostile input, generated: whatever bytes a CSV, JSON-lines or access-log file holds, reading it
never raises a traceback; every record is loaded or quarantined (read = loaded + quarantined,
and read is every record of the file); a source declaration, however mangled, parses or is one
ArmazemError line. Bounded: a fixed number of examples each, derandomized so CI is repeatable,
about 30 s in all here."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from armazem.errors import ArmazemError
from armazem.ingest import files
from armazem.ingest.batches import Reader
from armazem.ingest.contracts import Contract, Validator
from armazem.project import load_project
from armazem.project.tables import source_tables
from armazem.settings import load_settings

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
CONTRACT = Contract(
    {"id": "INTEGER", "day": "DATE", "note": "VARCHAR"}, key=(), required=("id",),
    rules={"id is positive": "id > 0"},
)  # fmt: skip
KEYED = Contract(CONTRACT.columns, key=("id",), rules=CONTRACT.rules)  # duplicates checked too

# Pieces hostile files are made of: separators, quotes, line endings, BOMs, bytes that are not
# UTF-8, NUL, very long fields, numbers, dates valid and not.
PIECES = [b",", b";", b'"', b"'", b"\n", b"\r\n", b"\r", b"\t", b" ", b"\xef\xbb\xbf", b"\xff",
          b"\xc3", b"\x00", b"\\", b"1", b"-7", b"42", b"2024-02-29", b"2023-02-29", b"x" * 300,
          b"\xc3\xa9", b"{", b"}", b"[", b"]", b":", b"null", b"true", b"1e999",
          b"\x1b[31m"]  # fmt: skip
raw_bytes = st.lists(st.sampled_from(PIECES) | st.binary(max_size=8), max_size=60).map(b"".join)


def consume(reader: Reader, contract: Contract) -> tuple[int, int, int]:
    """(read, loaded, quarantined) of a reader through a validator, as the pipeline does."""
    validator = Validator(contract)
    read = loaded = quarantined = 0
    try:
        for batch in reader:
            good, bad = validator.split(batch.rows)
            rejected = pa.concat_tables([batch.unreadable, bad])
            assert all(rejected.column("reason").to_pylist())  # every rejection says why
            read += batch.read
            loaded += good.num_rows
            quarantined += rejected.num_rows
    finally:
        validator.close()
    assert read == loaded + quarantined
    return read, loaded, quarantined


def written(content: bytes, suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="armazem-fuzz-"))
    path = folder / f"input{suffix}"
    path.write_bytes(content)
    return path


def lines_of(content: bytes) -> int:
    """The records a line-oriented reader must account for: its non-blank lines."""
    lines = content.split(b"\n")
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return sum(1 for line in lines if line.rstrip(b"\r").strip())


# pyarrow decodes a malformed row as UTF-8 before the handler that would quarantine it can run;
# when that fails the file stops with one ArmazemError line (asserted below), and pyarrow reports
# the failed decode as an unraisable exception.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@FUZZ
@given(raw_bytes, st.booleans())
def test_csv_reader(content: bytes, header: bool) -> None:
    path = written(content, ".csv")
    try:
        consume(files.read_csv([path], ["id", "day", "note"], header=header), CONTRACT)
    except ArmazemError as exc:  # a file that is not CSV at all: one line naming it
        assert path.name in str(exc) and "\n" not in str(exc)


@FUZZ
@given(st.lists(st.lists(st.sampled_from(["1", "2", "-3", "x", "", "2024-02-29", "2023-02-29",
                                          "é", " 7 ", "9" * 30]), max_size=5), max_size=30),
       st.booleans())  # fmt: skip
def test_csv_reader_accounts_for_every_line(rows: list[list[str]], header: bool) -> None:
    """Without quotes every non-blank line is one record: each is loaded or quarantined."""
    content = "\n".join(",".join(row) for row in rows).encode()
    path = written(content, ".csv")
    read, _, _ = consume(files.read_csv([path], ["id", "day", "note"], header=header), KEYED)
    records = lines_of(content) - (1 if header and content.split(b"\n")[0].strip() else 0)
    assert read == max(records, 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=8,
)  # fmt: skip
json_line = (
    st.fixed_dictionaries({}, optional={"id": json_values, "day": json_values, "note": json_values})
    .map(json.dumps)
    .map(str.encode)
    | json_values.map(json.dumps).map(str.encode)
    | raw_bytes.map(lambda b: b.replace(b"\n", b" "))
)


@FUZZ
@given(st.lists(json_line, max_size=25), st.sampled_from([b"\n", b"\r\n"]))
def test_json_lines_reader(lines: list[bytes], ending: bytes) -> None:
    content = ending.join(lines)
    path = written(content, ".jsonl")
    reader = files.read_documents([path], {"id": "id", "day": "day", "note": "note"}, "rest", 7)
    read, _, _ = consume(reader, CONTRACT)
    assert read == lines_of(content)


LOG = Contract({"ip": "VARCHAR", "time": "TIMESTAMP", "status": "INTEGER", "bytes": "BIGINT"},
               key=(), required=("ip", "time"))  # fmt: skip
log_field = st.sampled_from(["10.0.0.1", "-", "[", "]", '"', "GET", "/a b", "HTTP/1.1", "200",
                             "99999", "31/Apr/2024:10:00:00 +0000", "29/Feb/2024:10:00:00 +0000",
                             "01/Jan/2024:24:00:00 +0000", "01/Jan/2024:10:00:00 +9900",
                             "\u00e9", "\x00"])  # fmt: skip


@st.composite
def log_line(draw: st.DrawFn) -> bytes:
    """A valid combined-format line with some fields replaced, or random bytes."""
    fields = ["10.0.0.1", "-", "-", "[01/Jan/2024:10:00:00 +0000]", '"GET / HTTP/1.1"', "200",
              "512", '"-"', '"agent"']  # fmt: skip
    for index in draw(st.lists(st.integers(0, len(fields) - 1), max_size=3)):
        fields[index] = draw(log_field)
    line = " ".join(fields).encode()
    return draw(st.sampled_from([line, line[: draw(st.integers(0, len(line)))]])) or b"x"


@FUZZ
@given(st.lists(log_line() | raw_bytes.map(lambda b: b.replace(b"\n", b"")), max_size=25))
def test_access_log_reader(lines: list[bytes]) -> None:
    content = b"\n".join(lines)
    path = written(content, ".log")
    read, _, _ = consume(files.read_access_logs([path], 6), LOG)
    assert read == lines_of(content)


# --- the source-declaration parser --------------------------------------------------------------

GOOD: dict[str, Any] = {
    "kind": "files", "format": "csv", "description": "d",
    "tables": {"books": {"path": "data/*.csv", "mode": "merge", "cursor": "updated_at",
                         "key": "book_id", "lookback": "1d", "header": True,
                         "columns": {"book_id": "INTEGER", "updated_at": "TIMESTAMP"},
                         "required": ["book_id"], "rules": {"positive": "book_id > 0"},
                         "drift": {"new_column": "evolve"}}},
}  # fmt: skip
odd_values = st.sampled_from([None, "", "x y", "1; DROP TABLE t", "${NOT_SET}", -1, 0, 2**70, 1.5,
                              True, [], {}, ["a", None], {"a": {"b": []}}, "\u0000", "é" * 70,
                              "updated_at", "merge", "sql", "mysql://u:p@h/db"])  # fmt: skip


@st.composite
def mangled(draw: st.DrawFn) -> dict[str, Any]:
    """GOOD with keys removed, values replaced by odd ones, and unknown keys added, anywhere."""
    document = json.loads(json.dumps(GOOD))
    for _ in range(draw(st.integers(1, 4))):
        node: Any = document
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["remove", "replace", "add"]))
        keys = sorted(node, key=str)
        if action == "add" or not keys:
            node[draw(st.sampled_from(["extra", "mode", "kind", "key", 1, "tables"]))] = draw(
                odd_values
            )
        elif action == "remove":
            node.pop(draw(st.sampled_from(keys)))
        else:
            node[draw(st.sampled_from(keys))] = draw(odd_values)
    return document


@FUZZ
@given(mangled() | st.binary(max_size=80).map(lambda b: b.decode("latin-1")))
def test_source_declaration_parser(document: dict[str, Any] | str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="armazem-fuzz-"))
    (folder / "armazem.toml").write_text('[project]\nname = "lib"\n')
    (folder / "sources").mkdir()
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    (folder / "sources" / "shop.yml").write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        tables = source_tables(load_project(load_settings(folder / "armazem.toml")))
    except ArmazemError as exc:
        assert str(exc).strip() and "Traceback" not in str(exc)
        assert "\n" not in exc.problem, exc.problem
    else:
        assert all(t.source == "shop" for t in tables)
