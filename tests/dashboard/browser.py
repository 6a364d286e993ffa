"""Driving the dashboards in a real browser: Debian's Chromium through Playwright.

Shared by tests/dashboard and tests/capstone. Chromium is found at /usr/bin/chromium or
installed with apt-get (as root); otherwise the test fails with the commands to run, never skips.
`armazem dashboard` runs in a subprocess on a free port, with settings from the environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL = (
    "as root: `apt-get update && apt-get install -y chromium`; and in the venv: "
    "`.venv/bin/pip install playwright streamlit plotly` (no `playwright install`: Playwright "
    "drives Debian's Chromium)"
)
CHARTS = ".js-plotly-plot"
EXCEPTION = '[data-testid="stException"]'
SERVER_START_SECONDS = 90
PAGE_SECONDS = 60


def chromium() -> Path:
    """Debian's Chromium, installing it if it is missing and we may."""
    if CHROMIUM.exists():
        return CHROMIUM
    problem = "Chromium is not installed"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:  # maybe no package lists yet
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
            done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
        if CHROMIUM.exists():
            return CHROMIUM
        problem = f"apt-get could not install Chromium: {done.stderr.strip()[-300:]}"
    pytest.fail(f"{problem}; to get it, {INSTALL}", pytrace=False)


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright's sync API)."""
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the Playwright package is not installed; {INSTALL}", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PSEUDONYM_KEY = "a test key for the pseudonyms of personal data"


SOFTCART = REPO / "examples/softcart/armazem.toml"


def armazem_env(data_dir: Path, project: Path = SOFTCART) -> dict[str, str]:
    """This environment without ARMAZEM_* variables, then the project's config (SoftCart's unless
    told) and data_dir."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARMAZEM_")}
    env["ARMAZEM_PROJECT"] = str(project)
    env["ARMAZEM_DATA_DIR"] = str(data_dir)
    env["ARMAZEM_PSEUDONYM_KEY"] = PSEUDONYM_KEY
    return env


@contextmanager
def dashboard(
    data_dir: Path,
    dataset: str = "production",
    host: str | None = "127.0.0.1",
    project: Path = SOFTCART,
) -> Iterator[str]:
    """`armazem dashboard` on a free port, for as long as the block runs; yields its URL.
    `host=None` leaves the address to armazem's default."""
    port = free_port()
    log = data_dir.parent / f"dashboard-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "armazem", "dashboard", "--port", str(port),
               "--dataset", dataset, *(["--host", host] if host else [])]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=armazem_env(data_dir, project), cwd=REPO,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`armazem dashboard` exited with {process.returncode}:\n"
                        f"{log.read_text(errors='replace')[-2000:]}", pytrace=False)  # fmt: skip
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"`armazem dashboard` did not answer on {url} within {SERVER_START_SECONDS} s:\n"
                f"{log.read_text(errors='replace')[-2000:]}", pytrace=False)  # fmt: skip


# --- pages --------------------------------------------------------------------------------------

_SETTLED = """([selector, charts]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    if (document.querySelector('[data-testid="stException"]')) return true;
    const drawn = [...document.querySelectorAll(selector)]
        .filter(plot => plot.querySelector('.main-svg')).length;
    return drawn >= charts;
}"""


def settle(page: Any, charts: int) -> float:
    """Wait until the script has finished and `charts` Plotly charts are drawn (or an exception
    shows); returns milliseconds since the navigation started."""
    page.wait_for_function(_SETTLED, arg=[CHARTS, charts], timeout=PAGE_SECONDS * 1000,
                           polling=50)  # fmt: skip
    return page.evaluate("performance.now()")


def open_page(page: Any, url: str, charts: int) -> float:
    """Navigate to url; the load time (navigation start -> charts drawn) in milliseconds."""
    page.goto(url, wait_until="commit")
    return settle(page, charts)


def navigate(page: Any, title: str, charts: int) -> float:
    """Go to a page with the sidebar's link (no reload); milliseconds from click to charts."""
    started = page.evaluate("performance.now()")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    page.wait_for_function(
        "t => document.querySelector('h1') && document.querySelector('h1').innerText.startsWith(t)",
        arg=title, timeout=PAGE_SECONDS * 1000,
    )  # fmt: skip
    return settle(page, charts) - started


def exceptions(page: Any) -> list[str]:
    return [e.inner_text() for e in page.locator(EXCEPTION).all()]


def metric(page: Any, label: str) -> str:
    """The value of the metric labelled exactly `label` ("Revenue" is not "Revenue per employee",
    whichever of the two the page happens to draw first)."""
    exactly = re.compile(rf"^\s*{re.escape(label)}\s*$")
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=exactly)
    )
    return box.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def figures(page: Any, title: str) -> list[dict[str, str]]:
    """The rows of the figures table under the expander `title` (opened first)."""
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=title).first
    details = expander.locator("details")
    if details.get_attribute("open") is None:
        expander.locator("summary").click()
    table = expander.locator('[data-testid="stTable"] table')
    table.wait_for()
    return table.evaluate(
        """t => { const head = [...t.querySelectorAll('thead th')].map(c => c.innerText.trim());
                  return [...t.querySelectorAll('tbody tr')].map(r => Object.fromEntries(
                      [...r.querySelectorAll('td')].map((c, i) => [head[i], c.innerText.trim()])));
                }"""
    )


def chart_kinds(page: Any) -> list[str]:
    """What each drawn Plotly chart is: 'line', 'pie' or 'bar' (its first trace)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(p =>
               p.querySelector('.pielayer .trace') ? 'pie'
               : p.querySelector('.barlayer .trace') ? 'bar'
               : p.querySelector('.scatterlayer .trace .js-line') ? 'line' : 'other')"""
    )


def choose(page: Any, label: str, option: str, typed: str | None = None) -> None:
    """Pick an option of a multiselect or select box: type (part of) it, click it."""
    field = page.get_by_role("combobox", name=label)
    field.click()
    field.fill(typed or option)
    page.get_by_role("option", name=option, exact=True).first.click()
    page.keyboard.press("Escape")


def save_screenshot(page: Any, name: str) -> None:
    """A full-page screenshot in tests/artifacts/ (git-ignored), for a failed test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
    except Exception as exc:  # the page may be gone; the test's own failure matters more
        print(f"no screenshot for {name}: {exc}")


@contextmanager
def screenshot_on_failure(page: Any, name: str) -> Iterator[None]:
    """Save a screenshot if the block fails (for tests outside tests/dashboard/)."""
    try:
        yield
    except BaseException:
        save_screenshot(page, name)
        raise


def report_times(name: str, times: dict[str, dict[str, float]]) -> None:
    """Print page load times (for the release notes) and keep them in tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(times, indent=2) + "\n")
    kinds = list(next(iter(times.values())))
    print(f"\npage load times in the browser, ms ({name}):")
    print(f"  {'page':<14}" + "".join(f"{k:>22}" for k in kinds))
    for page, measured in times.items():
        print(f"  {page:<14}" + "".join(f"{measured[k]:>22.0f}" for k in kinds))
