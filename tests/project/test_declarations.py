"""Bad declarations: each gives one line naming the file, the line and the fix, and nothing runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from armazem.errors import ArmazemError
from armazem.project import load_project
from armazem.project.tables import source_tables
from armazem.settings import load_settings

GOOD = """kind: sql
connection: oltp_url
tables:
  books:
    mode: merge
    cursor: updated_at
    key: book_id
    columns:
      book_id: INTEGER
      updated_at: TIMESTAMP
"""


def project_with(tmp_path: Path, source: str, toml: str = "") -> Path:
    (tmp_path / "armazem.toml").write_text(f'{toml}[project]\nname = "lib"\n')
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "shop.yml").write_text(source)
    return tmp_path


def parse(folder: Path) -> None:
    source_tables(load_project(load_settings(folder / "armazem.toml")))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("ARMAZEM_")]:
        monkeypatch.delenv(name)


CORPUS = [
    ("unknown mode", GOOD.replace("mode: merge", "mode: upsert"),
     "sources/shop.yml:5: unknown mode 'upsert' (fix: use full, append or merge)"),
    ("unknown key", GOOD.replace("    key: book_id", "    key: book_id\n    primary: x"),
     "sources/shop.yml:8: unknown key 'primary'"),
    ("wrong type", GOOD.replace("book_id: INTEGER", "book_id: NUMBERISH"),
     "sources/shop.yml:8: tables.books.columns: column 'book_id' has unknown type 'NUMBERISH'"),
    ("merge without a key", GOOD.replace("    key: book_id\n", ""),
     "sources/shop.yml:4: tables.books: mode merge needs a key"),
    ("cursor not in columns", GOOD.replace("cursor: updated_at", "cursor: changed"),
     "sources/shop.yml:4: tables.books: cursor 'changed' is not among the columns"),
    ("duplicate table", GOOD + "  books:\n    columns: {a: INTEGER}\n",
     "sources/shop.yml:11: key 'books' appears twice"),
    ("hostile column", GOOD.replace("book_id: INTEGER", "'x\"; drop table y; --': INTEGER"),
     "is not a plain identifier"),
    ("hostile table", GOOD.replace("  books:", "  'books; drop table y':"),
     "is not a plain identifier"),
    ("hostile required column", GOOD + "    required: [\"a' OR 1=1 --\"]\n",
     "required column \"a' OR 1=1 --\" is not among the columns"),
    ("missing variable", GOOD.replace("oltp_url", "mysql://u:${NO_SUCH_SECRET}@db/x"),
     "sources/shop.yml.connection uses ${NO_SUCH_SECRET}, which is not set"),
    ("written password", GOOD.replace("oltp_url", "mysql://u:hunter2@db/x"),
     "holds a password written in the file"),
    ("bad lookback", GOOD.replace("mode: merge", "mode: merge\n    lookback: 1 week"),
     "lookback '1 week' is not a duration"),
    ("not yaml", "kind: sql\n  tables: [", "sources/shop.yml:2: not valid YAML"),
    ("files without a path", "kind: files\nformat: csv\ntables:\n  t:\n    columns: {a: VARCHAR}\n",
     "needs a path"),
    ("unknown kind", GOOD.replace("kind: sql", "kind: oracle"),
     "sources/shop.yml:1: unknown kind 'oracle' (fix: use sql, mongodb, files or http_api)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "message"), CORPUS, ids=[c[0] for c in CORPUS])
def test_a_bad_declaration_is_one_line_with_its_place_and_fix(
    tmp_path: Path, case: str, text: str, message: str
) -> None:
    with pytest.raises(ArmazemError) as caught:
        parse(project_with(tmp_path, text))
    shown = str(caught.value)
    assert message in shown, case
    assert "\n" not in shown and "(fix: " in shown
    assert "hunter2" not in shown


def test_a_good_declaration_parses(tmp_path: Path) -> None:
    (table,) = source_tables(
        load_project(load_settings(project_with(tmp_path, GOOD) / "armazem.toml"))
    )
    assert (table.name, table.mode, table.cursor, table.contract.key) == (
        "shop.books", "merge", "updated_at", ("book_id",),
    )  # fmt: skip


def test_a_secret_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIB_PASSWORD", "s3cret")
    text = GOOD.replace("oltp_url", "mysql://u:${LIB_PASSWORD}@127.0.0.1/x")
    project = load_project(load_settings(project_with(tmp_path, text) / "armazem.toml"))
    assert project.sources["shop"].connection == "mysql://u:s3cret@127.0.0.1/x"


def test_a_settings_file_with_a_written_password_is_refused(tmp_path: Path) -> None:
    toml = 'oltp_url = "mysql://root:hunter2@127.0.0.1/shop"\n'
    with pytest.raises(ArmazemError, match="holds a password written in the file") as caught:
        load_settings(project_with(tmp_path, GOOD, toml) / "armazem.toml")
    assert "hunter2" not in str(caught.value)


def test_the_project_folder_is_found_upward_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_with(tmp_path, GOOD)
    deeper = tmp_path / "transform" / "models"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    assert load_settings().base_dir == tmp_path.resolve()


def test_check_reports_each_problem_on_one_line(tmp_path: Path) -> None:
    from armazem.project.check import problems

    text = GOOD.replace("connection: oltp_url", "connection: sqlite:///absent.sqlite")
    text += '    rules:\n      sane: "book_id >>> 0"\n'
    folder = project_with(tmp_path, text)
    (folder / "sources" / "broken.yml").write_text("kind: sql\ntables: {}\n")
    settings = load_settings(folder / "armazem.toml")
    found = list(problems(load_project(settings), settings))
    assert len(found) == 3, found
    assert found[0].startswith("sources/broken.yml:2: tables: a source needs at least one table")
    assert found[1].startswith("sources/shop.yml: shop.books: rule 'sane' does not compile")
    assert "absent.sqlite does not exist" in found[2]
    assert all("\n" not in line and "(fix: " in line for line in found)
