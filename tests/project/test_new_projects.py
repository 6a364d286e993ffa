"""A schema no project knows, end to end as a user meets it: `armazem init`, `sources discover
--write`, one dbt model, `armazem run` publishes it; a change at the source and a second run
load incrementally. On a MariaDB database, a SQLite file and a folder of CSV files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pymysql
import pytest

LIBRARY = (
    "CREATE TABLE books (book_id INTEGER PRIMARY KEY {auto}, title VARCHAR(200) NOT NULL, "
    "price DECIMAL(8,2))",
    "CREATE TABLE members (member_id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, joined DATE)",
    "CREATE TABLE loans (loan_id BIGINT PRIMARY KEY, book_id INTEGER NOT NULL, "
    "member_id INTEGER NOT NULL, returned SMALLINT, updated_at {timestamp} NOT NULL)",
    "INSERT INTO books (title, price) VALUES ('Dune', 9.99), ('Emma', 5.50)",
    "INSERT INTO members VALUES (1, 'Ana', '2024-01-02'), (2, 'Rui', NULL)",
    "INSERT INTO loans VALUES (1, 1, 1, 0, '2026-01-02 11:00:00'), "
    "(2, 2, 2, 1, '2026-01-01 08:00:00')",
)
CHANGES = (
    "INSERT INTO books (title, price) VALUES ('Ubik', 7.00)",
    "INSERT INTO loans VALUES (3, 3, 1, 0, '2026-02-01 09:00:00')",
    "UPDATE loans SET returned = 1, updated_at = '2026-02-01 10:00:00' WHERE loan_id = 1",
)
MODEL = """select l.loan_id, b.title, m.name as member, l.returned
from {{ source('library', 'loans') }} l
join {{ source('library', 'books') }} b using (book_id)
join {{ source('library', 'members') }} m using (member_id)
"""


def armazem(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    result = subprocess.run(
        [sys.executable, "-m", "armazem", *args], cwd=project, env={**env, "COLUMNS": "200"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def new_project(tmp_path: Path) -> Path:
    project = tmp_path / "library"
    armazem(tmp_path, "init", str(project))
    assert (project / "armazem.toml").is_file()
    (project / "transform" / "models" / "example.sql").unlink()
    return project


def production(project: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def loads(project: Path) -> dict[str, tuple[str, int]]:
    """The tables of one `armazem ingest --json`: mode and rows read."""
    report = json.loads(armazem(project, "ingest", "--json").stdout)
    return {r["table"]: (r["mode"], r["read"]) for r in report["loads"]}


def run_library(
    tmp_path: Path, connection: str, execute: Callable[[tuple[str, ...]], None]
) -> None:
    project = new_project(tmp_path)
    found = armazem(project, "sources", "discover", "library", "--connection", connection,
                    "--write")  # fmt: skip
    assert "books, loans, members" in found.stdout
    listed = armazem(project, "sources", "list").stdout
    assert "library.books  sql  append cursor book_id key book_id" in listed
    assert "library.loans  sql  merge cursor updated_at key loan_id" in listed
    assert "library.members  sql  full key member_id" in listed
    armazem(project, "sources", "check")
    # Discovering again never overwrites what the user may have edited; it adds new tables only.
    again = armazem(project, "sources", "discover", "library", "--connection", connection,
                    "--write")  # fmt: skip
    assert "nothing new" in again.stdout
    execute(("CREATE TABLE authors (author_id INTEGER PRIMARY KEY, name VARCHAR(100))",))
    added = armazem(project, "sources", "discover", "library", "--connection", connection,
                    "--write")  # fmt: skip
    assert "sources/library.yml: authors" in added.stdout
    assert "library.authors  sql" in armazem(project, "sources", "list").stdout
    (project / "transform" / "models" / "fct_loans.sql").write_text(MODEL)

    summary = armazem(project, "run").stdout
    assert "1 marts to production" in summary
    assert production(project, "SELECT loan_id, title, returned FROM production.fct_loans "
                               "ORDER BY 1") == [(1, "Dune", 0), (2, "Emma", 1)]  # fmt: skip

    execute(CHANGES)
    incremental = loads(project)
    assert incremental["library.books"] == ("append", 1)  # only the new book
    # the changed and the new loan (the lookback of 1h re-reads nothing else), not loan 2
    assert incremental["library.loans"] == ("merge", 2)
    armazem(project, "transform")
    after = production(
        project, "SELECT loan_id, title, returned FROM production.fct_loans ORDER BY 1"
    )
    assert after == [(1, "Dune", 1), (2, "Emma", 1), (3, "Ubik", 0)]
    assert production(project, "SELECT count(*) FROM raw_library.books") == [(3,)]


@pytest.mark.services
def test_a_mariadb_library_no_project_knows(tmp_path: Path, mariadb_database: str) -> None:
    name = mariadb_database.rsplit("/", 1)[1]
    con = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)

    def execute(statements: tuple[str, ...]) -> None:
        with con.cursor() as cur:
            for statement in statements:
                cur.execute(statement)

    execute((f"CREATE DATABASE {name}", f"USE {name}"))
    execute(tuple(s.format(auto="AUTO_INCREMENT", timestamp="DATETIME") for s in LIBRARY))
    try:
        run_library(tmp_path, mariadb_database, execute)
    finally:
        con.close()


def test_a_sqlite_library_no_project_knows(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"

    def execute(statements: tuple[str, ...]) -> None:
        with sqlite3.connect(path) as con:
            for statement in statements:
                con.execute(statement)

    execute(tuple(s.format(auto="", timestamp="DATETIME") for s in LIBRARY))
    run_library(tmp_path, f"sqlite:///{path}", execute)


def test_a_folder_of_csv_files_no_project_knows(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    exports = project / "exports" / "visits"
    exports.mkdir(parents=True)
    (exports / "2026-01-01.csv").write_text("\ufeffVisit Day,Branch,Visitors\n2026-01-01,north,12\n"
                                            "2026-01-01,south,7\n")  # fmt: skip
    armazem(project, "sources", "discover", "visits", "--connection", "exports/visits", "--write")
    declared = (project / "sources" / "visits.yml").read_text()
    assert "format: csv" in declared and "visit_day: DATE" in declared
    assert "visitors: BIGINT" in declared
    (project / "transform" / "models" / "fct_visits.sql").write_text(
        "select visit_day, branch, visitors from {{ source('visits', 'visits') }}\n"
    )
    armazem(project, "run")
    assert production(project, "SELECT sum(visitors) FROM production.fct_visits") == [(19,)]

    (exports / "2026-01-02.csv").write_text("Visit Day,Branch,Visitors\n2026-01-02,north,30\n")
    assert loads(project)["visits.visits"] == ("append", 3)  # the newest old file, and the new one
    armazem(project, "transform")
    assert production(project, "SELECT count(*), sum(visitors) FROM production.fct_visits") == [
        (3, 49)
    ]


def test_a_mongodb_collection_no_project_knows(tmp_path: Path, mongo_url: str) -> None:
    import pymongo

    database = f"library_{tmp_path.name[-8:].replace('-', '_')}"
    client = pymongo.MongoClient(mongo_url)
    client[database]["reviews"].insert_many([
        {"book": "Dune", "stars": 5, "tags": ["sf"], "by": {"name": "Ana"}},
        {"book": "Emma", "stars": 4.5, "tags": []},
    ])  # fmt: skip
    client.close()
    project = new_project(tmp_path)
    url = f"{mongo_url}/{database}"
    armazem(project, "sources", "discover", "reviews", "--connection", url, "--write")
    declared = (project / "sources" / "reviews.yml").read_text()
    assert "collection: reviews" in declared and "stars: DOUBLE" in declared  # 5 and 4.5
    (project / "transform" / "models" / "fct_reviews.sql").write_text(
        "select book, stars, attributes from {{ source('reviews', 'reviews') }}\n"
    )
    armazem(project, "run")
    rows = production(project, "SELECT book, stars, attributes FROM production.fct_reviews "
                               "ORDER BY book")  # fmt: skip
    assert [(book, stars) for book, stars, _ in rows] == [("Dune", 5.0), ("Emma", 4.5)]
    assert json.loads(rows[0][2]) == {"by": {"name": "Ana"}, "tags": ["sf"]}  # the rest, as JSON


def test_the_softcart_example_is_a_project_init_copies(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    armazem(tmp_path, "init", str(project), "--example", "softcart")
    for part in ("armazem.toml", "sources/shop.yml", "transform/dbt_project.yml",
                 "dashboards/sales.py"):  # fmt: skip
        assert (project / part).is_file(), part
    assert not (project / "data").exists()
    listed = armazem(project, "sources", "list").stdout.splitlines()
    assert len(listed) == 16  # 11 raw tables, 5 of the Spark jobs' results
    assert "shop.order_lines  sql  append cursor order_line_id key order_line_id" in listed
    again = subprocess.run([sys.executable, "-m", "armazem", "init", str(project)],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert again.returncode == 2 and "exists and is not empty" in again.stderr


def test_a_copied_example_still_finds_the_capstone_data(tmp_path: Path) -> None:
    """TechCo's legacy export is named `{capstone_dir}/...`; the copy's capstone_dir points at
    the folder the example's relative one did, so the export loads from the copy."""
    project = tmp_path / "company"
    armazem(tmp_path, "init", str(project), "--example", "techco")
    config = (project / "armazem.toml").read_text(encoding="utf-8")
    example = Path(__file__).resolve().parents[2] / "examples" / "techco"
    capstone = (example / "../../../shared/capstone").resolve()
    assert f'capstone_dir = "{capstone.as_posix()}"' in config
    armazem(project, "ingest", "legacy")
    document = json.loads((capstone / "seed1-techcompany" / "dados.json").read_text("utf-8"))
    loaded = production(project, "SELECT count(*) FROM raw_legacy.departamentos")
    assert loaded == [(len(document["Departamentos"]),)]


def test_init_names_the_examples_it_has(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "armazem", "init", str(tmp_path / "x"), "--example", "nope"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "unknown example 'nope'" in result.stderr and "softcart" in result.stderr
    assert "techco" in result.stderr
