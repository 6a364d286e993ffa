"""A small project no example knows, for tests of data intervals: a clinic's SQLite database
(visits, updated over six days, some exactly at midnight) and its front desk's daily CSV files
of check-ins, one per day, named by the day. Fast to load, no Spark, one dbt model."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from armazem.project.scaffold import init

FIRST_DAY = date(2026, 1, 1)
DAYS = 6
VISITS_PER_DAY = 8

TOML = """\
profile = "embedded"
data_dir = "data"

[project]
name = "clinic"
owner = "clinic-data"
tags = ["clinic"]

[schedule]
cron = "@daily"
start_date = 2026-01-01
retries = 2
retry_delay = "1s"

[profiles.embedded]
warehouse_url = "duckdb:///{data_dir}/warehouse.duckdb"

[connections]
clinic = "sqlite:///{data_dir}/sources/clinic.sqlite"

[[audit]]
name = "every raw visit is in fct_visits"
offending = '''SELECT count(*) FROM raw_clinic.visits
HAVING count(*) <> (SELECT count(*) FROM staging.fct_visits)'''
"""
CLINIC = """\
kind: sql
connection: clinic
tables:
  doctors:
    key: doctor_id
    columns: {doctor_id: INTEGER, name: VARCHAR}
  visits:
    mode: merge
    cursor: updated_at
    key: visit_id
    columns: {visit_id: INTEGER, doctor_id: INTEGER, amount: "DECIMAL(8,2)", updated_at: TIMESTAMP}
    required: [visit_id, doctor_id, updated_at]
"""
DESK = """\
kind: files
format: csv
tables:
  checkins:
    path: "{data_dir}/sources/desk/checkins-{date}.csv"
    mode: append
    cursor: source_file
    key: [source_file, row_number]
    columns: {source_file: VARCHAR, row_number: BIGINT, patient: VARCHAR, at: TIMESTAMP}
"""
MODEL = """\
select v.visit_id, v.amount, d.name as doctor, v.updated_at
from {{ source('clinic', 'visits') }} v
join {{ source('clinic', 'doctors') }} d using (doctor_id)
"""


def visit_time(n: int) -> datetime:
    """Visit n's last update: day n // VISITS_PER_DAY, the first of each day at 00:00:00
    exactly (an interval's inclusive start), the others spread over the day."""
    day, k = divmod(n, VISITS_PER_DAY)
    start = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time())
    return start + timedelta(hours=3 * k, minutes=7 * k)


def make_clinic(folder: Path) -> Path:
    """The project and its sources in `folder`; returns the project folder."""
    project = init(folder / "clinic")
    (project / "armazem.toml").write_text(TOML)
    (project / "sources" / "clinic.yml").write_text(CLINIC)
    (project / "sources" / "desk.yml").write_text(DESK)
    models = project / "transform" / "models"
    (models / "example.sql").unlink()
    (models / "fct_visits.sql").write_text(MODEL)
    sources = project / "data" / "sources"
    (sources / "desk").mkdir(parents=True)
    with sqlite3.connect(sources / "clinic.sqlite") as db:
        db.execute("CREATE TABLE doctors (doctor_id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO doctors VALUES (1, 'Ana'), (2, 'Rui')")
        db.execute("CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, doctor_id INTEGER, "
                   "amount DECIMAL(8,2), updated_at TIMESTAMP)")  # fmt: skip
        db.executemany(
            "INSERT INTO visits VALUES (?, ?, ?, ?)",
            [(n, 1 + n % 2, 10 + n, visit_time(n).isoformat(sep=" "))
             for n in range(DAYS * VISITS_PER_DAY)],
        )  # fmt: skip
    for day in range(DAYS):
        moment = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time())
        lines = [f"p{day}-{k},{(moment + timedelta(hours=k)).isoformat(sep=' ')}" for k in range(5)]
        path = sources / "desk" / f"checkins-{moment.date().isoformat()}.csv"
        path.write_text("patient,at\n" + "\n".join(lines) + "\n")
    return project


def days_of(rows: list[datetime]) -> set[date]:
    return {r.date() for r in rows}
