"""Browser search benchmark: submit a search in Chromium, time it until the results are painted.

    .venv/bin/python bench/browser_search_bench.py --n 100000
    .venv/bin/python bench/browser_search_bench.py --n 100000 --reuse

Imports N catalog listings (the dataset helpers of bench/search_bench.py) with
``marketplace_app.cli import-listings`` into a private data directory, serves the
app the way the browser tests do (``reflex run --env prod``), then, in Debian's
Chromium, types a word into the search box of /search and presses Enter, over and
over. The page itself times each search, from the Enter keydown to the first
frame painted after the results for that query are on screen, so Playwright's
round-trips are not counted. Prints p50/p95/max per query shape and overall,
and p50 of each phase (two WebSocket round-trips, client navigation, rendering).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from search_bench import DEFAULT_CATALOG, KEYWORDS, dataset, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import (  # noqa: E402 (needs ROOT on sys.path)
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORTS,
    _app_env,
    _stop,
    _wait_until_up,
)

# shape -> the filters kept in the URL while words are typed into the search box
# (one set per shape: every planted word has results with each)
SHAPES: dict[str, dict[str, str]] = {
    "keyword": {},
    "keyword, cheapest first": {"sort": "price_asc"},
    "keyword + shop + price": {"kind": "shop", "min": "10", "max": "200"},
    "keyword + near + 3 km": {"near": "Old Town", "radius": "3"},
}
READY_MARKER = "imported"  # written in the data dir once the listings are in
TIMEOUT_MS = 30_000

# Timestamps every WebSocket frame and the Enter keydown, before the app's scripts run.
INIT_JS = """
window.__bench = {log: [], enter: null};
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (e) =>
      window.__bench.log.push({dir: 'in', t: performance.now(), data: String(e.data)}));
  }
  send(data) {
    window.__bench.log.push({dir: 'out', t: performance.now(), data: String(data)});
    return super.send(data);
  }
};
addEventListener('keydown', (e) => {
  if (e.key === 'Enter') window.__bench.enter = performance.now();
}, true);
"""

# Arms one measurement: resolves after the first paint that shows the results for
# `expected` (the results count's data-query), with the page's own timestamps.
ARM_JS = """
([expected, timeout]) => {
  const bench = window.__bench;
  bench.log = [];
  bench.enter = null;
  bench.done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`no results for ${expected} within ${timeout} ms`));
    }, timeout);
    const check = () => {
      const count = document.querySelector('[data-testid="results-count"]');
      if (!count || count.dataset.query !== expected) return;
      if (count.getAttribute('aria-busy') !== 'false') return;
      const cards = document.querySelectorAll('[data-testid="listing-card"]').length;
      if (cards === 0 && !/^0\\b/.test(count.textContent.trim())) return;
      const dom = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      // A requestAnimationFrame callback runs just before the frame is painted;
      // a task queued from it runs just after.
      requestAnimationFrame(() => setTimeout(() => resolve({
        enter: bench.enter, dom, paint: performance.now(), text: count.textContent,
        log: bench.log,
      })));
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                     characterData: true});
  });
}
"""

PHASES = (
    "submit round-trip",
    "navigate",
    "load round-trip",
    "render",
    "paint",
)


def shape_params(shape: str, word: str) -> dict[str, str]:
    """The URL parameters of one query: the shape's filters plus the word.

    Args:
        shape: a key of :data:`SHAPES`.
        word: one of the planted keywords.

    Returns:
        The parameters as the app keeps them in the URL.
    """
    return {**SHAPES[shape], "q": word}


def data_query(params: dict[str, str]) -> str:
    """What the results count's ``data-query`` says once these results are shown."""
    return urlencode(sorted(params.items()))


def phases(sample: dict) -> dict[str, float] | None:
    """Split one search's time at the WebSocket frames it caused.

    Reflex answers the form's ``submit`` event with a ``_redirect``; the router
    then navigates and sends the page's ``on_load`` event, whose last delta
    carries the results (``shown_query``).

    Args:
        sample: what :data:`ARM_JS` resolved with.

    Returns:
        Milliseconds per phase of :data:`PHASES`, or None when the frames are
        not the expected ones.
    """
    log = sample["log"]
    redirect = next((m for m in log if m["dir"] == "in" and "_redirect" in m["data"]), None)
    on_load = next((m for m in log if m["dir"] == "out" and "on_load" in m["data"]), None)
    results = [m for m in log if m["dir"] == "in" and "shown_query" in m["data"]]
    if not (redirect and on_load and results):
        return None
    marks = [sample["enter"], redirect["t"], on_load["t"], results[-1]["t"], sample["dom"]]
    marks.append(sample["paint"])
    return {name: marks[i + 1] - marks[i] for i, name in enumerate(PHASES)}


