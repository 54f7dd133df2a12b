"""Search benchmark: import N catalog listings, then time the search service.

    .venv/bin/python bench/search_bench.py --n 10000
    .venv/bin/python bench/search_bench.py --n 100000
    .venv/bin/python bench/search_bench.py --n 100000 --postgres postgresql+psycopg://u@host/db

Generates the dataset with ../shared/datasets/catalog.py (cached under
/tmp/mp-bench), imports it with the app's importer into a fresh SQLite file
(or into the given, empty PostgreSQL database), checks the planted keyword
counts, then prints p50/p95 over --runs searches for each query type.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="mp-bench-data-"))
os.environ.setdefault("SECRET_KEY", "bench-only")

from datasets import catalog_script  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_CATALOG = catalog_script()
KEYWORDS = ("lamp", "honey", "bicycle", "walnut")
# keyword -> a category it is planted in, for the keyword + category + price query
KEYWORD_CATEGORY = {"lamp": "home", "honey": "produce", "bicycle": "sports", "walnut": "furniture"}


def dataset(n: int, seed: int, cache: Path, script: Path) -> tuple[Path, dict]:
    """The cached catalog file and its stats, generated when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    out, stats = cache / f"catalog-{n}-{seed}.jsonl", cache / f"catalog-{n}-{seed}.stats.json"
    if not (out.exists() and stats.exists()):
        print(f"generating {out} ...", flush=True)
        subprocess.run(
            [sys.executable, str(script), "--n", str(n), "--seed", str(seed), "--out", str(out)]
            + ["--stats", str(stats)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out, json.loads(stats.read_text())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time the search service on N imported listings.")
    ap.add_argument("--n", type=int, default=10_000, help="listings (default 10000)")
    ap.add_argument("--seed", type=int, default=42, help="dataset seed (default 42)")
    ap.add_argument("--runs", type=int, default=300, help="timed runs per query type (>= 200)")
    ap.add_argument("--batch", type=int, default=10_000, help="importer batch size")
    ap.add_argument("--postgres", metavar="URL", help="an EMPTY PostgreSQL database to use")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/mp-bench"), help="dataset cache")
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, help="catalog.py to use")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite file and print its path")
    args = ap.parse_args(argv)

    from sqlmodel import Session

    from marketplace_app import migrations
    from marketplace_app.db import get_engines, write_session_for
    from marketplace_app.services import geo, importer, search

    path, stats = dataset(args.n, args.seed, args.cache, args.catalog)
    workdir = Path(tempfile.mkdtemp(prefix="mp-bench-db-"))
    url = args.postgres or f"sqlite:///{workdir / 'bench.db'}"
    backend = "postgresql" if args.postgres else "sqlite"
    migrations.upgrade(url)
    read_engine = get_engines(url)[0]
    write = functools.partial(write_session_for, url)

    with Session(read_engine) as session:
        existing = session.connection().exec_driver_sql("SELECT count(*) FROM listings").scalar()
    if existing:
        print(f"refusing: the database already has {existing} listings", file=sys.stderr)
        return 2

    print(f"importing {args.n:,} listings into {backend} ...", flush=True)
    report = importer.import_listings(write, path, batch=args.batch)
    if report.imported != args.n or report.bad:
        print(f"import incomplete: {report}", file=sys.stderr)
        return 1

    def run(query: search.SearchQuery) -> search.SearchResult:
        with Session(read_engine) as session:
            return search.search(session, query)

    for kw in KEYWORDS:
        got, want = run(search.SearchQuery(text=kw)).total, stats["keyword_hits"][kw]["total"]
        if got != want:
            print(f"WRONG COUNT for {kw!r}: {got} != {want}", file=sys.stderr)
            return 1

    origins = [geo.district_centre(name) for name in geo.DISTRICTS]
    queries = {
        "keyword": lambda i: search.SearchQuery(text=KEYWORDS[i % 4]),
        "keyword + category + price": lambda i: search.SearchQuery(
            text=KEYWORDS[i % 4],
            category=KEYWORD_CATEGORY[KEYWORDS[i % 4]],
            min_price_cents=1_000,
            max_price_cents=20_000,
        ),
        "keyword + radius 3 km": lambda i: search.SearchQuery(
            text=KEYWORDS[i % 4], origin=origins[i % len(origins)], radius_km=3
        ),
        "radius 5 km by distance": lambda i: search.SearchQuery(
            origin=origins[i % len(origins)], radius_km=5, sort="distance"
        ),
    }
    runs = max(args.runs, 200)
    print(
        f"\n{backend}, {args.n:,} listings: import {report.seconds:.1f} s "
        f"({args.n / report.seconds:,.0f} listings/s, search index included)"
    )
    print(f"{'query':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'avg hits':>9}")
    for name, make in queries.items():
        for i in range(20):  # warm-up
            run(make(i))
        times, hits = [], []
        for i in range(runs):
            started = time.perf_counter()
            result = run(make(i))
            times.append((time.perf_counter() - started) * 1000)
            hits.append(result.total)
        print(
            f"{name:<28} {percentile(times, 50):8.2f} {percentile(times, 95):8.2f} "
            f"{max(times):8.2f} {statistics.mean(hits):9.0f}"
        )
    if args.keep and backend == "sqlite":
        print(f"\ndatabase kept: {workdir / 'bench.db'}")
    elif backend == "sqlite":
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
