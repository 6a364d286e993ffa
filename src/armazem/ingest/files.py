"""File sources: CSV (header or not, BOM, any delimiter and encoding, newlines inside quoted
values), JSON-lines documents, JSON files holding a list of records (an export or an API dump),
and web-server access logs in Apache/Nginx combined format. Each reader streams bounded batches and
hands back the records it cannot parse, with the reason, for quarantine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BufferedReader
from pathlib import Path
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from armazem.errors import ArmazemError
from armazem.ingest.batches import Batch, Reader, unreadable

COMBINED_LOG = (
    r'^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+) '
    r'(?P<protocol>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referrer>[^"]*)" '
    r'"(?P<user_agent>[^"]*)"$'
)
LOG_TIME = "%d/%b/%Y:%H:%M:%S"  # an access log's local time; its UTC offset follows
# The columns every file reader adds to each row: the file and the row (or line) it came from.
ORIGIN_TYPES = {"source_file": "VARCHAR", "row_number": "BIGINT"}
ORIGIN = tuple(ORIGIN_TYPES)
LOG_COLUMNS = ("ip", "time", "method", "path", "protocol", "status", "bytes", "referrer",
               "user_agent")  # fmt: skip
# In a file name pattern, the day the file holds (YYYY-MM-DD): daily exports and logs.
DATE = "{date}"


@dataclass(frozen=True)
class DateRange:
    """The days a data interval [since, until) touches: a file named for one of them is that
    interval's."""

    first: date
    last: date

    @classmethod
    def of(cls, since: str, until: str) -> DateRange:
        end = datetime.fromisoformat(until) - timedelta(microseconds=1)
        return cls(datetime.fromisoformat(since).date(), end.date())

    def holds(self, name: str, pattern: str) -> bool:
        """Whether the file `name`, matching `pattern` with its `{date}`, is of these days."""
        match = _date_in(pattern).match(name)
        if match is None:
            return False
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:  # an impossible day, such as 2023-02-30: no interval's
            return False
        return self.first <= day <= self.last


def _date_in(pattern: str) -> re.Pattern[str]:
    before, _, after = pattern.partition(DATE)
    return re.compile(f"{_glob(before)}(\\d{{4}}-\\d{{2}}-\\d{{2}}){_glob(after)}\\Z")


