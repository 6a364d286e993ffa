from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from armazem.ingest.files import read_access_logs, read_csv, read_documents

GOOD_LINE = (
    '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /index.html HTTP/1.1" 200 203023 '
    '"http://semicomplete.com/" "Mozilla/5.0"'
)


def collect(reader) -> tuple[pa.Table, list[dict]]:
    batches = list(reader)
    rows = pa.concat_tables([b.rows for b in batches])
    return rows, [r for b in batches for r in b.unreadable.to_pylist()]


def test_csv_with_bom_header_and_no_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_bytes(b"\xef\xbb\xbfday,month,year,searchterm\n12,11,2021,laptop\n1,1,2020,tv")
    rows, bad = collect(read_csv([path], ["day", "month", "year", "searchterm"]))
    assert rows.column("searchterm").to_pylist() == ["laptop", "tv"]
    assert rows.column("row_number").to_pylist() == [1, 2]
    assert bad == []


def test_csv_without_header_other_delimiter_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("1;São Paulo\n2;Zürich\n".encode("latin-1"))
    rows, _ = collect(read_csv([path], ["id", "city"], header=False, delimiter=";",
                               encoding="latin-1"))  # fmt: skip
    assert rows.column("city").to_pylist() == ["São Paulo", "Zürich"]


def test_csv_rows_with_the_wrong_field_count_are_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("a,b\n1,2\n3\n4,5,6\n7,8\n")
    rows, bad = collect(read_csv([path], ["a", "b"]))
    assert rows.column("a").to_pylist() == ["1", "7"]
    assert [b["record"] for b in bad] == ["3", "4,5,6"]
    assert "expected 2 fields, found 1" in bad[0]["reason"]


def test_documents_are_flattened_with_the_rest_as_json(tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"type": "laptop", "screen size": 17, "ram": "16GB"}\n'
                    "{not json}\n"
                    '["a list"]\n'
                    '{"type": "smart phone", "screen size": 6}')  # fmt: skip
    rows, bad = collect(
        read_documents([path], {"type": "type", "screen size": "screen"}, "rest", 10)
    )
    assert rows.to_pylist() == [
        {"type": "laptop", "screen": "17", "rest": '{"ram": "16GB"}'},
        {"type": "smart phone", "screen": "6", "rest": None},
    ]
    assert [b["reason"].split(": ", 1)[1] for b in bad] == [
        "not valid JSON (Expecting property name enclosed in double quotes)",
        "not a JSON object",
    ]


def test_access_logs_parse_and_bad_lines_keep_their_reason(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_bytes(
        (GOOD_LINE + "\n").encode()
        + b"garbage line\n"
        + GOOD_LINE.replace("index", "caf\xc3\xa9").encode()[:-3]
        + b'\xff"\n'
        + GOOD_LINE.replace("203023", "-").encode()
    )
    rows, bad = collect(read_access_logs([path], 2))
    assert rows.num_rows == 2
    first = rows.slice(0, 1).to_pylist()[0]
    assert first["ip"] == "83.149.9.216" and first["status"] == "200"
    assert first["time"].isoformat() == "2015-05-17T10:05:03"
    assert rows.column("bytes").to_pylist() == ["203023", "0"]
    assert rows.column("row_number").to_pylist() == [1, 4]
    assert sorted(b["reason"] for b in bad) == [
        "access.log line 2: not a combined-format log line",
        "access.log line 3: bytes are not UTF-8",
    ]
