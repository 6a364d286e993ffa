"""No secret leaks: a password in every URL setting and a token in the HTTP source, the whole
platform run (`armazem run` as a real process, then status, sources, publish --status and a
failing ingest), and every byte under the project's folder (logs, dbt artifacts, manifests, the
lake, the DuckDB file), every text value in the warehouse and everything printed searched for
them. On a DuckDB warehouse and on a PostgreSQL one (whose password dbt gets too).

PostgreSQL (trust authentication on 127.0.0.1) accepts any password, which is what lets the source
and the warehouse URLs carry one here. PostgreSQL down is a failure saying how to start it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import duckdb
import psycopg
import pytest

from armazem.errors import START_POSTGRES

pytestmark = [pytest.mark.services, pytest.mark.slow]

SERVER = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = f"pw-{secrets.token_hex(8)}"  # in every URL
TOKEN = f"tok-{secrets.token_hex(8)}"  # the API's key, a query parameter
API_PASSWORD = f"basic-{secrets.token_hex(8)}"  # the API's basic-auth password, in its URL
KEY = f"key-{secrets.token_hex(8)}"  # the pseudonym key of personal data
SECRETS = (PASSWORD, TOKEN, API_PASSWORD, KEY)
RECORDS = [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, "not an object", {"id": 3}]

SETTINGS = """
profile = "embedded"
data_dir = "data"
oltp_url = "postgresql://postgres:${VAULT_PASSWORD}@127.0.0.1:5432/{source_db}"
mysql_url = "mysql://root:${VAULT_PASSWORD}@127.0.0.1:3306"
postgres_url = "postgresql://postgres:${VAULT_PASSWORD}@127.0.0.1:5432/postgres"
mongodb_url = "mongodb://reader:${VAULT_PASSWORD}@127.0.0.1:27017/catalog"
s3_endpoint_url = "http://minio:${VAULT_PASSWORD}@127.0.0.1:9000"
pseudonym_key = "${VAULT_KEY}"

[project]
name = "vault"
publish = ["dim_", "fct_"]
personal = {email = "hash"}

[connections]
api = "http://reader:${VAULT_API_PASSWORD}@127.0.0.1:{api_port}"

[profiles.embedded]
warehouse_url = "duckdb:///{data_dir}/warehouse.duckdb"

[profiles.services]
warehouse_url = "postgresql://postgres:${VAULT_PASSWORD}@127.0.0.1:5432/{warehouse_db}"
"""
SHOP = """kind: sql
connection: oltp_url
tables:
  customers:
    mode: merge
    cursor: updated_at
    key: id
    columns: {id: INTEGER, email: VARCHAR, updated_at: TIMESTAMP}
"""
API = """kind: http_api
connection: api
tables:
  items:
    endpoint: /items
    params: {api_key: "${VAULT_TOKEN}"}
    key: id
    fields: {id: id, name: name}
    columns: {id: INTEGER, name: VARCHAR}
  flaky:
    endpoint: /flaky
    params: {api_key: "${VAULT_TOKEN}"}
    key: id
    fields: {id: id}
    columns: {id: INTEGER}
