"""Data intervals drive the loads of dated tables: exactly the rows (or the day's files) of
[start, end), again and again without duplicates, and the watermark left for the runner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from tests.orchestrate.clinic import DAYS, FIRST_DAY, VISITS_PER_DAY, make_clinic, visit_time

from armazem.errors import ArmazemError
from armazem.ingest.files import DateRange
from armazem.ingest.pipeline import ingest
from armazem.ingest.sources import Interval
from armazem.project import load_project
from armazem.project.tables import source_tables
from armazem.settings import Settings, load_settings


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in __import__("os").environ if n.startswith("ARMAZEM_")]:
        monkeypatch.delenv(name)
    return load_settings(make_clinic(tmp_path))


def day(n: int) -> Interval:
    start = datetime.combine(FIRST_DAY + timedelta(days=n), datetime.min.time(), UTC)
    return Interval(start, start + timedelta(days=1))


def rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.data_path / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def loaded(settings: Settings) -> tuple[list[int], list[str]]:
    visits = [v for (v,) in rows(settings, "SELECT visit_id FROM raw_clinic.visits ORDER BY 1")]
    files = [f for (f,) in rows(settings, "SELECT DISTINCT source_file FROM raw_desk.checkins "
                                          "ORDER BY 1")]  # fmt: skip
    return visits, files


def test_an_interval_loads_exactly_its_rows_and_files(clinic: Settings) -> None:
    ingest(clinic, interval=day(2))
    visits, files = loaded(clinic)
    assert visits == list(range(2 * VISITS_PER_DAY, 3 * VISITS_PER_DAY))
    assert [visit_time(v).date() for v in visits] == [date(2026, 1, 3)] * VISITS_PER_DAY
    assert visit_time(visits[0]) == datetime(2026, 1, 3)  # at the start: in, and only here
    assert files == ["checkins-2026-01-03.csv"]
    # tables without a time cursor are read whole, as always
    assert rows(clinic, "SELECT count(*) FROM raw_clinic.doctors") == [(2,)]


def test_an_interval_loaded_twice_or_out_of_order_changes_nothing(clinic: Settings) -> None:
    ingest(clinic, interval=day(3))
    ingest(clinic, interval=day(1))
    first = rows(clinic, "SELECT * FROM raw_clinic.visits ORDER BY 1")
    checkins = rows(clinic, "SELECT * FROM raw_desk.checkins ORDER BY 1, 2")
    again = ingest(clinic, interval=day(3))
    assert {r.table: r.read for r in again}["clinic.visits"] == VISITS_PER_DAY
    assert rows(clinic, "SELECT * FROM raw_clinic.visits ORDER BY 1") == first
    assert rows(clinic, "SELECT * FROM raw_desk.checkins ORDER BY 1, 2") == checkins
    assert len(first) == 2 * VISITS_PER_DAY and len(checkins) == 2 * 5


def test_interval_loads_leave_the_watermark_so_a_run_loads_the_rest(clinic: Settings) -> None:
    ingest(clinic, interval=day(4))
    assert rows(clinic, "SELECT count(*) FROM _armazem.watermarks") == [(0,)]
    ingest(clinic)  # the runner's load: from the watermark, here from the start
    visits, files = loaded(clinic)
    assert visits == list(range(DAYS * VISITS_PER_DAY))  # no gap, no duplicate
    assert len(files) == DAYS
    assert rows(clinic, "SELECT count(*), count(DISTINCT (source_file, row_number)) "
                        "FROM raw_desk.checkins") == [(DAYS * 5, DAYS * 5)]  # fmt: skip
    windows = rows(clinic, "SELECT watermark_from, watermark_to FROM _armazem.loads "
                           "WHERE table_name = 'visits' ORDER BY committed_at")  # fmt: skip
    assert windows[0] == ("2026-01-05 00:00:00", "2026-01-06 00:00:00")


def test_only_dated_tables_take_an_interval(clinic: Settings) -> None:
    dated = {t.name: t.dated for t in source_tables(load_project(clinic))}
    assert dated == {"clinic.doctors": False, "clinic.visits": True, "desk.checkins": True}


def test_date_ranges_of_intervals() -> None:
    one_day = DateRange.of("2026-01-03 00:00:00", "2026-01-04 00:00:00")
    assert (one_day.first, one_day.last) == (date(2026, 1, 3), date(2026, 1, 3))
    assert one_day.holds("checkins-2026-01-03.csv", "checkins-{date}.csv")
    assert not one_day.holds("checkins-2026-01-04.csv", "checkins-{date}.csv")
    assert not one_day.holds("checkins-2026-02-30.csv", "checkins-{date}.csv")  # no such day
    assert not one_day.holds("other-2026-01-03.csv", "checkins-{date}.csv")
    hours = DateRange.of("2026-01-03 22:00:00", "2026-01-04 02:00:00")
    assert (hours.first, hours.last) == (date(2026, 1, 3), date(2026, 1, 4))


def test_an_empty_interval_is_refused() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ArmazemError, match="empty data interval"):
        Interval(moment, moment)
    assert Interval(moment, moment + timedelta(hours=1)).bounds == (
        "2026-01-01 00:00:00", "2026-01-01 01:00:00"
    )  # fmt: skip
