"""TechCo's people and payroll as the BI role reads them on the real PostgreSQL server: per-person
marts not at all, no name, salary or e-mail in any column, and the people and payroll figures
only for groups of at least `min_group` people, exactly as `[project.privacy]` declares.

TechCo as the session builds it (conftest.py: simulated, built into DuckDB), its sources loaded
once more, into a scratch PostgreSQL database with a scratch BI role (roles are cluster-wide, so
never `armazem_bi` itself); both are dropped at the end. The expected rows are computed here, in
Python, from production as the platform's user, not by the engine's SQL. PostgreSQL down is a
failure with the command that starts it.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from armazem.dashboard import bi, queries
from armazem.dashboard.db import DuckDBReader
from armazem.errors import START_POSTGRES
from armazem.orchestrate import steps
from armazem.orchestrate.runner import Runner
from armazem.project import load_project
from armazem.project.privacy import Privacy
from armazem.settings import Settings

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "techco"
SERVER = "postgresql://postgres@127.0.0.1:5432"
KEY = f"pseudonym-key-{uuid.uuid4().hex}"
pytestmark = pytest.mark.services


@dataclass(frozen=True)
class Built:
    embedded: Settings
    url: str  # the PostgreSQL warehouse, as the platform's user
    access: bi.BiAccess
    privacy: Privacy
    personal: dict[str, str]


@pytest.fixture(scope="module")
def built(techco: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); start: {START_POSTGRES}",
            pytrace=False,
        )
    name = f"armazem_privacy_{uuid.uuid4().hex[:8]}"
    url = f"{SERVER}/{name}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        # the session's sources, in a data folder of this module's: its lake is left as it is
        data = tmp_path_factory.mktemp("techco_postgres") / "data"
        shutil.copytree(techco.data_path / "sources", data / "sources")
        on_postgres = techco.model_copy(update={"warehouse_url": url, "data_dir": data})
        runner = Runner(on_postgres)
        runner.step("ingest", lambda: steps.load(on_postgres))
        steps.transform_and_publish(runner)
        section = load_project(on_postgres).section
        access = bi.setup(url, section.personal, role=name, password="s3cret-for-tests",
                          key=KEY, privacy=section.privacy)  # fmt: skip
        yield Built(techco, url, access, section.privacy, dict(section.personal))
    finally:
        try:
            bi.drop(url, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')
            admin.close()


def as_role(built: Built) -> psycopg.Connection:
    a = built.access
    return psycopg.connect(host=a.host, port=a.port, dbname=a.database, user=a.role,
                           password=a.password, autocommit=True)  # fmt: skip


def rows(con: psycopg.Connection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with con.cursor() as cur:
        cur.execute(sql)
        return [d.name for d in cur.description], [tuple(r) for r in cur.fetchall()]


def expected(built: Built, mart: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows the role should read of a grouped mart, from production as the platform: rows of
    fewer than min_group people left out (or their withheld columns None), personal columns out."""
    rule, least = built.privacy.groups[mart], built.privacy.min_group
    with psycopg.connect(built.url) as con:
        columns, found = rows(con, f"SELECT * FROM production.{mart}")
    people = columns.index(rule.people)
    kept = [c for c in columns if built.personal.get(c) is None]
    out = []
    for row in found:
        small = row[people] is not None and row[people] < least
        if small and not rule.columns:
            continue
        record = dict(zip(columns, row, strict=True))
        if small:
            record.update({c: None for c in rule.columns})
        out.append(tuple(record[c] for c in kept))
    return kept, out


