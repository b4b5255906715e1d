"""The copies ledger at scale: ``dedup copies --db`` on a large index, and the outlet page in a browser.

    python -m benchmarks.copies [--sizes 100000,1000000] [--data /tmp/dedup-bench] [--postgres URL]
                                [--page-copies 10000] [--chromium chromium] [--json out.json]

For each size N, the seeded speed corpus of N documents (:mod:`benchmarks.generate`) is indexed
once with ``dedup index`` (scanned and loaded at once; kept under ``--data`` for later runs, and
with ``--postgres URL`` loaded into a fresh database beside that one as well); the outlet that is
the origin of most clusters is read from the index's ``origins`` table, and ``dedup copies --db
INDEX --outlet NAME`` runs three times as a subprocess: wall time (median), peak memory of the
process tree, and how many copies it listed, by credit kind.

The outlet page: a file of cluster records whose largest origin outlet has ``--page-copies``
copies (2,000 stories of five copies each at 10,000, every credit kind, beside other outlets'
stories) is made here, ``dedup report --outlet NAME`` writes the page, and headless Chromium opens
it three times: the time from navigation to the end of the page's script (the outlet's copies
drawn), as the page measures it, and the browser run's wall time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.generate import write_speed_corpus
from benchmarks.report import first_view_ms
from benchmarks.speed import run_measured
from dedup.stages.credit import KINDS


def build_index(corpus: Path, db: str, workers: int) -> float:
    """Index the corpus with ``dedup index`` (bulk); seconds."""
    run = run_measured([sys.executable, "-m", "dedup.cli", "index", str(corpus), "--db", db, "--workers", str(workers),
                        "--bulk"])
    return float(run["seconds"])


def largest_origin(db: str) -> tuple[str, int]:
    """The outlet that is the origin of most clusters in the index, and how many."""
    query = "SELECT outlet, count(*) FROM origins WHERE label >= 0 GROUP BY outlet ORDER BY 2 DESC, 1 LIMIT 1"
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as connection:
            row = connection.execute(query).fetchone()
    else:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            row = connection.execute(query).fetchone()
    assert row is not None, f"{db} names no origin"
    return str(row[0]), int(row[1])


def time_copies(db: str, outlet: str, out: Path) -> dict[str, Any]:
    runs = [run_measured([sys.executable, "-m", "dedup.cli", "copies", "--db", db, "--outlet", outlet,
                          "-o", str(out)]) for _ in range(3)]
    listed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    kinds = Counter(copy["credit"] for copy in listed)
    return {"seconds": round(statistics.median(run["seconds"] for run in runs), 2),
            "peak_rss_mib": round(max(run["peak_rss_mib"] for run in runs)), "copies": len(listed),
            "stories": len({copy["cluster_id"] for copy in listed}), "credits": {k: kinds[k] for k in KINDS}}


def page_records(copies: int, path: Path) -> str:
    """Cluster records with ``copies`` copies of one outlet's stories (five per story), every credit
    kind among them, and as many stories of ten other outlets; returns the outlet's name."""
    outlet = "东海日报"
    with open(path, "w", encoding="utf-8") as handle:
        for story in range(copies // 5 * 2):
            name = outlet if story % 2 == 0 else f"外地晚报{story % 10}"
            members = [{"id": f"s{story}/original", "site": "donghai-daily.cn" if name == outlet else "other.cn",
                        "role": "canonical", "published_at": f"2026-03-{story % 28 + 1:02d}T08:00:00+08:00",
                        "title": f"第{story}篇报道的标题", "jaccard": 1.0, "containment": 1.0}]
            for copy in range(5):
                kind = KINDS[(story + copy) % len(KINDS)]
                member: dict[str, Any] = {
                    "id": f"s{story}/copy{copy}", "site": f"copier{(story * 5 + copy) % 400}.example",
                    "url": f"https://copier{copy}.example/{story}.html", "title": f"第{story}篇报道的标题",
                    "published_at": f"2026-03-{story % 28 + 1:02d}T{9 + copy:02d}:30:00+08:00", "role": "copy",
                    "jaccard": 0.9, "containment": 1.0, "taken": 0.9, "copied_share": 0.8 + copy / 50,
                    "credit": {"kind": kind, "lines": [{"names": "outlet", "outlet": name, "form": "来源",
                                                        "text": f"来源:{name}"}] if kind == "outlet" else []}}
                members.append(member)
            handle.write(json.dumps({"cluster_id": f"c{story + 1:06d}", "size": 6, "canonical_id": members[0]["id"],
                                     "origin": {"outlet": name, "evidence": []}, "members": members},
                                    ensure_ascii=False) + "\n")
    return outlet


def time_page(copies: int, chromium: str, scratch: Path) -> dict[str, Any]:
    records = scratch / "page-records.jsonl"
    outlet = page_records(copies, records)
    page = scratch / "outlet.html"
    run = run_measured([sys.executable, "-m", "dedup.cli", "report", str(records), "-o", str(page), "--outlet", outlet])
    views = []
    for _ in range(3):
        ms, wall = first_view_ms(chromium, page, f"#outlet={outlet}")
        views.append((ms, wall))
    return {"copies": copies, "build_s": round(run["seconds"], 1), "page_mib": round(page.stat().st_size / 2**20, 1),
            "first_view_ms": statistics.median(v[0] for v in views),
            "browser_wall_s": round(statistics.median(v[1] for v in views), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dedup-bench")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="also load each corpus into a fresh database beside this one and time it there")
    parser.add_argument("--page-copies", type=int, default=10000)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    print("| N | store | build s | largest origin (clusters) | copies listed (stories) | credit kinds | "
          "dedup copies s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (int(size) for size in args.sizes.split(",")):
        corpus = args.data / f"speed-{n}-seed1"
        write_speed_corpus(corpus, n, 1)
        targets = [("sqlite", str(args.data / f"copies-index-{n}.db"))]
        if args.postgres:
            targets.append(("postgresql", fresh_database(args.postgres, f"dedup_copies_{n}")))
        for store, db in targets:
            done = args.data / f"copies-index-{n}.{store}.done"
            build = float(done.read_text()) if done.exists() and store == "sqlite" else None
            if build is None:
                if store == "sqlite":
                    for stale in args.data.glob(f"copies-index-{n}.db*"):
                        stale.unlink()
                build = build_index(corpus, db, args.workers)
                done.write_text(str(build))
            outlet, clusters = largest_origin(db)
            row = time_copies(db, outlet, args.data / f"copies-{n}-{store}.jsonl")
            row.update({"documents": n, "store": store, "build_s": round(build, 1), "outlet": outlet,
                        "clusters": clusters})
            rows.append(row)
            print(f"| {n:,} | {store} | {row['build_s']} | {outlet} ({clusters:,}) | {row['copies']:,} "
                  f"({row['stories']:,}) | {', '.join(f'{k} {v}' for k, v in row['credits'].items())} | "
                  f"{row['seconds']} | {row['peak_rss_mib']} |", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        page = time_page(args.page_copies, args.chromium, Path(scratch))
    print()
    print("| outlet page: copies | report build s | page MiB | first view ms (in the page) | browser run s |")
    print("|---|---|---|---|---|")
    print(f"| {page['copies']:,} | {page['build_s']} | {page['page_mib']} | {page['first_view_ms']} | "
          f"{page['browser_wall_s']} |")
    if args.json:
        args.json.write_text(json.dumps({"index": rows, "page": page}, indent=2, ensure_ascii=False) + "\n")
    return 0


def fresh_database(url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``url`` (dropped first if it is there)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    sys.exit(main())
