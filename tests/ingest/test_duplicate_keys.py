"""The duplicate-key check of a load whose source does not enforce its key (files, documents, APIs)
remembers every key seen, on disk: the peak memory of a load of two million keys is that of a
load of a hundred thousand, and a key repeated many batches later is still caught."""

from __future__ import annotations

import subprocess
import sys

# Loads N keys in batches of 100,000 and then key 0 again; prints the quarantined count and the
# peak resident memory in MB. A process of its own, so each peak is that load's alone.
CHILD = """
import resource, sys
import pyarrow as pa
from armazem.ingest.contracts import Contract, Validator

n = int(sys.argv[1])
validator = Validator(Contract({"id": "BIGINT", "name": "VARCHAR"}, key=("id",)))
quarantined = 0
for start in [*range(0, n, 100_000), 0]:
    ids = pa.array(range(start, min(n, start + 100_000)), pa.int64())
    good, bad = validator.split(pa.table({"id": ids, "name": pa.array(["x"] * len(ids))}))
    quarantined += bad.num_rows
validator.close()
print(quarantined, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def load(keys: int) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(keys)], capture_output=True,
                          text=True, timeout=300, check=True)  # fmt: skip
    quarantined, peak_mb = map(int, done.stdout.split())
    return quarantined, peak_mb


def test_memory_stays_flat_as_the_load_grows() -> None:
    small_quarantined, small_peak = load(100_000)
    large_quarantined, large_peak = load(2_000_000)
    # The last batch repeats keys 0..99,999 of the first: all of them are caught.
    assert small_quarantined == large_quarantined == 100_000
    # Measured here: keys kept in memory add 91 MB at two million keys; kept on disk, 9 MB.
    assert large_peak - small_peak < 45, (small_peak, large_peak)