def test_per_person_marts_are_not_readable(built: Built) -> None:
    assert set(built.privacy.hidden) == {"dim_employee", "fct_headcount_monthly"}
    with as_role(built) as con:
        for mart in built.privacy.hidden:
            with pytest.raises(psycopg.errors.UndefinedTable):
                con.execute(f"SELECT * FROM bi.{mart}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(f"SELECT count(*) FROM production.{mart}")
        # nor any other production table, whatever the role could join it with
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("SELECT count(*) FROM production.fct_general_ledger")
    assert not set(built.privacy.hidden) & set(built.access.views)
    with psycopg.connect(built.url) as con:  # they are published, for the platform
        for mart in built.privacy.hidden:
            (count,) = con.execute(f"SELECT count(*) FROM production.{mart}").fetchone()
            assert count > 0, mart


def test_no_name_salary_or_e_mail_reaches_the_role(built: Built) -> None:
    names = ("first_name", "last_name", "display_name", "nome", "annual_salary", "monthly_salary")
    with as_role(built) as con:
        _, found = rows(
            con,
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'bi' ORDER BY 1, 2",
        )
        assert found, "the role sees no relation at all"
        assert not [r for r in found if r[1] in names or "salary" in r[1]]
        for table, column, kind in found:
            if kind != "text" and not kind.startswith("character"):
                continue
            (clear,) = con.execute(
                f'SELECT count(*) FROM bi."{table}" WHERE "{column}" LIKE %s', ["%_@_%.%"]
            ).fetchone()
            assert clear == 0, f"e-mails in clear in bi.{table}.{column}"


@pytest.mark.parametrize(
    "mart",
    [
        "rpt_people_monthly",
        "fct_general_ledger",
        "rpt_profit_and_loss_monthly",
        "rpt_project_costs_monthly",
        "rpt_finance_monthly",
    ],
)
def test_the_role_reads_exactly_the_groups_of_five_or_more(built: Built, mart: str) -> None:
    rule, least = built.privacy.groups[mart], built.privacy.min_group
    columns, wanted = expected(built, mart)
    with as_role(built) as con:
        seen_columns, seen = rows(con, f"SELECT * FROM bi.{mart}")
    assert seen_columns == columns
    people = columns.index(rule.people)
    withheld = [columns.index(c) for c in rule.columns]
    for row in seen:  # every row read is a group of enough people, or has its figures withheld
        if row[people] is not None and row[people] < least:
            assert withheld and all(row[i] is None for i in withheld), (mart, row)
    assert sorted(seen, key=repr) == sorted(wanted, key=repr)  # nothing more, nothing less
    # ... and the test could fail: production has small groups with figures the role does not get
    with psycopg.connect(built.url) as con:
        small, telling = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {rule.people} > 0"
            + "".join(f" AND {c} <> 0" for c in rule.columns[:1])
            + f") FROM production.{mart} WHERE {rule.people} < %s",
            [least],
        ).fetchone()
        (total,) = con.execute(f"SELECT count(*) FROM production.{mart}").fetchone()
    assert telling > 0, f"no group under {least} in production.{mart}: the test proves nothing"
    if not rule.columns:
        assert len(seen) == total - small
    else:
        withheld_rows = sum(1 for r in seen if r[people] is not None and r[people] < least)
        assert len(seen) == total and withheld_rows == small


def test_a_small_payroll_is_absent_by_every_route(built: Built) -> None:
    """Both lines of a small department's payroll entry (the bank line repeats the amount) are
    gone from the ledger, and its figures from every report the role reads."""
    least = built.privacy.min_group
    with psycopg.connect(built.url) as con:
        month, department, people, amount = con.execute(
            "SELECT entry_date, department_id, people, adjusted_amount "
            "FROM production.fct_general_ledger WHERE account_name = 'Salaries and Wages' "
            "AND people < %s ORDER BY entry_date DESC, department_id LIMIT 1",
            [least],
        ).fetchone()
        (entry_lines,) = con.execute(
            "SELECT count(*) FROM production.fct_general_ledger WHERE journal_entry_id IN "
            "(SELECT journal_entry_id FROM production.fct_general_ledger WHERE entry_date = %s "
            "AND department_id = %s AND account_name = 'Salaries and Wages')",
            [month, department],
        ).fetchone()
    assert 0 < people < least and amount > 0 and entry_lines == 2
    first = month.replace(day=1)
    with as_role(built) as con:
        (lines,) = con.execute(
            "SELECT count(*) FROM bi.fct_general_ledger WHERE entry_date = %s AND entry_kind = "
            "'payroll' AND (department_id = %s OR (department_id IS NULL AND debit + credit = %s))",
            [month, department, amount],
        ).fetchone()
        assert lines == 0
        assert con.execute(
            "SELECT count(*) FROM bi.rpt_people_monthly WHERE month = %s AND department_id = %s",
            [first, department],
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT payroll, expenses, net_income FROM bi.rpt_profit_and_loss_monthly "
            "WHERE month = %s AND department_id = %s",
            [first, department],
        ).fetchone() == (None, None, None)
        assert con.execute(
            "SELECT costs, net_income FROM bi.rpt_finance_monthly WHERE month = %s", [first]
        ).fetchone() == (None, None)


