"""Named points where a test can make the process die (SIGKILL), to prove that a crash at that
exact point loses and duplicates nothing. Set ARMAZEM_FAILPOINT=<name> (or <name>:<n> to die on
the n-th time the point is reached); unset, a failpoint costs one dictionary lookup.

`<name>[:<n>]@<file>` dies once across processes: only while `file` does not exist, which it
creates first (an orchestrator's retry of the killed task then goes through).
`<name>:<n>:stop` stops the process (SIGSTOP) there instead: the test can then kill a server the
process is talking to at that exact point, and let the process go on (SIGCONT) to meet the loss.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

VARIABLE = "ARMAZEM_FAILPOINT"
_reached: dict[str, int] = {}


def reach(name: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    wanted, _, marker = wanted.partition("@")
    point, _, rest = wanted.partition(":")
    if point != name:
        return
    nth, _, action = rest.partition(":")
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] != int(nth or 1):
        return
    if marker:
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGSTOP if action == "stop" else signal.SIGKILL)
