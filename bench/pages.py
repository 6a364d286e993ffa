"""The dashboards' pages in Chromium: the time from navigation to the first chart drawn, and to
every chart drawn, on the example projects (SoftCart and TechCo) built by the real pipeline.

Targets: the first chart under 2 s after navigation in a new browser context with the server
already running (warm), and under 4 s for the very first visit after `armazem dashboard` starts
(first). For "first", each page gets a server of its own: `armazem dashboard` is started, and the
page is opened as soon as the server answers its health check. For "warm", each page is opened
BENCH_REPEATS times (default 3), each time in a new browser context, after one visit of every page
to the same server; median and best are reported.

Times are the browser's: from the navigation's start (`performance.timeOrigin`) to the moment a
MutationObserver, installed before the page's own scripts, sees a Plotly chart's SVG appear. Each
visit also records what the browser fetched (bytes of JavaScript, compressed or not), when the
WebSocket to the server opened, and when the script run started and ended as the page shows it.

Then the floor under those times: a bare page of four charts and a title, no query, served by
plain `streamlit run`, drawn with Plotly (what the pages use) and with Vega-Lite (Streamlit's
other built-in chart library), in the same conditions (BENCH_FLOOR=0 leaves it out).

The projects are built once per scale (`armazem run --scale`, BENCH_SCALE, default 0.05) into
BENCH_DATA_DIR (default: a folder in the system's temporary directory), and reused after that.

    BENCH_SCALE=0.05 .venv/bin/python -m bench pages
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
SCALE = os.environ.get("BENCH_SCALE", "0.05")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
DATA = Path(os.environ.get("BENCH_DATA_DIR", Path(tempfile.gettempdir()) / "armazem-bench-pages"))
FIRST_TARGET_S = 4.0
WARM_TARGET_S = 2.0
PSEUDONYM_KEY = "a key for the benchmark's pseudonyms"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# title -> url path, per example project (its own pages, then the engine's Data health)
PROJECTS: dict[str, dict[str, str]] = {
    "softcart": {
        "Sales": "",
        "Catalog": "catalog",
        "Web traffic": "web_traffic",
        "Data health": "data_health",
    },
    "techco": {
        "Engineering": "",
        "Delivery": "delivery",
        "Support": "support",
        "People": "people",
        "Finance": "finance",
        "Data health": "data_health",
    },
}
FLOOR = os.environ.get("BENCH_FLOOR", "1") != "0"
SERVER_START_S = 90
PAGE_MS = 60_000

# Before any script of the page: note when each Plotly chart's SVG first appears.
_OBSERVER = """(() => {
    window.__charts = [];
    const seen = new WeakSet();
    const look = () => {
        const drawn = '.js-plotly-plot .main-svg, .vega-embed svg, .vega-embed canvas';
        for (const svg of document.querySelectorAll(drawn)) {
            const plot = svg.closest('.js-plotly-plot, .vega-embed');
            if (!seen.has(plot)) { seen.add(plot); window.__charts.push(performance.now()); }
        }
    };
    new MutationObserver(look).observe(document, {childList: true, subtree: true});
})();"""

# Done: the script has run, nothing is stale, and every chart the page holds is drawn.
_SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    if (document.querySelector('[data-testid="stException"]')) return true;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return charts.length > 0 && charts.every(c => c.querySelector('.main-svg'));
}"""

_RESOURCES = """() => performance.getEntriesByType('resource').map(r => ({
    name: r.name, type: r.initiatorType, start: r.startTime, end: r.responseEnd,
    transfer: r.transferSize, body: r.decodedBodySize, encoded: r.encodedBodySize}))"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(project: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARMAZEM_")}
    env["ARMAZEM_PROJECT"] = str(REPO / "examples" / project / "armazem.toml")
    env["ARMAZEM_DATA_DIR"] = str(data)
    env["ARMAZEM_PSEUDONYM_KEY"] = PSEUDONYM_KEY
    return env


def build(project: str) -> Path:
    """The project's data directory, built by `armazem run --scale SCALE` unless it already is."""
    data = DATA / f"{project}-{SCALE}" / "data"
    done = data / ".bench-built"
    if done.exists():
        return data
    data.mkdir(parents=True, exist_ok=True)
    print(f"building {project} at scale {SCALE} in {data} ...", flush=True)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "armazem", "run", "--scale", SCALE],
                         env=environment(project, data), cwd=REPO, capture_output=True,
                         text=True)  # fmt: skip
    if run.returncode != 0:
        sys.exit(f"`armazem run` of {project} failed:\n{run.stdout[-1500:]}\n{run.stderr[-1500:]}")
    done.write_text(f"{time.perf_counter() - started:.0f} s\n")
    return data


