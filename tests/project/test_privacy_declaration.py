"""`[project.privacy]`: a bad declaration is one clear line naming what is wrong; a good one reads
as written, with its shorthand."""

from __future__ import annotations

from pathlib import Path

import pytest

from armazem.dashboard.queries import guarded_select
from armazem.errors import ArmazemError
from armazem.project import load_project
from armazem.project.privacy import Group, Privacy
from armazem.settings import load_settings

MODELS = ("rpt_team_monthly", "dim_person", "fct_payroll")


def project(tmp_path: Path, privacy: str) -> Path:
    """A project whose dbt models are MODELS, with `privacy` as its [project.privacy]."""
    (tmp_path / "armazem.toml").write_text(f'[project]\nname = "lib"\n\n{privacy}')
    models = tmp_path / "transform" / "models" / "marts"
    models.mkdir(parents=True)
    for model in MODELS:
        (models / f"{model}.sql").write_text("select 1 as people\n")
    return tmp_path / "armazem.toml"


def error_of(tmp_path: Path, privacy: str) -> str:
    with pytest.raises(ArmazemError) as caught:
        load_project(load_settings(project(tmp_path, privacy)))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_declaration_reads_as_written(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        '[project.privacy]\nmin_group = 10\nhidden = ["dim_person"]\n'
        '[project.privacy.groups]\nrpt_team_monthly = "headcount"\n'
        'fct_payroll = { people = "people", columns = ["amount"] }\n',
    )
    privacy = load_project(load_settings(config)).section.privacy
    assert privacy.min_group == 10
    assert privacy.hidden == ("dim_person",)
    assert privacy.groups == {
        "rpt_team_monthly": Group(people="headcount"),
        "fct_payroll": Group(people="people", columns=("amount",)),
    }
    assert not privacy.shown("dim_person") and privacy.shown("fct_payroll")


def test_without_a_declaration_nothing_is_restricted(tmp_path: Path) -> None:
    privacy = load_project(load_settings(project(tmp_path, ""))).section.privacy
    assert privacy.min_group == 5 and privacy.marts == set()


def test_an_unknown_mart_is_named(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        '[project.privacy]\nhidden = ["dim_persons"]\n'
        '[project.privacy.groups]\nrpt_teams = "headcount"\n',
    )
    assert "dim_persons, rpt_teams" in message and "transform/models" in message


@pytest.mark.parametrize("least", [1, 0, -5])
def test_a_minimum_group_under_two_is_refused(tmp_path: Path, least: int) -> None:
    message = error_of(tmp_path, f"[project.privacy]\nmin_group = {least}\n")
    assert "privacy.min_group" in message and "is under 2" in message


@pytest.mark.parametrize(
    ("privacy", "words"),
    [
        ('[project.privacy]\nhidden = ["dim_person"]\n[project.privacy.groups]\n'
         'dim_person = "people"\n', "both hidden and grouped"),
        ('[project.privacy.groups]\nfct_payroll = { people = "people", columns = ["people"] }\n',
         "cannot also be withheld"),
        ('[project.privacy.groups]\nfct_payroll = { people = "pe ople" }\n',
         "not a plain identifier"),
        ('[project.privacy.groups]\nfct_payroll = { count = "people" }\n', "people"),
    ],
)  # fmt: skip
def test_a_contradictory_rule_is_refused(tmp_path: Path, privacy: str, words: str) -> None:
    assert words in error_of(tmp_path, privacy)


def test_a_group_column_the_mart_lacks_is_named() -> None:
    privacy = Privacy(groups={"fct_payroll": Group(people="workers", columns=("amount", "tax"))})
    privacy.check_columns({"fct_payroll": ["workers", "amount", "tax"], "other": ["x"]})
    with pytest.raises(ArmazemError) as caught:
        privacy.check_columns({"fct_payroll": ["people", "amount"]})
    message = str(caught.value)
    assert "\n" not in message
    assert "fct_payroll: no column workers, tax in fct_payroll" in message


def test_the_select_withholds_rows_or_figures() -> None:
    columns, personal = ["team", "people", "amount", "email"], {"email": "drop"}
    select, where = guarded_select(columns, personal, "{}", Group(people="people"), 5)
    assert select == '"team", "people", "amount"'
    assert where == ' WHERE ("people" IS NULL OR "people" >= 5)'
    select, where = guarded_select(
        columns, personal, "h({})", Group(people="people", columns=("amount",)), 7
    )
    assert where == ""
    assert select == (
        '"team", "people", CASE WHEN ("people" IS NULL OR "people" >= 7) THEN "amount" END '
        'AS "amount"'
    )
    assert guarded_select(columns, personal, "{}", None, 5) == ('"team", "people", "amount"', "")
