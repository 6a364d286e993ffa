"""`python -m bench [NAME ...]`: run the named benchmarks (all by default)."""

from __future__ import annotations

import sys

from bench import ingest_peers, platform_run

BENCHMARKS = {"platform_run": platform_run.main, "ingest_peers": ingest_peers.main}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    for name in chosen:
        BENCHMARKS[name]()