@contextmanager
def server(project: str, data: Path, log: Path) -> Iterator[tuple[str, float]]:
    """`armazem dashboard` on a free port; yields its URL and the seconds it took to answer."""
    port = free_port()
    command = [sys.executable, "-m", "armazem", "dashboard", "--port", str(port)]
    started = time.perf_counter()
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=environment(project, data), cwd=REPO,
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                sys.exit(f"`armazem dashboard` exited with {process.returncode}; see {log}")
            if time.perf_counter() - started > SERVER_START_S:
                sys.exit(f"`armazem dashboard` did not answer within {SERVER_START_S} s; see {log}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        yield url, time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def visit(browser: Any, url: str) -> dict[str, Any]:
    """One visit in a new browser context: times in ms from the navigation's start."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(_OBSERVER)
    page = context.new_page()
    sockets: list[float] = []
    page.on("websocket", lambda _: sockets.append(time.perf_counter()))
    try:
        page.goto(url, wait_until="commit")
        origin = time.perf_counter() - page.evaluate("performance.now()") / 1000
        page.wait_for_function(_SETTLED, timeout=PAGE_MS, polling="raf")
        drawn = page.evaluate("window.__charts")
        failed = page.locator('[data-testid="stException"]').count()
        resources = page.evaluate(_RESOURCES)
        dom = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {html: n.responseEnd, dom: n.domContentLoadedEventEnd}; }"
        )
    finally:
        context.close()
    scripts = [r for r in resources if r["type"] == "script" or r["name"].endswith(".js")]
    return {
        "first_chart_ms": round(drawn[0]) if drawn else None,
        "all_charts_ms": round(max(drawn)) if drawn else None,
        "charts": len(drawn),
        "exceptions": failed,
        "html_ms": round(dom["html"]),
        "dom_ready_ms": round(dom["dom"]),
        "websocket_ms": round((sockets[0] - origin) * 1000) if sockets else None,
        "scripts": len(scripts),
        "scripts_done_ms": round(max((r["end"] for r in scripts), default=0)),
        "script_kib_transferred": round(sum(r["transfer"] for r in scripts) / 1024),
        "script_kib_decoded": round(sum(r["body"] for r in scripts) / 1024),
        "resources": len(resources),
    }


def bench_project(browser: Any, project: str) -> dict[str, Any]:
    data = build(project)
    log = DATA / f"{project}-{SCALE}" / "dashboard.log"
    pages: dict[str, Any] = {}
    for title, path in PROJECTS[project].items():
        with server(project, data, log) as (url, started_s):
            first = visit(browser, f"{url}/{path}")
        pages[title] = {"server_start_s": round(started_s, 1), "first": first}
        print(f"  {project} {title}: first visit {first['first_chart_ms']} ms", flush=True)
    with server(project, data, log) as (url, _):
        for path in PROJECTS[project].values():  # every page seen once: the server is warm
            visit(browser, f"{url}/{path}")
        for title, path in PROJECTS[project].items():
            warm = [visit(browser, f"{url}/{path}") for _ in range(REPEATS)]
            pages[title]["warm"] = warm
            firsts = [v["first_chart_ms"] for v in warm]
            alls = [v["all_charts_ms"] for v in warm]
            pages[title]["warm_first_chart_median_ms"] = round(statistics.median(firsts))
            pages[title]["warm_first_chart_best_ms"] = min(firsts)
            pages[title]["warm_all_charts_median_ms"] = round(statistics.median(alls))
            pages[title]["warm_all_charts_best_ms"] = min(alls)
    return pages


# --- the floor: four charts and a title, nothing else ------------------------------------------

_FLOOR_APP = """import streamlit as st
st.set_page_config(layout="wide")
st.title("Charts")
months = [f"2025-{m:02d}" for m in range(1, 13)]
for i, column in enumerate(st.columns(2) + st.columns(2)):
    values = [j * (i + 1) for j in range(12)]
    with column:
        if LIBRARY == "plotly":
            import plotly.graph_objects as go
            trace = go.Bar if i % 2 else go.Scatter
            figure = go.Figure(trace(x=months, y=values))
            figure.update_layout(height=340, title=f"chart {i}")
            st.plotly_chart(figure, key=f"c{i}", config={"displayModeBar": False})
        else:
            st.vega_lite_chart({"data": {"values": [{"month": m, "value": v} for m, v
                                                    in zip(months, values)]},
                                "mark": {"type": "bar" if i % 2 else "line", "tooltip": True},
                                "encoding": {"x": {"field": "month", "type": "ordinal"},
                                             "y": {"field": "value", "type": "quantitative"}},
                                "title": f"chart {i}", "height": 300}, key=f"c{i}")
"""


def floor_visit(browser: Any, url: str) -> int:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(_OBSERVER)
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.__charts.length >= 4", timeout=PAGE_MS,
                               polling="raf")  # fmt: skip
        return round(page.evaluate("window.__charts")[0])
    finally:
        context.close()


def floor(browser: Any) -> dict[str, Any]:
    """First chart of the bare page per chart library: median and best of REPEATS (warm)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for library in ("plotly", "vega-lite"):
            script = Path(folder) / f"{library.replace('-', '_')}.py"
            script.write_text(f"LIBRARY = {library!r}\n" + _FLOOR_APP)
            port = free_port()
            command = [
                sys.executable, "-m", "streamlit", "run", str(script),
                "--server.headless", "true", "--server.address", "127.0.0.1",
                "--server.port", str(port), "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            process = subprocess.Popen(command, **quiet, start_new_session=True)
            url = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + SERVER_START_S
                while time.monotonic() < deadline:
                    try:
                        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                            break
                    except OSError:
                        time.sleep(0.1)
                floor_visit(browser, url)  # the script run once
                times = [floor_visit(browser, url) for _ in range(REPEATS)]
            finally:
                process.terminate()
                process.wait(timeout=15)
            median = round(statistics.median(times))
            results[library] = {"first_chart_ms": times, "median_ms": median, "best_ms": min(times)}
    return results


def verdict(ms: float | None, target_s: float) -> str:
    return "MET" if ms is not None and ms < target_s * 1000 else "MISSED"


def table(results: dict[str, dict[str, Any]]) -> list[str]:
    head = (f"{'project':<9} {'page':<12} {'first: 1st chart':>17} {'all':>6} {'':<7}"
            f"{'warm: 1st median':>17} {'best':>6} {'all':>6} {'':<7}")  # fmt: skip
    lines = [head + f"targets: first < {FIRST_TARGET_S:.0f} s, warm < {WARM_TARGET_S:.0f} s"]
    for project, pages in results.items():
        for title, p in pages.items():
            first = p["first"]
            lines.append(
                f"{project:<9} {title:<12} {first['first_chart_ms']:>17} "
                f"{first['all_charts_ms']:>6} {verdict(first['first_chart_ms'], 4):<7}"
                f"{p['warm_first_chart_median_ms']:>17} {p['warm_first_chart_best_ms']:>6} "
                f"{p['warm_all_charts_median_ms']:>6} "
                f"{verdict(p['warm_first_chart_median_ms'], WARM_TARGET_S):<7}"
            )  # fmt: skip
    return lines


def markdown(
    results: dict[str, dict[str, Any]], meta: dict[str, Any], floors: dict[str, Any]
) -> str:
    rows = [
        "| project | page | first visit: first chart ms | all charts ms | target < 4 s | "
        "warm: first chart median ms | best | all charts median ms | target < 2 s | "
        "JS KiB transferred (decoded) | WebSocket open ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for project, pages in results.items():
        for title, p in pages.items():
            first, warm = p["first"], p["warm"][0]
            rows.append(
                f"| {project} | {title} | {first['first_chart_ms']} | {first['all_charts_ms']} | "
                f"{verdict(first['first_chart_ms'], FIRST_TARGET_S)} | "
                f"{p['warm_first_chart_median_ms']} | {p['warm_first_chart_best_ms']} | "
                f"{p['warm_all_charts_median_ms']} | "
                f"{verdict(p['warm_first_chart_median_ms'], WARM_TARGET_S)} | "
                f"{warm['script_kib_transferred']} ({warm['script_kib_decoded']}) | "
                f"{warm['websocket_ms']} |"
            )  # fmt: skip
    return f"""# Dashboard pages in Chromium ({meta["date"]})

`BENCH_SCALE={SCALE} python -m bench pages` on {meta["cores"]} cores (shared with other work: the
1-minute load average was {meta["load_average"][0]} at the start, {meta["load_average"][1]} at the
end), Python {meta["python"]}, Debian's Chromium through Playwright; projects built by `armazem run
--scale {SCALE}`.

{chr(10).join(rows)}

First visit: a new `armazem dashboard`, the page opened as soon as the server answers its health
check (one server per page). Warm: a new browser context per visit, every page seen once before;
median and best of {REPEATS}. Times from the navigation's start to the first Plotly chart drawn,
and to the last. JS: the scripts of the warm visit (a new context, so nothing in the browser's
cache), bytes on the wire and decoded. Details of every visit: `pages.json`.
{_floor_text(floors)}"""


def _floor_text(floors: dict[str, Any]) -> str:
    if not floors:
        return ""
    rows = "\n".join(f"| {library} | {r['median_ms']} | {r['best_ms']} |"
                     for library, r in floors.items())  # fmt: skip
    return f"""
## The floor: a bare page of four charts and a title

Served by plain `streamlit run`, no query, warm, a new browser context per visit (median and best
of {REPEATS}): what Streamlit and the chart library cost the browser before any page of ours adds
to it.

| chart library | first chart median ms | best ms |
|---|---|---|
{rows}
"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for project in os.environ.get("BENCH_PROJECTS", ",".join(PROJECTS)).split(","):
                results[project] = bench_project(browser, project)
            floors = floor(browser) if FLOOR else {}
        finally:
            browser.close()
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": float(SCALE),
        "repeats": REPEATS,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    print("\n".join(table(results)))
    for library, result in floors.items():
        print(f"floor, a bare page of 4 charts, {library}: first chart median "
              f"{result['median_ms']} ms, best {result['best_ms']} ms")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.json").write_text(
        json.dumps({**meta, "projects": results, "floor": floors}, indent=2) + "\n"
    )
    (RESULTS / "pages.md").write_text(markdown(results, meta, floors))
