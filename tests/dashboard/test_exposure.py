"""What the dashboard exposes: it listens on 127.0.0.1 unless told otherwise, and the browser can
send it no SQL: its widgets only choose among values the app offers, and what they choose
reaches SQL as a parameter or as an identifier the warehouse's catalogue must know."""

from __future__ import annotations

import hmac
import re
import socket
from pathlib import Path

import duckdb
import pytest
from tests.dashboard import browser as b

from armazem.dashboard import queries
from armazem.dashboard.db import DuckDBReader
from armazem.errors import ArmazemError

REPO = Path(__file__).resolve().parents[2]
PAGES = [*(REPO / "src/armazem/dashboard").rglob("*.py"),
         *(REPO / "examples/softcart/dashboards").glob("*.py")]  # fmt: skip
# Streamlit inputs that would let a visitor type (or a URL carry) free text into the app.
FREE_TEXT = re.compile(r"\bst\.(text_input|text_area|chat_input|query_params|experimental_get_"
                       r"query_params|number_input|data_editor|file_uploader)\b")  # fmt: skip


def listening(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_the_dashboard_listens_on_loopback_only_by_default(tmp_path: Path) -> None:
    with b.dashboard(tmp_path / "data", host=None) as url:
        port = int(url.rsplit(":", 1)[1])
        assert listening(port) == {"127.0.0.1"}


def test_no_page_takes_free_text_from_the_browser() -> None:
    assert len(PAGES) > 10
    typed = {str(p.relative_to(REPO)): FREE_TEXT.findall(p.read_text()) for p in PAGES}
    assert {p: found for p, found in typed.items() if found} == {}


@pytest.fixture
def reader(tmp_path: Path) -> DuckDBReader:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA production; CREATE TABLE production.t AS SELECT 1 AS x")
        con.execute("CREATE TABLE production.people AS SELECT 'ana@example.com' AS email, "
                    "'Silva' AS last_name, 1 AS id")  # fmt: skip
        con.execute("CREATE SCHEMA _armazem; CREATE TABLE _armazem.quarantine (load_id text, "
                    "source text, table_name text, reason text, record text, "
                    "quarantined_at timestamp)")  # fmt: skip
    return DuckDBReader(path)


HOSTILE = ['t"; DROP TABLE production.t; --', "t' OR '1'='1", "x); DELETE FROM production.t; --"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_forged_widget_value_runs_no_sql(reader: DuckDBReader, value: str) -> None:
    """A visitor who forges the websocket message of a selectbox: as a table name the value must
    be a table the catalogue knows; as a filter it is a parameter."""
    with pytest.raises(ArmazemError, match="does not exist"):
        queries.preview(reader, "production", value, ())
    with pytest.raises(ArmazemError, match="does not exist"):
        queries.preview(reader, value, "t", ())
    assert len(queries.quarantine_samples(reader, value, value, value)) == 0
    assert queries.row_count(reader, "production", "t") == 1  # nothing was dropped or deleted


def test_the_tables_page_shows_keyed_pseudonyms_on_duckdb(reader: DuckDBReader) -> None:
    masks = (("email", "hash"), ("last_name", "drop"))
    shown = queries.preview(reader, "production", "people", masks, "k3y").records()
    digest = hmac.new(b"k3y", b"ana@example.com", "sha256").hexdigest()
    assert shown == [{"email": digest, "id": 1}]
    assert queries.preview(reader, "production", "people", masks).records() == [{"id": 1}]
    assert queries.preview(reader, "production", "t", masks, "k3y").records() == [{"x": 1}]