def prepare(data_dir: Path, env: dict[str, str], catalog: Path, reuse: bool) -> float | None:
    """Migrate and import the catalog into the data dir's database.

    Args:
        data_dir: the app's DATA_DIR.
        env: the app's environment.
        catalog: the .jsonl file to import.
        reuse: keep a database a previous ``--reuse`` run left there.

    Returns:
        The import's wall-clock seconds, or None when the database was reused.
    """
    if reuse and (data_dir / READY_MARKER).exists():
        print(f"reusing {data_dir} (database and frontend build)", flush=True)
        return None
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    cli = [sys.executable, "-m", "marketplace_app.cli"]
    subprocess.run([*cli, "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"importing {catalog} ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [*cli, "import-listings", str(catalog)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    print(done.stdout.strip().splitlines()[-1], flush=True)
    (data_dir / READY_MARKER).touch()
    return seconds


def measure(page, url: str, shape: str, warmup: int, runs: int) -> tuple[list[dict], dict]:
    """Time ``runs`` searches of one shape, after ``warmup`` untimed ones.

    Loads the shape's /search URL, then types the planted words in turn into the
    page's search box and presses Enter; the filters stay in the URL.

    Args:
        page: a Playwright page with :data:`INIT_JS` installed.
        url: the app's base URL.
        shape: a key of :data:`SHAPES`.
        warmup: untimed searches first.
        runs: timed searches.

    Returns:
        The timed samples, and word -> the results count shown.
    """
    first = shape_params(shape, KEYWORDS[-1])
    page.goto(f"{url}/search?{urlencode(first)}")
    page.wait_for_selector(
        f'[data-testid="results-count"][data-query="{data_query(first)}"][aria-busy="false"]'
    )
    box = page.get_by_test_id("search-input")
    samples, counts = [], {}
    for i in range(warmup + runs):
        word = KEYWORDS[i % len(KEYWORDS)]
        page.evaluate(ARM_JS, [data_query(shape_params(shape, word)), TIMEOUT_MS])
        box.fill(word)
        box.press("Enter")
        sample = page.evaluate("window.__bench.done")
        counts[word] = int(re.match(r"[\d,]+", sample["text"].strip())[0].replace(",", ""))
        if i >= warmup:
            samples.append(sample)
    return samples, counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time searches in Chromium on N imported listings.")
    ap.add_argument("--n", type=int, default=100_000, help="listings (default 100000)")
    ap.add_argument("--seed", type=int, default=42, help="dataset seed (default 42)")
    ap.add_argument("--runs", type=int, default=25, help="timed searches per shape (default 25)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed searches per shape first")
    ap.add_argument("--port", type=int, default=3390, help="app port (default 3390)")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path("/tmp/mp-browser-bench"),
        help="holds the data dir (database, frontend build, app.log)",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data dir afterwards, and start from one a previous --reuse run kept",
    )
    ap.add_argument("--cache", type=Path, default=Path("/tmp/mp-bench"), help="dataset cache")
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, help="catalog.py to use")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    path, stats = dataset(args.n, args.seed, args.cache, args.catalog)
    data_dir = args.workdir / f"data-{args.n}-{args.seed}"
    env = _app_env(args.port, data_dir, smtp_port=25)
    env.update(DATABASE_URL=f"sqlite:///{data_dir}/bench.db", SECRET_KEY="bench-only", SMTP_HOST="")
    import_s = prepare(data_dir, env, path, args.reuse)

    print("starting the app (reflex run --env prod) ...", flush=True)
    started = time.perf_counter()
    log = open(data_dir / "app.log", "wb")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", "prod"]
        + ["--frontend-port", str(args.port), "--backend-port", str(args.port)]
        + ["--backend-host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{args.port}"
    results: dict[str, tuple[list[dict], dict]] = {}
    try:
        _wait_until_up(url, proc, data_dir / "app.log")
        print(f"app up in {time.perf_counter() - started:.0f} s; measuring ...", flush=True)
        load_before = os.getloadavg()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORTS["desktop"], locale="en-US")
            page.add_init_script(INIT_JS)
            for shape in SHAPES:
                results[shape] = measure(page, url, shape, args.warmup, args.runs)
            browser.close()
        load_after = os.getloadavg()
    finally:
        _stop(proc)
        log.close()
        if not args.reuse:
            shutil.rmtree(data_dir, ignore_errors=True)

    imported = f"import {import_s:.1f} s (CLI, wall clock)" if import_s else "database reused"
    print(
        f"\nchromium, {args.n:,} listings, {imported}; load average "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after ({os.cpu_count()} cores)"
    )
    words = "/".join(KEYWORDS)
    print(f"{'query shape':<28} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}  results ({words})")
    every, split, ok = [], [], True
    for shape, (samples, counts) in results.items():
        times = [s["paint"] - s["enter"] for s in samples]
        every += times
        split += [p for p in map(phases, samples) if p]
        shown = "/".join(f"{counts[w]:,}" for w in KEYWORDS)
        print(
            f"{shape:<28} {percentile(times, 50):7.0f} {percentile(times, 95):7.0f} "
            f"{max(times):7.0f}  {shown}"
        )
        ok &= all(counts.values())
    print(
        f"{'all':<28} {percentile(every, 50):7.0f} {percentile(every, 95):7.0f} "
        f"{max(every):7.0f}  ({len(every)} searches)"
    )
    if split:
        print(f"\nwhere the time goes, p50 ms of each phase over {len(split)} searches:")
        for name in PHASES:
            print(f"  {name:<20} {percentile([p[name] for p in split], 50):6.1f}")
    else:
        print("\nphases: n/a (the WebSocket frames were not the expected ones)")

    wrong = [
        (w, results["keyword"][1][w], stats["keyword_hits"][w]["total"])
        for w in KEYWORDS
        if results["keyword"][1][w] != stats["keyword_hits"][w]["total"]
    ]
    for word, got, want in wrong:
        print(f"WRONG COUNT for {word!r}: {got} != {want}", file=sys.stderr)
    if not ok:
        print("a query returned no results", file=sys.stderr)
    return 0 if ok and not wrong else 1


if __name__ == "__main__":
    raise SystemExit(main())
