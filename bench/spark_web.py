"""The web-analytics job (sessions of 30 idle minutes, daily traffic) on Spark `local[2]`, on a
standalone cluster on 127.0.0.1 (two workers of one core), and the same aggregation in DuckDB:
seconds and peak memory of each, side by side, with the ratios to DuckDB.

The lake is built once per scale (the SoftCart example simulated, its web logs ingested). Each
contender runs in a child process; its peak memory is the largest summed resident set of its
process tree (the Python process and the JVMs it starts), sampled every 100 ms. On the cluster
that tree is the driver only: the executors live in the workers' JVMs, outside it. The three
must find the same sessions, or the benchmark stops.

    BENCH_SCALES=1,10 .venv/bin/python -m bench spark_web
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "softcart"
SCALES = [float(s) for s in os.environ.get("BENCH_SCALES", "1,10").split(",")]
GAP = 30 * 60

DUCKDB_JOB = f"""
import sys, duckdb
GAP = {GAP}
lake, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute(f'''CREATE VIEW requests AS SELECT DISTINCT ON (source_file, row_number) *
    FROM read_parquet('{{lake}}/raw/weblogs/access_log/load_id=*/part-*.parquet')''')
con.execute(f'''COPY (
    WITH marked AS (
      SELECT ip, time, bytes, path, source_file, row_number,
             CASE WHEN lag(time) OVER w IS NULL OR epoch(time) - epoch(lag(time) OVER w) > {{GAP}}
                  THEN 1 ELSE 0 END AS starts
      FROM requests WINDOW w AS (PARTITION BY ip ORDER BY time, source_file, row_number)),
    numbered AS (SELECT *, sum(starts) OVER (PARTITION BY ip ORDER BY time, source_file,
                 row_number ROWS UNBOUNDED PRECEDING) AS session FROM marked)
    SELECT ip, session, min(time) AS started_at, max(time) AS ended_at, count(*) AS requests,
           sum(bytes) AS bytes FROM numbered GROUP BY ip, session)
    TO '{{out}}/sessions.parquet' (FORMAT parquet)''')
con.execute(f'''COPY (SELECT CAST(time AS DATE) AS day, count(*) AS requests, sum(bytes) AS bytes
    FROM requests GROUP BY 1) TO '{{out}}/daily.parquet' (FORMAT parquet)''')
print(con.execute(f"SELECT count(*) FROM '{{out}}/sessions.parquet'").fetchone()[0])
"""


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parent, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
        rss[int(entry.name)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


def measure(command: list[str], env: dict[str, str]) -> dict[str, float]:
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=EXAMPLE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)  # fmt: skip

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return {"seconds": round(time.perf_counter() - started, 1), "peak_mib": round(peak / 2**20),
            "output": out.strip().splitlines()[-1] if out.strip() else ""}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_scale(scale: float) -> dict[str, object]:
    python = sys.executable
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
        env.update({"ARMAZEM_DATA_DIR": data, "ARMAZEM_PROJECT": str(EXAMPLE)})
        subprocess.run([python, "-m", "armazem", "simulate", "--scale", str(scale)], env=env,
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run([python, "-m", "armazem", "ingest", "weblogs"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        job = [python, "-m", "armazem", "spark", "web_analytics", "--json"]
        results = {"duckdb": measure([python, "-c", DUCKDB_JOB, f"{data}/lake",
                                      tempfile.mkdtemp(dir=data)], env)}  # fmt: skip
        results["spark local[2]"] = measure([*job, "--master", "local[2]"], env)
        port, ui = free_port(), free_port()
        cluster = [python, "-m", "armazem", "spark", "cluster"]
        ports = ["--port", str(port), "--webui-port", str(ui)]
        subprocess.run([*cluster, "start", *ports], env=env, check=True, capture_output=True)
        try:
            results["spark cluster (2 workers)"] = measure(
                [*job, "--master", f"spark://127.0.0.1:{port}"], env
            )
        finally:
            subprocess.run([*cluster, "stop", *ports], env=env, capture_output=True)
    for result in results.values():  # the same sessions, or the comparison means nothing
        out = result.pop("output")
        result["sessions"] = json.loads(out)["sessions"] if out.startswith("{") else int(out)
    if len({r["sessions"] for r in results.values()}) != 1:
        raise SystemExit(f"the contenders disagree on the sessions: {results}")
    return {"scale": scale, "results": results}


def main() -> None:
    rows = [bench_scale(scale) for scale in SCALES]
    print(f"{'scale':>6} {'contender':<26} {'sessions':>9} {'seconds':>8} {'peak MiB':>9} "
          f"{'DuckDB time x':>14}")  # fmt: skip
    for row in rows:
        base = row["results"]["duckdb"]["seconds"] or 1
        for name, result in row["results"].items():
            print(f"{row['scale']:>6} {name:<26} {result['sessions']:>9} {result['seconds']:>8} "
                  f"{result['peak_mib']:>9} "
                  f"{result['seconds'] / base:>14.1f}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "spark_web.json").write_text(json.dumps(rows, indent=2) + "\n")
