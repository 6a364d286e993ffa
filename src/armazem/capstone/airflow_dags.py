"""The capstone's Airflow DAGs (a DAG file: `armazem airflow --capstone` puts it in the dags
folder).

Module 5b, `process_web_log`, as the lab defines it: extract the IP address field of each line
of the access log into `extracted_data.txt`, drop the lines of IP 198.46.149.143 into
`transformed_data.txt`, archive that file as `weblog.tar`; daily. The lab's tasks are shell
commands (cut, grep, tar); these do the same in Python, where "the lines of an IP" means the
field equal to it, not a regular expression that also matches 198.46.149.1430.

Module 5a, `capstone_sync`: the sync of the staging warehouse into the data warehouse, daily.
Where the files are comes from the run's conf (`log`, `folder`), else from the project's
settings.
"""

from __future__ import annotations

import tarfile
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task

DROPPED_IP = "198.46.149.143"
EXTRACTED, TRANSFORMED, ARCHIVE = "extracted_data.txt", "transformed_data.txt", "weblog.tar"
LOG = "softcart-airflow/accesslog.txt"

default_args = {
    "owner": "softcart",
    "start_date": datetime(2026, 1, 1),
    "email": ["data-team@softcart.example"],
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}


def _folders(params: dict[str, str]) -> tuple[Path, Path]:
    """The access log and the folder the task files go to."""
    if params.get("log") and params.get("folder"):
        return Path(params["log"]), Path(params["folder"])
    from armazem.capstone import capstone_file
    from armazem.settings import load_settings

    settings = load_settings()
    return capstone_file(settings, LOG), settings.data_path / "capstone" / "weblog"


with DAG(
    dag_id="process_web_log",
    default_args=default_args,
    description="Capstone module 5b: extract, filter and archive the web server's access log",
    schedule=timedelta(days=1),
    catchup=False,
    tags=["capstone", "softcart"],
) as process_web_log:

    @task
    def extract_data(params: dict[str, str]) -> None:
        """The IP address field (the first) of every line."""
        log, folder = _folders(params)
        folder.mkdir(parents=True, exist_ok=True)
        with log.open(encoding="utf-8", errors="replace") as lines:
            ips = [line.split(" ", 1)[0].strip() + "\n" for line in lines if line.strip()]
        (folder / EXTRACTED).write_text("".join(ips), encoding="utf-8")

    @task
    def transform_data(params: dict[str, str]) -> None:
        """Every extracted line but those of the dropped IP."""
        _, folder = _folders(params)
        kept = [line for line in (folder / EXTRACTED).read_text(encoding="utf-8").splitlines()
                if line != DROPPED_IP]  # fmt: skip
        (folder / TRANSFORMED).write_text("".join(f"{ip}\n" for ip in kept), encoding="utf-8")

    @task
    def load_data(params: dict[str, str]) -> None:
        """`tar -cvf weblog.tar transformed_data.txt`, written whole or not at all."""
        _, folder = _folders(params)
        partial = folder / f"{ARCHIVE}.partial"
        with tarfile.open(partial, "w") as archive:
            archive.add(folder / TRANSFORMED, arcname=TRANSFORMED)
        partial.replace(folder / ARCHIVE)

    extract_data() >> transform_data() >> load_data()


with DAG(
    dag_id="capstone_sync",
    default_args=default_args,
    description="Capstone module 5a: sync the staging warehouse's new rows into the warehouse",
    schedule=timedelta(days=1),
    catchup=False,
    tags=["capstone", "softcart"],
) as capstone_sync:

    @task
    def sync_warehouse() -> dict[str, object]:
        from armazem.capstone import sync
        from armazem.settings import load_settings

        return sync.run(load_settings())

    sync_warehouse()