def test_the_grouped_marts_are_tables_holding_only_what_is_shown(built: Built) -> None:
    """Not views over production whose condition a query could get around."""
    with psycopg.connect(built.url) as con:
        kinds = dict(
            con.execute(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'bi'"
            ).fetchall()
        )
        for mart in built.privacy.groups:
            assert kinds[mart] == "r", mart
            (production,) = con.execute(
                "SELECT has_table_privilege(%s, %s, 'SELECT')",
                [built.access.role, f"production.{mart}"],
            ).fetchone()
            assert production is False


def test_the_tables_page_shows_the_same_on_duckdb(built: Built) -> None:
    """The embedded profile's Tables page applies the same rules to the same marts."""
    reader = DuckDBReader(built.embedded.local_file(built.embedded.warehouse_url))
    least = built.privacy.min_group
    masks = tuple(sorted(built.personal.items()))
    with as_role(built) as con:
        for mart, rule in built.privacy.groups.items():
            (count,) = con.execute(f"SELECT count(*) FROM bi.{mart}").fetchone()
            assert queries.row_count(reader, "production", mart, rule, least) == count, mart
            preview = queries.preview(reader, "production", mart, masks, KEY, rule, least)
            assert len(preview) == min(count, queries.PREVIEW_ROWS)
            people = preview.column(rule.people)
            for i, value in enumerate(people):
                if value is not None and value < least:
                    assert rule.columns, (mart, preview.rows[i])
                    assert all(preview.column(c)[i] is None for c in rule.columns)


def page_queries() -> Any:
    """TechCo's pages' SQL (dashboards/_queries.py), imported as the app imports it."""
    import importlib.util

    path = PROJECT / "dashboards" / "_queries.py"
    spec = importlib.util.spec_from_file_location("techco_page_queries", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_pages_read_as_the_role_and_get_no_small_payroll(built: Built) -> None:
    """On PostgreSQL the pages read as the BI role: each of their people and money queries runs
    there (none reads a hidden mart), and a department that never reached five people shows no
    payroll, where production has one."""
    from armazem.dashboard.db import PostgresReader
    from armazem.dashboard.ui import Months

    q = page_queries()
    role = PostgresReader(built.url, built.access.role, "bi")
    platform = PostgresReader(built.url, None, "production")
    period = Months(date(2023, 1, 1), date(2025, 12, 1))
    least = built.privacy.min_group
    with psycopg.connect(built.url) as con:
        small = [name for (name,) in con.execute(
            "SELECT d.department_name FROM production.rpt_people_monthly p JOIN "
            "production.dim_department d USING (department_id) GROUP BY d.department_name "
            "HAVING max(p.headcount) < %s AND sum(p.payroll_cost) > 0 ORDER BY 1", [least]
        ).fetchall()]  # fmt: skip
    assert small, "no department stayed under five people: the test proves nothing"
    for department in [None, *q.departments(role)]:
        for query in (q.people_monthly, q.people_departments, q.finance_monthly,
                      q.project_costs, q.delivery_kpis, q.delivery_monthly):  # fmt: skip
            query(role, department, period)
        people, money = (
            q.people_kpis(role, department, period),
            q.finance_kpis(role, department, period),
        )
        if department in small:
            assert people.payroll is None and people.previous_payroll is None, department
            assert money.payroll is None and money.previous_payroll is None, department
            assert q.people_kpis(platform, department, period).payroll > 0
    q.revenue_per_employee(role, period)
    q.ar_ageing(role)