def _glob(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def file_glob(pattern: str) -> str:
    """The glob of a file name pattern: its `{date}` stands for any YYYY-MM-DD."""
    return pattern.replace(DATE, "????-??-??")


def matching(
    folder: Path, pattern: str, since: str | None = None, dates: DateRange | None = None
) -> list[Path]:
    """The files of a source in name order, from the file named `since` on (the newest file
    read last time may have grown), or those of the days `dates`; a missing folder is a user
    error."""
    if not folder.is_dir():
        raise ArmazemError(
            f"source folder {folder} does not exist",
            "check the table's path in sources/, or run `armazem simulate` if the project has one",
        )
    return sorted(
        p for p in folder.glob(file_glob(pattern))
        if (since is None or p.name >= since) and (dates is None or dates.holds(p.name, pattern))
    )  # fmt: skip


def read_csv(
    paths: Iterable[Path],
    columns: list[str],
    header: bool = True,
    delimiter: str = ",",
    encoding: str = "utf8",
    block_size: int = 16 << 20,
) -> Reader:
    """Every value as text (the contract casts it), with `source_file` and `row_number`; rows with
    the wrong field count are unreadable."""
    for path in paths:
        rejected: list[tuple[str, str]] = []

        def on_invalid(row: pacsv.InvalidRow, path: Path = path, rejected=rejected) -> str:
            rejected.append((f"{path.name} line {row.number}: expected {row.expected_columns} "
                             f"fields, found {row.actual_columns}", row.text or ""))  # fmt: skip
            return "skip"

        if _is_empty(path):  # no records (pyarrow calls it an error)
            continue
        try:
            reader = _open_csv(path, columns, header, delimiter, encoding, block_size, on_invalid)
        except (pa.ArrowInvalid, OSError) as exc:  # OSError: e.g. a gzip file cut short
            if isinstance(exc, pa.ArrowInvalid) and _header_only(exc):  # no records after it
                continue
            raise _not_csv(path, exc) from None
        position = 0
        for record_batch in _guarded(reader, path):
            numbers = range(position + 1, position + record_batch.num_rows + 1)
            position += record_batch.num_rows
            rows, undecodable = _decoded(pa.Table.from_batches([record_batch]))
            if undecodable:
                for index in sorted(undecodable):
                    values = record_batch.slice(index, 1).to_pylist()[0].values()
                    raw = ",".join(_text(v or b"") for v in values)
                    rejected.append((f"{path.name} row {numbers[index]}: bytes are not UTF-8", raw))
                keep = [i not in undecodable for i in range(rows.num_rows)]
                rows = rows.filter(pa.array(keep))
                numbers = [n for n, k in zip(numbers, keep, strict=True) if k]
            yield Batch(_with_origin(rows, path, numbers), unreadable(rejected))
            rejected.clear()
        if rejected:
            empty = pa.table({c: pa.array([], pa.string()) for c in columns})
            yield Batch(_with_origin(empty, path, []), unreadable(rejected))


def _open_csv(
    path: Path,
    columns: list[str],
    header: bool,
    delimiter: str,
    encoding: str,
    block_size: int,
    on_invalid: Callable[[pacsv.InvalidRow], str],
) -> pacsv.CSVStreamingReader:
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=columns,
            skip_rows=1 if header else 0,
            encoding=encoding,
            block_size=block_size,
            use_threads=False,  # pyarrow knows a bad row's line number only single-threaded
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=True
        ),
        # Bytes, not text: a value that is not UTF-8 quarantines its row instead of the file;
        # an empty field is a missing value.
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.binary()), strings_can_be_null=True
        ),
    )


