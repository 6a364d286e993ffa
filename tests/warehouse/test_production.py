"""Production on its own PostgreSQL server (`production_url`), and publishing without a gap.

Two private PostgreSQL servers (initdb + pg_ctl on free ports), started once for the module:
the staging warehouse and the production server. The company is loaded and built once; each test
publishes, and some kill a server or the publishing process at an exact point.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr
from tests.faults.process import armazem_env, one_error_line, resume, start, wait_until_stopped
from tests.servers import PrivatePostgres

from armazem.dashboard import bi
from armazem.errors import ArmazemError
from armazem.orchestrate import steps
from armazem.orchestrate.runner import Runner
from armazem.project.scaffold import init
from armazem.settings import Settings, load_settings
from armazem.warehouse import open_warehouse
from armazem.warehouse.publish import last_publication, publish

pytestmark = pytest.mark.services

REPO = Path(__file__).resolve().parents[2]
PERSONAL = {"email": "hash", "last_name": "drop"}
CHANGED = "fct_orders"  # deleting some of its rows breaks no reconciliation


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, PrivatePostgres]]:
    started: dict[str, PrivatePostgres] = {}
    try:
        for name in ("staging", "production"):
            started[name] = PrivatePostgres()
        yield started
    finally:
        for server in started.values():
            server.stop()


SOURCE = """kind: files
format: csv
tables:
  customers:
    path: "{data_dir}/customers.csv"
    key: customer_id
    columns: {customer_id: INTEGER, email: VARCHAR, last_name: VARCHAR, country: VARCHAR}
  orders:
    path: "{data_dir}/orders.csv"
    key: order_id
    columns: {order_id: INTEGER, customer_id: INTEGER, amount: "DECIMAL(10,2)", note: VARCHAR}