"""
MODELS = {
    "dim_customer.sql": "select id, email from {{ source('shop', 'customers') }}",
    "fct_items.sql": "select id, name from {{ source('api', 'items') }}",
}


class Api(BaseHTTPRequestHandler):
    """Answers only with the right basic-auth password and api_key; /flaky fails with a 500
    once `failing` is set."""

    failing = False

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        expected = "Basic " + base64.b64encode(f"reader:{API_PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected or query.get("api_key") != [TOKEN]:
            self._answer(401, {"error": "bad credentials"})
        elif url.path == "/flaky" and Api.failing:
            self._answer(500, {"error": "failing"})
        else:
            self._answer(200, {"data": RECORDS if query.get("page") == ["1"] else []})

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """The API on 127.0.0.1, a PostgreSQL source database with two customers, and the name of
    a warehouse database (created by the platform); dropped at the end."""
    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        problem: str | None = str(exc)
    else:
        problem = None
    if problem is not None:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable ({problem}); start it with "
                    f"`{START_POSTGRES}`", pytrace=False)  # fmt: skip
    suffix = secrets.token_hex(4)
    names = {"source_db": f"armazem_test_vault_src_{suffix}",
             "warehouse_db": f"armazem_test_vault_wh_{suffix}"}  # fmt: skip
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{names["source_db"]}"')
    with psycopg.connect(f"{SERVER}/{names['source_db']}") as con:
        con.execute("CREATE TABLE customers (id integer primary key, email text, updated_at "
                    "timestamp); INSERT INTO customers VALUES (1, 'ana@example.com', "
                    "'2024-01-01 10:00'), (2, 'rui@example.com', '2024-01-02 11:00')")  # fmt: skip
    api = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    try:
        yield {**names, "api_port": str(api.server_address[1])}
    finally:
        api.shutdown()
        api.server_close()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_project(root: Path, servers: dict[str, str]) -> Path:
    project = root / "vault"
    (project / "sources").mkdir(parents=True)
    (project / "transform" / "models").mkdir(parents=True)
    text = SETTINGS
    for name, value in servers.items():
        text = text.replace("{" + name + "}", value)
    (project / "armazem.toml").write_text(text)
    (project / "sources" / "shop.yml").write_text(SHOP)
    (project / "sources" / "api.yml").write_text(API)
    (project / "transform" / "dbt_project.yml").write_text(
        "name: vault\nversion: '1.0'\nprofile: armazem\nmodel-paths: [models]\n"
    )
    for name, sql in MODELS.items():
        (project / "transform" / "models" / name).write_text(sql + "\n")
    return project


def armazem(project: Path, profile: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({"VAULT_PASSWORD": PASSWORD, "VAULT_TOKEN": TOKEN,
                "VAULT_API_PASSWORD": API_PASSWORD, "VAULT_KEY": KEY})  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "armazem", "--project", str(project), "--profile", profile, *args],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


def forms(secret: str) -> list[bytes]:
    """The ways a secret could be written: as is, URL-quoted, and inside basic-auth base64."""
    texts = {secret, quote(secret, safe="")}
    encoded = [base64.b64encode(f"reader:{secret}".encode()) for secret in (secret,)]
    return [t.encode() for t in texts] + encoded


def leaks(data: bytes) -> list[str]:
    return [s for s in SECRETS if any(form in data for form in forms(s))]


def text_values_duckdb(path: Path) -> list[str]:
    """Every VARCHAR value of every table in the DuckDB file (its storage may compress text)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR'"
        ).fetchall()
        return [str(v) for s, t, c in columns
                for (v,) in con.execute(f'SELECT "{c}" FROM "{s}"."{t}"').fetchall()]  # fmt: skip
    finally:
        con.close()


def text_values_postgres(url: str) -> list[str]:
    with psycopg.connect(url) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('text', 'character varying') "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        return [str(v) for s, t, c in columns
                for (v,) in con.execute(f'SELECT "{c}" FROM "{s}"."{t}"').fetchall()]  # fmt: skip


@pytest.mark.parametrize("profile", ["embedded", "services"])
def test_no_secret_anywhere_after_a_whole_run(
    servers: dict[str, str], tmp_path: Path, profile: str
) -> None:
    project = make_project(tmp_path, servers)
    run = armazem(project, profile, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    printed = [run.stdout + run.stderr]
    for args in (["status", "--json"], ["sources", "list"], ["sources", "check"],
                 ["publish", "--status"]):  # fmt: skip
        done = armazem(project, profile, *args)
        assert done.returncode == 0, (args, done.stdout + done.stderr)
        printed.append(done.stdout + done.stderr)
    Api.failing = True
    try:
        failing = armazem(project, profile, "ingest", "api.flaky")  # a 500 from the API
    finally:
        Api.failing = False
    assert failing.returncode == 2 and "500" in failing.stdout + failing.stderr
    assert "Traceback" not in failing.stderr
    printed.append(failing.stdout + failing.stderr)

    # The run did its work: both sources loaded, the API's bad record quarantined, published.
    if profile == "embedded":
        values = text_values_duckdb(project / "data" / "warehouse.duckdb")
    else:
        values = text_values_postgres(f"{SERVER}/{servers['warehouse_db']}")
    assert "ana@example.com" in values and "two" in values
    assert any("not a JSON object" in v for v in values)

    files = [p for p in project.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and any(p.name == "manifest.json" for p in files)
    found = {str(p.relative_to(project)): leaks(p.read_bytes()) for p in files}
    assert {p: s for p, s in found.items() if s} == {}
    assert [i for i, text in enumerate(printed) if leaks(text.encode())] == []
    assert [v for v in values if leaks(v.encode())] == []
