"""Wall time and peak memory of `armazem run` on the embedded profile at a given scale.

Each run starts from an empty data directory (simulate, ingest, transform, publish) in a child
process; peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "softcart"
SCALES = [float(s) for s in os.environ.get("BENCH_SCALES", "0.1,1").split(",")]


def measure(scale: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
        env["ARMAZEM_DATA_DIR"] = data
        env["ARMAZEM_PROJECT"] = str(EXAMPLE)  # the SoftCart example project
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "armazem", "run", "--scale", str(scale)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "scale": scale,
        "seconds": round(seconds, 1),
        "peak_mib": round(max(peak_kib, before) / 1024),
    }


def main() -> None:
    rows = [measure(scale) for scale in SCALES]
    print(
        f"{'scale':>6} {'seconds':>8} {'peak MiB':>9}   targets: < 120 s and < 2048 MiB at scale 1"
    )
    for row in rows:
        print(f"{row['scale']:>6} {row['seconds']:>8} {row['peak_mib']:>9}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "platform_run.json").write_text(json.dumps(rows, indent=2) + "\n")