"""
MODELS = {
    "dim_customer": "select * from {{ source('shop', 'customers') }}",
    "fct_orders": "select o.*, c.country from {{ source('shop', 'orders') }} o "
    "join {{ source('shop', 'customers') }} c using (customer_id)",
    "rpt_orders_per_country": "select country, count(*) as orders, sum(amount) as amount "
    "from {{ ref('fct_orders') }} group by country",
}


def small_project(folder: Path) -> Path:
    """A project of the engine's own skeleton (`armazem init`): a CSV source of customers
    (with personal data) and orders, a dimension, a fact, a report and one reconciliation."""
    init(folder)
    (folder / "transform/models/example.sql").unlink()
    (folder / "sources/shop.yml").write_text(SOURCE)
    for name, sql in MODELS.items():
        (folder / f"transform/models/{name}.sql").write_text(sql + "\n")
    config = folder / "armazem.toml"
    text = config.read_text().replace(
        'publish = ["dim_", "fct_", "rpt_"]',
        'publish = ["dim_", "fct_", "rpt_"]\npersonal = {email = "hash", last_name = "drop"}',
    )
    config.write_text(text + '\n[[audit]]\nrelationship = "fct_orders.customer_id -> '
                      'dim_customer.customer_id"\n')  # fmt: skip
    data = folder / "data"
    data.mkdir()
    with (data / "customers.csv").open("w") as out:
        out.write("customer_id,email,last_name,country\n")
        for i in range(1, 1001):
            out.write(f"{i},person{i}@example.com,Name{i},{['BR', 'PT', 'AO', 'MZ'][i % 4]}\n")
    with (data / "orders.csv").open("w") as out:
        out.write("order_id,customer_id,amount,note\n")
        for i in range(1, 8001):
            out.write(f'{i},{i % 1000 + 1},{i % 997}.{i % 100:02d},"n, {i}"\n')
    return config


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, servers: dict[str, PrivatePostgres]
) -> Settings:
    """A small project loaded into the staging warehouse, built (dbt) and published once; a
    BI role on both servers."""
    config = small_project(tmp_path_factory.mktemp("project") / "shop_data")
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("ARMAZEM_")]:
            env.delenv(name)
        settings = load_settings(config)
    settings = settings.model_copy(update={
        "warehouse_url": servers["staging"].url("armazem"),
        "production_url": servers["production"].url("postgres"),
        "pseudonym_key": SecretStr("a key of the test's own"),  # e-mails are keyed hashes
    })  # fmt: skip
    for server in servers.values():
        bi.setup(server.url("postgres"), PERSONAL, password="bi-test", key=settings.pseudonym)
    steps.load(settings)
    steps.transform_and_publish(Runner(settings))
    return settings


def rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url, connect_timeout=5) as con:
        return con.execute(sql).fetchall()


def marts(url: str, schema: str) -> dict[str, list[tuple]]:
    names = [n for (n,) in rows(url, "SELECT table_name FROM information_schema.tables "
                                     f"WHERE table_schema = '{schema}' ORDER BY 1")]  # fmt: skip
    return {n: sorted(rows(url, f'SELECT * FROM {schema}."{n}"'), key=repr) for n in names}


def published_marts(settings: Settings) -> dict[str, list[tuple]]:
    staging = marts(settings.warehouse_url, "staging")
    return {n: r for n, r in staging.items() if n.startswith(("dim_", "fct_", "rpt_"))}


def test_publish_copies_checks_and_swaps_onto_the_production_server(built: Settings) -> None:
    published = steps.publish_marts(built, "run1").data
    production = marts(built.production_url, "production")
    assert production == published_marts(built)
    assert published == {n: len(r) for n, r in production.items()} and published["fct_orders"] > 0
    # the staging server holds no production; the BI role reads the new marts, masked
    assert not rows(built.warehouse_url, "SELECT 1 FROM pg_namespace WHERE nspname='production'")
    bi_url = built.production_url.replace("postgres@", "armazem_bi:bi-test@")
    assert rows(bi_url, "SELECT count(*) FROM fct_orders") == [(published["fct_orders"],)]
    emails = rows(bi_url, "SELECT email FROM dim_customer LIMIT 3")
    assert emails and all(len(e) == 64 and "@" not in e for (e,) in emails)
    assert last_publication(open_warehouse(built))["run_id"] == "run1"
    publications = rows(built.production_url, "SELECT run_id FROM _armazem.publications "
                                              "ORDER BY published_at")  # fmt: skip
    assert publications[-1] == ("run1",)


@pytest.mark.parametrize("remote", [True, False], ids=["production-server", "one-server"])
def test_the_bi_views_never_vanish_while_publishing(built: Settings, remote: bool) -> None:
    """A BI session queries its view without pause while production is published three times:
    every query answers, with the whole table (the old or the new one, never nothing)."""
    url = built.production_url if remote else built.warehouse_url
    target = built if remote else built.model_copy(update={"production_url": None})
    steps.publish_marts(target, "first")  # the views exist before the reader starts
    expected = rows(built.warehouse_url, "SELECT count(*) FROM staging.fct_orders")[0][0]
    bi_url = url.replace("postgres@", "armazem_bi:bi-test@")
    answers: list[object] = []
    done = threading.Event()

    def read() -> None:
        with psycopg.connect(bi_url, autocommit=True) as con:
            while not done.is_set():
                try:
                    answers.append(con.execute("SELECT count(*) FROM fct_orders").fetchone()[0])
                except psycopg.Error as exc:
                    answers.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for attempt in range(3):
            steps.publish_marts(target, f"gapless{attempt}")
    finally:
        done.set()
        reader.join(timeout=30)
    assert len(answers) > 10
    assert set(answers) == {expected}, [a for a in answers if a != expected][:3]


def test_production_url_with_a_duckdb_warehouse_is_one_error(tmp_path: Path) -> None:
    duck = open_warehouse(Settings(data_dir=tmp_path, base_dir=tmp_path))
    with duck.connect():  # an empty warehouse
        pass
    with pytest.raises(ArmazemError, match="production_url needs a PostgreSQL warehouse"):
        publish(duck, ("fct_",), "x", {}, "postgresql://postgres@127.0.0.1:1/x")


def state_of_production(url: str) -> tuple[dict[str, list[tuple]], list[tuple], list[tuple]]:
    """The marts, the publications and the BI views of a production server."""
    views = rows(url, "SELECT table_name FROM information_schema.views "
                      "WHERE table_schema = 'bi' ORDER BY 1")  # fmt: skip
    return marts(url, "production"), rows(url, "SELECT run_id FROM _armazem.publications "
                                               "ORDER BY published_at"), views  # fmt: skip


@pytest.mark.parametrize(
    ("killed", "failpoint"),
    [("production", "publish-before-commit"), ("staging", "publish-before-verify"),
     ("production", "publish-before-swap"), ("one-server", "publish-before-commit")],
)  # fmt: skip
def test_a_server_killed_mid_publish_leaves_production_as_it_was(
    built: Settings, servers: dict[str, PrivatePostgres], killed: str, failpoint: str
) -> None:
    """`one-server`: no production_url, the warehouse (staging and production) is killed."""
    target = built.model_copy(update={"production_url": None}) if killed == "one-server" else built
    url, server = target.production_server_url, servers.get(killed, servers["staging"])
    steps.publish_marts(target, "before")
    before = state_of_production(url)
    # staging moves on (as a new build would), so a publish that got through would show
    rows_before = len(before[0][CHANGED])
    with psycopg.connect(built.warehouse_url, autocommit=True) as con:  # no audit checks it
        con.execute(f"CREATE TABLE staging.kept AS SELECT * FROM staging.{CHANGED}")
        con.execute(f"DELETE FROM staging.{CHANGED} WHERE ctid IN "
                    f"(SELECT ctid FROM staging.{CHANGED} LIMIT 7)")  # fmt: skip
    env = armazem_env(project=built.base_dir, warehouse_url=built.warehouse_url,
                      production_url=target.production_url)  # fmt: skip
    try:
        publishing = start(env, "publish", failpoint=f"{failpoint}:1:stop")
        wait_until_stopped(publishing)
        server.kill()
        code, output = resume(publishing)
        assert code == 2, output  # a user error, said in one line
        line = one_error_line(output)
        role = "production" if killed == "one-server" else killed
        assert f"the {role} server" in line and "production left as it was" in line, line
        server.start()
        assert state_of_production(url) == before
        incoming = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'production_incoming%'"
        if killed == "staging":  # the production server dropped what it had been given
            assert not rows(url, incoming)
        steps.publish_marts(target, "rerun")
        after = state_of_production(url)
        assert len(after[0][CHANGED]) == rows_before - 7
        assert after[0] == published_marts(built) and after[2] == before[2]
        assert not rows(url, incoming)  # a dead publish's leftovers are gone too
    finally:
        with psycopg.connect(built.warehouse_url, autocommit=True) as con:
            con.execute(f"DELETE FROM staging.{CHANGED}")
            con.execute(f"INSERT INTO staging.{CHANGED} SELECT * FROM staging.kept")
            con.execute("DROP TABLE staging.kept")


def test_production_url_must_be_a_postgresql_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARMAZEM_PRODUCTION_URL", "db2://user@host:50000/prod")
    with pytest.raises(ArmazemError, match=r"ARMAZEM_PRODUCTION_URL.*postgresql://"):
        load_settings(REPO / "examples/softcart/armazem.toml")
