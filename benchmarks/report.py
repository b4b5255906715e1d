"""The HTML report at scale: build time and size, and the first view's time in headless Chromium.

    python -m benchmarks.report CLUSTERS.jsonl [CLUSTERS.jsonl ...] [--chromium chromium] [--json out.json]

For each file of cluster records (``dedup scan``'s output, e.g. of the speed corpus at 1M
documents): ``dedup report`` as a subprocess (wall time, peak memory, the page's size), then the
page opened in headless Chromium, three times: the time from navigation to the end of the page's
script (its data parsed, the overview and the first hundred rows drawn), as the page itself
measures it (``performance.now()``), and the wall time of the whole browser run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.speed import run_measured


def first_view_ms(chromium: str, page: Path, fragment: str = "") -> tuple[int, float]:
    started = time.perf_counter()
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--dump-dom", page.resolve().as_uri() + fragment], capture_output=True, text=True, timeout=300,
                          check=True)
    wall = time.perf_counter() - started
    found = re.search(r'data-ready-ms="(\d+)"', done.stdout)
    if not found:
        raise RuntimeError("the page's script did not finish")
    return int(found.group(1)), wall


def measure(records: Path, chromium: str, out: Path) -> dict[str, Any]:
    page = out / (records.stem + ".html")
    run = run_measured([sys.executable, "-m", "dedup.cli", "report", str(records), "-o", str(page)])
    clusters = sum(1 for _ in records.open(encoding="utf-8"))
    views = [first_view_ms(chromium, page) for _ in range(3)]
    return {"records": str(records), "clusters": clusters, "build_s": round(run["seconds"], 1),
            "peak_rss_mib": round(run["peak_rss_mib"]), "page_mib": round(page.stat().st_size / 2**20, 1),
            "first_view_ms": statistics.median(v[0] for v in views),
            "browser_wall_s": round(statistics.median(v[1] for v in views), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", nargs="+", type=Path)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    print("| records | clusters | build s | peak RSS MiB | page MiB | first view ms (in the page) | browser run s |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for records in args.records:
            row = measure(records, args.chromium, Path(scratch))
            rows.append(row)
            print(f"| {records.name} | {row['clusters']:,} | {row['build_s']} | {row['peak_rss_mib']} | "
                  f"{row['page_mib']} | {row['first_view_ms']} | {row['browser_wall_s']} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
