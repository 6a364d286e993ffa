"""Wall time, time per step and peak memory of `armazem run` of SoftCart from an empty data
directory (simulate, ingest, Spark, transform, audit, publish, published copies), per profile and
scale.

`python -m bench platform_run`; BENCH_SCALES (default "0.1,1") and BENCH_PROFILES (default
"embedded"; "services" runs on the local MariaDB and PostgreSQL, in databases of its own that are
dropped afterwards) choose. Peak memory is measured two ways: the largest single process (the
maximum resident set of any process the run started, as `wait4` gives it) and the whole
process tree at once (armazem, its Spark JVM, its MongoDB server...: the sum of their resident
sets, sampled every 0.2 s), which is what the machine must hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from bench.transform_incremental import steps

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "softcart"
SCALES = [float(s) for s in os.environ.get("BENCH_SCALES", "0.1,1").split(",")]
PROFILES = os.environ.get("BENCH_PROFILES", "embedded").split(",")
MARIADB = "mysql://root@127.0.0.1:3306"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
PEAK_TARGET_MIB = 2048
SAMPLE_SECONDS = 0.2


class TreeMemory:
    """The highest sum of the memory of a process and all its descendants, sampled: each
    process's proportional set size (its private pages, and its share of pages it shares, so
    that forked Python workers and shared libraries are not counted twice), and at that moment
    the largest processes."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self.at_peak: dict[str, int] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes: dict[str, int] = {}
            for process in processes:
                try:
                    name = f"{process.name()} {process.pid}"
                    sizes[name] = process.memory_full_info().pss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            if sum(sizes.values()) > self.peak:
                self.peak = sum(sizes.values())
                largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:4]
                self.at_peak = {name: round(size / 2**20) for name, size in largest}
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def measure(profile: str, scale: float) -> dict[str, object]:
    suffix = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
        env["ARMAZEM_DATA_DIR"] = data
        env["ARMAZEM_PROJECT"] = str(EXAMPLE)  # the SoftCart example project
        if profile == "services":
            env["ARMAZEM_OLTP_URL"] = f"{MARIADB}/armazem_bench_{suffix}"
            env["ARMAZEM_WAREHOUSE_URL"] = f"{POSTGRES}/armazem_bench_{suffix}"
        command = [sys.executable, "-m", "armazem", "--profile", profile, "run", "--scale",
                   str(scale)]  # fmt: skip
        started = time.perf_counter()
        try:
            with open(Path(data) / "run.log", "wb") as log:
                process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
                tree = TreeMemory(process.pid)
                _, status, usage = os.wait4(process.pid, 0)  # its own rusage and its children's
                process.returncode = code = os.waitstatus_to_exitcode(status)
                tree_peak, at_peak = tree.stop(), tree.at_peak
            seconds = time.perf_counter() - started
            if code != 0:
                tail = (Path(data) / "run.log").read_text(errors="replace")[-2000:]
                sys.exit(f"armazem run ({profile}, scale {scale}) failed: {tail}")
            step_seconds = steps(env)
        finally:
            if profile == "services":
                _drop_databases(suffix)
    return {
        "profile": profile,
        "scale": scale,
        "seconds": round(seconds, 1),
        "steps": step_seconds,
        "peak_tree_mib": round(tree_peak / 2**20),
        "largest_at_peak_mib": at_peak,
        "peak_process_mib": round(usage.ru_maxrss / 1024),  # the largest single process
    }


def _drop_databases(suffix: str) -> None:
    database = f"armazem_bench_{suffix}"
    subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", "-e",
                    f"DROP DATABASE IF EXISTS {database}"], capture_output=True)  # fmt: skip
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c",
                    f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
                   capture_output=True)  # fmt: skip


def main() -> None:
    rows = [measure(profile, scale) for profile in PROFILES for scale in SCALES]
    print(f"{'profile':<9} {'scale':>6} {'seconds':>8} {'tree MiB':>9} {'process MiB':>12}   "
          f"target: whole tree < {PEAK_TARGET_MIB} MiB")  # fmt: skip
    for row in rows:
        verdict = "MET" if row["peak_tree_mib"] < PEAK_TARGET_MIB else "MISSED"  # type: ignore[operator]
        print(f"{row['profile']:<9} {row['scale']:>6} {row['seconds']:>8} "
              f"{row['peak_tree_mib']:>9} {row['peak_process_mib']:>12}   {verdict}")  # fmt: skip
        for step, seconds in row["steps"].items():  # type: ignore[attr-defined]
            print(f"    {step:<16} {seconds:>8}")
        print(f"    at the peak: {row['largest_at_peak_mib']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "platform_run.json").write_text(json.dumps(rows, indent=2) + "\n")
