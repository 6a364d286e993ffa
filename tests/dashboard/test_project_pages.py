"""A project's pages are found in its dashboards folder, in their order; a broken page is a
message on that page, not a broken app."""

from __future__ import annotations

from pathlib import Path

from tests.softcart import PROJECT_DIR

from armazem.dashboard.pages import engine_pages, project_pages


def test_softcart_pages_come_first_then_the_engines() -> None:
    found = [*project_pages(PROJECT_DIR / "dashboards"), *engine_pages()]
    assert [(p.title, p.url_path) for p in found] == [
        ("Sales", "sales"), ("Catalog", "catalog"), ("Web traffic", "web_traffic"),
        ("Tables", "tables"), ("Data health", "data_health"),
    ]  # fmt: skip


def test_pages_helpers_and_broken_pages(tmp_path: Path) -> None:
    (tmp_path / "_sql.py").write_text("ANSWER = 42\n")
    (tmp_path / "b_second.py").write_text(
        'import _sql\nTITLE = "Second"\nORDER = 2\ndef render():\n    return _sql.ANSWER\n'
    )
    (tmp_path / "a_first.py").write_text("ORDER = 1\ndef render():\n    return 1\n")
    (tmp_path / "c_broken.py").write_text("def render(:\n")
    (tmp_path / "d_empty.py").write_text("X = 1\n")
    pages = project_pages(tmp_path)
    assert [(p.title, p.url_path) for p in pages] == [
        ("A first", "a_first"), ("Second", "b_second"), ("C broken", "c_broken"),
        ("D empty", "d_empty"),
    ]  # fmt: skip
    assert pages[1].render() == 42  # the helper module imported as a plain module
    assert pages[2].render.__name__ == "render" and pages[2].order == 100
    assert project_pages(tmp_path / "absent") == []
