from __future__ import annotations

import os
from pathlib import Path

import pytest

from armazem.errors import ArmazemError
from armazem.settings import load_settings, redact_url

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("ARMAZEM_")]:
        monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "armazem.toml"
    path.write_text(text)
    return path


def test_embedded_is_the_default_profile_and_files_live_under_data_dir() -> None:
    settings = load_settings(REPO / "examples/softcart/armazem.toml")
    assert settings.profile == "embedded"
    assert settings.warehouse_kind == "duckdb"
    example = REPO / "examples" / "softcart"
    assert settings.local_file(settings.warehouse_url) == example / "data" / "warehouse.duckdb"
    moved = settings.model_copy(update={"data_dir": Path("/tmp/elsewhere")})
    assert moved.local_file(moved.oltp_url) == Path("/tmp/elsewhere/sources/softcart.sqlite")


def test_services_profile_points_at_the_local_servers() -> None:
    settings = load_settings(REPO / "examples/softcart/armazem.toml", profile="services")
    assert settings.oltp_url.startswith("mysql://") and "127.0.0.1:3306" in settings.oltp_url
    assert settings.warehouse_url.startswith("postgresql://")
    assert "127.0.0.1:5432" in settings.warehouse_url
    assert settings.local_file(settings.warehouse_url) is None


def test_environment_beats_the_file_and_options_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARMAZEM_SCALE", "2.5")
    monkeypatch.setenv("ARMAZEM_PROFILE", "services")
    assert load_settings(REPO / "examples/softcart/armazem.toml").scale == 2.5
    assert load_settings(REPO / "examples/softcart/armazem.toml").profile == "services"
    assert load_settings(REPO / "examples/softcart/armazem.toml", scale=0.5).scale == 0.5
    assert (
        load_settings(REPO / "examples/softcart/armazem.toml", profile="embedded").profile
        == "embedded"
    )


def test_relative_paths_start_at_the_config_files_directory(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'data_dir = "here"\n'))
    assert settings.data_path == tmp_path / "here"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('colour = "blue"\n', "unknown setting 'colour'"),
        ('[profiles.embedded]\nwarehouse_url = "duckdb:///w.db"\nbogus = 1\n', "'bogus'"),
        ('oltp_url = "mysql://root@127.0.0.1:notaport/x"\n', "malformed URL"),
        ('oltp_url = "oracle://h/db"\n', "must start with one of"),
        ('warehouse_url = "postgresql:///nohost"\n', "names no host"),
        ("scale = -1\n", "'scale'"),
        ("scale = [\n", "not valid TOML"),
        ('lake_url = "hdfs://namenode:8020"\n', "names no folder"),
        ('lake_url = "gs://bucket/lake"\n', "must start with one of hdfs://, s3://"),
    ],
)
def test_bad_settings_name_the_problem_and_the_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ArmazemError) as caught:
        load_settings(write(tmp_path, text))
    assert message in str(caught.value)
    assert "fix:" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_hadoop_lake_and_master_pass_through_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path, 'lake_url = "hdfs://namenode:8020/armazem/lake"\nspark_master = "yarn"\n'
    )
    settings = load_settings(path)
    assert settings.lake_url == "hdfs://namenode:8020/armazem/lake"
    assert settings.spark_master == "yarn"
    monkeypatch.setenv("ARMAZEM_LAKE_URL", "hdfs:///armazem/lake")  # the default namenode
    assert load_settings(path).lake_url == "hdfs:///armazem/lake"
    again = type(settings).model_validate(settings.model_dump())
    assert (again.lake_url, again.spark_master) == (settings.lake_url, "yarn")


def test_unknown_profile_and_environment_variable_are_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ArmazemError, match="unknown profile 'staging'"):
        load_settings(REPO / "examples/softcart/armazem.toml", profile="staging")
    monkeypatch.setenv("ARMAZEM_WAREHOUSE", "x")
    with pytest.raises(ArmazemError, match="ARMAZEM_WAREHOUSE"):
        load_settings(REPO / "examples/softcart/armazem.toml")


def test_a_bad_value_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARMAZEM_BATCH_SIZE", "ten")
    with pytest.raises(ArmazemError, match="ARMAZEM_BATCH_SIZE"):
        load_settings(REPO / "examples/softcart/armazem.toml")


def test_missing_config_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ArmazemError, match="not found"):
        load_settings(tmp_path / "absent.toml")


def test_passwords_never_appear_in_redacted_urls() -> None:
    assert redact_url("mysql://root:s3cret@db:3306/x") == "mysql://root:***@db:3306/x"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
