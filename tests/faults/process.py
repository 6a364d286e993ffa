"""`armazem` commands in processes of their own, stopped at a failpoint while the test breaks
something around them (a server killed, a disk filled), then let go to meet the fault."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "examples/softcart"


def armazem_env(**settings: object) -> dict[str, str]:
    """This environment without any ARMAZEM_* variable, plus the given settings as ARMAZEM_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMAZEM_")}
    env.update({f"ARMAZEM_{k.upper()}": str(v) for k, v in settings.items() if v is not None})
    env["COLUMNS"] = "200"  # one error line stays one line
    env.pop("RUST_BACKTRACE", None)  # as a user has it: this machine sets it for developers
    return env


def start(env: dict[str, str], *args: str, failpoint: str | None = None) -> subprocess.Popen[str]:
    extra = {"ARMAZEM_FAILPOINT": failpoint} if failpoint else {}
    return subprocess.Popen(
        [sys.executable, "-m", "armazem", *args], cwd=PROJECT, env={**env, **extra},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "armazem", *args], cwd=PROJECT, env=env,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def wait_until_stopped(process: subprocess.Popen[str], timeout: float = 300) -> None:
    """Until the process has stopped itself at its failpoint (state T in /proc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"exited ({process.returncode}) before its failpoint: {out}{err}")
        stat = Path(f"/proc/{process.pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the process never reached its failpoint")


def resume(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    """Let a stopped process go on; its exit code and everything it printed."""
    process.send_signal(signal.SIGCONT)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def one_error_line(output: str) -> str:
    """The output must be one `error: ... (fix: ...)` line and nothing else: no traceback.

    One exception: a Rust library that panics (ConnectorX, when its server dies mid-stream)
    has Rust print `thread ... panicked at ...` and the panic's message before Python gets the
    exception; armazem cannot silence Rust's panic hook, so those lines are allowed, no more."""
    lines = [line for line in output.splitlines() if line.strip()]
    if lines and " panicked at " in lines[0]:
        rust = [i for i, line in enumerate(lines) if line.startswith("note: run with")]
        lines = lines[rust[0] + 1 :] if rust else lines
    assert len(lines) == 1 and lines[0].startswith("error: ") and "(fix: " in lines[0], output
    return lines[0]