def _guarded(reader: pacsv.CSVStreamingReader, path: Path) -> Iterator[pa.RecordBatch]:
    """The reader's batches; a file pyarrow cannot parse on (e.g. a quote never closed) stops
    the load with one line naming it, before anything of it is committed."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
            raise _not_csv(path, exc) from None
        yield batch


def _is_empty(source: Path) -> bool:
    """A file, or an open stream (an object on S3, see object_store), with no bytes at all."""
    if isinstance(source, Path):
        return source.stat().st_size == 0
    return not cast(BufferedReader, source).peek(1)


def _header_only(exc: pa.ArrowInvalid) -> bool:
    return "Empty CSV file" in str(exc) or "Could not skip initial" in str(exc)


def _not_csv(path: Path, exc: Exception) -> ArmazemError:
    """A file pyarrow cannot go on parsing; one that happens: a row with both the wrong number
    of fields and bytes that are not UTF-8 (pyarrow decodes the row before handing it over)."""
    reason = " ".join(str(exc).split())[:200]
    return ArmazemError(f"{path.name} cannot be read as CSV: {reason}",
                        "repair or remove the file, then load again")  # fmt: skip


def read_documents(
    paths: Iterable[Path], fields: dict[str, str], rest: str | None, batch_size: int
) -> Reader:
    """JSON-lines documents flattened to columns: `fields` maps a document field to a column;
    every other field goes, as JSON text, into the column `rest` (if given)."""
    for path in paths:
        for lines in _line_batches(path, batch_size):
            rows: dict[str, list[object]] = {
                c: [] for c in [*fields.values(), *([rest] if rest else [])]
            }
            rejected = []
            for number, raw in lines:
                document = _parse_document(raw)
                if not isinstance(document, dict):
                    rejected.append((f"{path.name} line {number}: {document}", _text(raw)))
                    continue
                flatten(document, fields, rest, rows)
            table = pa.table({c: pa.array(v, pa.string()) for c, v in rows.items()})
            yield Batch(table, unreadable(rejected))


def read_json(
    paths: Iterable[Path],
    fields: dict[str, str],
    rest: str | None,
    batch_size: int,
    records_key: str | None = None,
) -> Reader:
    """JSON files that each hold a list of records: the document itself, or the list under
    `records_key` of a JSON object. Records are flattened like `read_documents`, numbered from 1
    in each file (`source_file`, `row_number`). A file that is not such a document stops the read;
    a record that is not an object is unreadable."""
    for path in paths:
        try:
            document = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArmazemError(
                f"{path} is not a readable JSON document ({exc})",
                "replace the file, or declare its format (jsonl for one document per line)",
            ) from None
        records = document
        if isinstance(document, dict) and records_key:
            records = document.get(records_key)
        if not isinstance(records, list):
            found = ", ".join(sorted(document)) if isinstance(document, dict) else "no object"
            raise ArmazemError(
                f"{path} holds no list of records under {records_key!r} (found: {found})",
                "set the table's records_key to the key that holds the list",
            )
        for start in range(0, max(len(records), 1), batch_size):
            chunk = records[start : start + batch_size]
            rows: dict[str, list[object]] = {
                c: [] for c in [*fields.values(), *([rest] if rest else [])]
            }
            rejected, numbers = [], []
            for number, record in enumerate(chunk, start=start + 1):
                if not isinstance(record, dict):
                    rejected.append((f"{path.name} record {number}: not a JSON object",
                                     json.dumps(record, ensure_ascii=False)))  # fmt: skip
                    continue
                flatten(record, fields, rest, rows)
                numbers.append(number)
            table = pa.table({c: pa.array(v, pa.string()) for c, v in rows.items()})
            yield Batch(_with_origin(table, path, numbers), unreadable(rejected))


def flatten(
    document: dict, fields: dict[str, str], rest: str | None, rows: dict[str, list]
) -> None:
    """One document as a row: each field's value as text (objects and lists as JSON) under its
    column; every other field, as sorted-keys JSON, under `rest`. A field name with dots that is
    not itself a key reaches into nested objects (`fields.status.name`); the value found leaves
    what goes to `rest`."""
    for field_name, column in fields.items():
        value = _take(document, field_name)
        if value is None:
            rows[column].append(None)
        elif isinstance(value, dict | list):
            rows[column].append(json.dumps(value, sort_keys=True, ensure_ascii=False))
        else:
            rows[column].append(str(value))
    if rest:
        rows[rest].append(json.dumps(document, sort_keys=True) if document else None)


def _take(document: dict, name: str) -> object:
    if name in document or "." not in name:
        return document.pop(name, None)
    head, _, tail = name.partition(".")
    inner = document.get(head)
    if not isinstance(inner, dict):
        return None
    value = _take(inner, tail)
    if not inner:
        del document[head]
    return value


def read_access_logs(paths: Iterable[Path], batch_size: int) -> Reader:
    """Combined-format lines parsed into columns; a line that does not parse is unreadable."""
    for path in paths:
        for lines in _line_batches(path, batch_size):
            rejected = []
            text: list[str] = []
            numbers: list[int] = []
            for number, raw in lines:
                try:
                    text.append(raw.decode("utf-8"))
                    numbers.append(number)
                except UnicodeDecodeError:
                    rejected.append((f"{path.name} line {number}: bytes are not UTF-8", _text(raw)))
            parsed = pc.extract_regex(pa.array(text, pa.string()), COMBINED_LOG)
            times = _log_times(pc.struct_field(parsed, "time"))
            ok = pc.and_kleene(pc.is_valid(parsed), pc.is_valid(times))
            for number, line, fine, form in zip(
                numbers, text, ok.to_pylist(), pc.is_valid(parsed).to_pylist(), strict=True
            ):
                if not fine:
                    why = (
                        "time is not a valid timestamp"
                        if form
                        else "not a combined-format log line"
                    )
                    rejected.append((f"{path.name} line {number}: {why}", line))
            good = pc.filter(parsed, ok)
            columns = {name: good.field(name) for name in LOG_COLUMNS}
            columns["time"] = pc.filter(times, ok)
            columns["bytes"] = pc.if_else(pc.equal(columns["bytes"], "-"), "0", columns["bytes"])
            kept = pc.filter(pa.array(numbers, pa.int64()), ok).to_pylist()
            yield Batch(_with_origin(pa.table(columns), path, kept), unreadable(rejected))


def _log_times(stamps: pa.Array) -> pa.Array:
    """`10/Oct/2000:13:55:36 -0700` as UTC, or null unless valid exactly as written.

    Arrow's strptime checks each field's range but not the day against its month, so
    `31/Apr/2024` would come out as 1 May. A local time that does not print back as the same
    text (the month's name in any case) is not a real time: null, and the line is quarantined.
    """
    zone = r"[+-](?:[01]\d|2[0-3])[0-5]\d"  # strptime's %z takes +9900 too
    local = pc.struct_field(pc.extract_regex(stamps, rf"^(?P<local>\S+) {zone}$"), "local")
    written = pc.strptime(local, format=LOG_TIME, unit="s", error_is_null=True)
    same = pc.equal(pc.utf8_lower(pc.strftime(written, format=LOG_TIME)), pc.utf8_lower(local))
    times = pc.strptime(stamps, format=f"{LOG_TIME} %z", unit="s", error_is_null=True)
    return pc.if_else(same, times.cast(pa.timestamp("s")), pa.scalar(None, pa.timestamp("s")))


def read_parquet(paths: Iterable[Path], batch_size: int) -> Reader:
    """Parquet files as they are typed (the contract casts them), batch by batch."""
    import pyarrow.parquet as pq

    for path in paths:
        try:
            handle = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ArmazemError(f"{path} is not a readable Parquet file: {exc}",
                               "replace or remove the file, then load again") from None  # fmt: skip
        position = 0
        for record_batch in handle.iter_batches(batch_size=batch_size):
            numbers = range(position + 1, position + record_batch.num_rows + 1)
            position += record_batch.num_rows
            yield Batch(_with_origin(pa.Table.from_batches([record_batch]), path, numbers))


def _decoded(rows: pa.Table) -> tuple[pa.Table, set[int]]:
    """Binary columns as text, and the indexes of rows with a value that is not UTF-8."""
    columns, bad = {}, set()
    for name in rows.column_names:
        try:
            columns[name] = rows[name].cast(pa.string())
        except pa.ArrowInvalid:  # rare: find the offending rows one by one
            values = []
            for index, value in enumerate(rows[name].to_pylist()):
                try:
                    values.append(None if value is None else value.decode("utf-8"))
                except UnicodeDecodeError:
                    values.append(None)
                    bad.add(index)
            columns[name] = pa.array(values, pa.string())
    return pa.table(columns), bad


def _with_origin(rows: pa.Table, path: Path, numbers: Iterable[int]) -> pa.Table:
    """The file and the row (or line) number each row came from: its natural key."""
    numbers = pa.array(list(numbers), pa.int64())
    return rows.append_column(
        "source_file", pa.array([path.name] * len(numbers), pa.string())
    ).append_column("row_number", numbers)


def _line_batches(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    """Numbered non-empty lines in lists of at most `size`; bytes, so bad encodings surface."""
    batch: list[tuple[int, bytes]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\r\n")
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if line.strip():
                batch.append((number, line))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def _parse_document(raw: bytes) -> dict[str, object] | str:
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "bytes are not UTF-8"
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg})"
    return document if isinstance(document, dict) else "not a JSON object"


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")
