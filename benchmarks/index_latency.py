"""Index benchmark: build time, open time, size, and per-document add/query latency at scale.

    python -m benchmarks.index_latency [--sizes 10000,100000,1000000] [--data /tmp/dedup-bench]
                                       [--probes 1000] [--workers 2] [--scan]
                                       [--build bulk|one-by-one]
    python -m benchmarks.index_latency --postgres postgresql://postgres@127.0.0.1:5432/postgres
                                       [--writers 1,2,4] [--sizes 100000] [--probes 1000]

SQLite (the default): for each size N, the seeded speed corpus of N documents
(:mod:`benchmarks.generate`) is added to a fresh index with ``dedup index`` (on ``--workers``
processes; see ``--build`` below); then the index is opened (open time: constructor plus
the first query), and ``--probes`` documents are queried and then added one at a time, each add its
own transaction, half of them new stories (from another seed) and half reposts of stored documents
under new ids; then as many others are added with no query first ("add alone": the query before an
add leaves the add less to do, the document's cleaning above all). ``add`` and ``query`` latencies
are reported as p50/p99 in milliseconds, with the database size
per document (the file as ``dedup index`` left it) and the peak resident memory. ``--scan`` also times ``dedup scan`` of the corpus, for
the ratio of building an index to scanning. The index is built by ``dedup index`` in a process of its
own: scanned and loaded at once (``--build bulk``, what it does with an empty index) or one
document after another (``--build one-by-one``).

PostgreSQL (``--postgres``, a database on the server; a fresh database is made beside it for each
run): for each number of writer processes W, the corpus files are dealt among W processes that
add them at once (``add_many``, batches of 500), for documents per second; then the W processes
add the probes at once, one at a time (each its own transaction, querying each first), for add and
query latency under W writers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.generate import speed_chunk, write_speed_corpus
from dedup.document import Document
from dedup.engines.incremental.index import Index
from dedup.io.formats import read_file, walk


def _documents(root: Path) -> Iterator[Document]:
    for path, rel in walk([root]).files:
        for item in read_file(path, rel):
            if isinstance(item, Document):
                yield item


def probes(corpus: Path, count: int, seed: int) -> list[dict[str, str]]:
    """Half new stories, half reposts (new ids, a credit line added) of stored documents."""
    fresh = [d for d in speed_chunk(seed + 1000, 0, 0.0, 300) if not d["repost"]][: count // 2]
    stored = []
    for doc in _documents(corpus):
        stored.append(doc)
        if len(stored) >= 5 * count:
            break
    rng = random.Random(seed)
    reposts = [{"id": f"probe-repost-{k}", "site": "probe.example.cn", "title": d.title or "",
                "text": "来源：探针日报\n" + d.text} for k, d in enumerate(rng.sample(stored, count - len(fresh)))]
    items = [{"id": f"probe-new-{k}", **{f: d[f] for f in ("site", "title", "text", "url")}} for k, d in enumerate(fresh)]
    mixed = items + reposts
    rng.shuffle(mixed)
    return mixed


def _scan_seconds(corpus: Path, data: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dedup.cli", "scan", str(corpus), "-o", str(data / "scan-for-index.jsonl")],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def measure(n: int, data: Path, probe_count: int, workers: int, seed: int, scan: bool = False,
            build_with: str = "--bulk") -> dict[str, Any]:
    corpus = data / f"speed-{n}-seed{seed}"
    write_speed_corpus(corpus, n, seed)
    scan_s = _scan_seconds(corpus, data) if scan else None
    path = data / f"index-{n}.db"
    for stale in data.glob(f"index-{n}.db*"):
        stale.unlink()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dedup.cli", "index", str(corpus), "--db", str(path), "--workers",
                    str(workers), "--batch", "1000", build_with], check=True, capture_output=True)
    build = time.perf_counter() - started
    build_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    built_bytes = path.stat().st_size  # closed: the log is in the file
    docs = probes(corpus, probe_count, seed)
    started = time.perf_counter()
    index = Index(path)
    index.query(docs[0])
    opened = time.perf_counter() - started
    try:
        query_ms, add_ms, statuses = _latencies(index, docs)
        alone = [{**doc, "id": f"alone-{doc['id']}"} for doc in probes(corpus, probe_count, seed + 1)]
        alone_ms = _add_latencies(index, alone)
    finally:
        index.close()
    reposts_found = sum(1 for d, s in zip(docs, statuses, strict=True) if d["id"].startswith("probe-repost") and s == "repost")
    return {
        "documents": n, "build_s": round(build, 1), "build_docs_per_s": round(n / build),
        "scan_s": round(scan_s, 1) if scan_s else None,
        "open_s": round(opened, 3),
        "add_ms_p50": round(float(np.percentile(add_ms, 50)), 2), "add_ms_p99": round(float(np.percentile(add_ms, 99)), 2),
        "add_alone_ms_p50": round(float(np.percentile(alone_ms, 50)), 2),
        "add_alone_ms_p99": round(float(np.percentile(alone_ms, 99)), 2),
        "query_ms_p50": round(float(np.percentile(query_ms, 50)), 2),
        "query_ms_p99": round(float(np.percentile(query_ms, 99)), 2),
        "bytes_per_document": round(built_bytes / n), "database_mib": round(built_bytes / 2**20),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "build_peak_rss_mib": round(build_rss / 1024),
        "probe_reposts_found": f"{reposts_found}/{sum(1 for d in docs if d['id'].startswith('probe-repost'))}",
    }


def _add_latencies(index: Index, docs: list[dict[str, str]]) -> list[float]:
    """Each document added with no query before it (nothing of it is known to the index)."""
    add_ms = []
    for doc in docs:
        mark = time.perf_counter()
        index.add(doc)
        add_ms.append(1000 * (time.perf_counter() - mark))
    return add_ms


def _latencies(index: Index, docs: list[dict[str, str]]) -> tuple[list[float], list[float], list[str]]:
    query_ms, add_ms, statuses = [], [], []
    for doc in docs:
        mark = time.perf_counter()
        index.query(doc)
        query_ms.append(1000 * (time.perf_counter() - mark))
        mark = time.perf_counter()
        verdict = index.add(doc)
        add_ms.append(1000 * (time.perf_counter() - mark))
        statuses.append(verdict.status)
    return query_ms, add_ms, statuses


def _pg_writer(url: str, files: list[str], probe_docs: list[dict[str, str]], start: Any, results: Any) -> None:
    """One writer process: its share of the corpus (timed), then its share of the probes."""
    docs = [item for path in files for item in read_file(Path(path), Path(path).name) if isinstance(item, Document)]
    with Index(url) as index:
        start.wait()
        mark = time.perf_counter()
        for _ in index.add_many(docs, batch=500, detail=False):
            pass
        bulk = time.perf_counter() - mark
        start.wait()
        mark = time.perf_counter()
        query_ms, add_ms, _ = _latencies(index, probe_docs)
        results.put((len(docs), bulk, query_ms, add_ms, time.perf_counter() - mark))


def measure_postgres(n: int, data: Path, probe_count: int, writers: int, seed: int, admin_url: str) -> dict[str, Any]:
    """W writer processes into a fresh PostgreSQL database: bulk documents per second, then
    add/query latency of single documents while all W add at once."""
    from benchmarks.race import fresh_database

    corpus = data / f"speed-{n}-seed{seed}"
    write_speed_corpus(corpus, n, seed)
    files = [str(path) for path, _ in walk([corpus]).files]
    docs = probes(corpus, probe_count, seed)
    context = multiprocessing.get_context("spawn")
    with fresh_database(admin_url) as url:
        Index(url).close()  # the tables and the configuration, before the writers race to make them
        start, results = context.Barrier(writers + 1), context.Queue()
        processes = [context.Process(target=_pg_writer, args=(url, files[k::writers], docs[k::writers], start, results))
                     for k in range(writers)]
        for process in processes:
            process.start()
        start.wait()
        mark = time.perf_counter()
        start.wait()
        bulk = time.perf_counter() - mark
        mark = time.perf_counter()
        outcomes = [results.get() for _ in processes]
        probing = time.perf_counter() - mark
        for process in processes:
            process.join()
        with Index(url, readonly=True) as index:
            stats = index.stats()
    query_ms = [ms for outcome in outcomes for ms in outcome[2]]
    add_ms = [ms for outcome in outcomes for ms in outcome[3]]
    return {
        "documents": n, "writers": writers, "build_s": round(bulk, 1), "build_docs_per_s": round(n / bulk),
        "probe_adds_per_s": round(len(add_ms) / probing),
        "add_ms_p50": round(float(np.percentile(add_ms, 50)), 2), "add_ms_p99": round(float(np.percentile(add_ms, 99)), 2),
        "query_ms_p50": round(float(np.percentile(query_ms, 50)), 2),
        "query_ms_p99": round(float(np.percentile(query_ms, 99)), 2),
        "bytes_per_document": stats["bytes_per_document"], "database_mib": round(stats["bytes"] / 2**20),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dedup-bench")
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--scan", action="store_true", help="also time `dedup scan` of each corpus")
    parser.add_argument("--build", choices=["bulk", "one-by-one"], default="bulk",
                        help="how `dedup index` fills the SQLite index (--bulk or --one-by-one)")
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="measure PostgreSQL instead (a database on the server; fresh ones are made beside it)")
    parser.add_argument("--writers", default="1,2,4", help="numbers of writer processes (with --postgres)")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    if args.postgres:
        print("| N | writers | build s | docs/s | probe adds/s | add p50 ms | add p99 ms | query p50 ms | query p99 ms "
              "| bytes/doc |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n in (int(s) for s in args.sizes.split(",") if s):
            for writers in (int(w) for w in args.writers.split(",") if w):
                row = measure_postgres(n, args.data, args.probes, writers, args.seed, args.postgres)
                rows.append(row)
                print(f"| {n:,} | {writers} | {row['build_s']} | {row['build_docs_per_s']} | {row['probe_adds_per_s']} | "
                      f"{row['add_ms_p50']} | {row['add_ms_p99']} | {row['query_ms_p50']} | {row['query_ms_p99']} | "
                      f"{row['bytes_per_document']} |", flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
        return
    print("| N | build | build s | scan s | docs/s | open s | add p50 ms | add p99 ms | add alone p50 / p99 ms "
          "| query p50 ms | query p99 ms | bytes/doc | DB MiB | peak RSS MiB build / probes | reposts found |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",") if s):
        row = measure(n, args.data, args.probes, args.workers, args.seed, args.scan, f"--{args.build}")
        rows.append(row)
        print(f"| {n:,} | {args.build} | {row['build_s']} | {row['scan_s'] or '-'} | {row['build_docs_per_s']} | "
              f"{row['open_s']} | {row['add_ms_p50']} | {row['add_ms_p99']} | "
              f"{row['add_alone_ms_p50']} / {row['add_alone_ms_p99']} | {row['query_ms_p50']} | "
              f"{row['query_ms_p99']} | {row['bytes_per_document']} | {row['database_mib']} | "
              f"{row['build_peak_rss_mib']} / {row['peak_rss_mib']} | {row['probe_reposts_found']} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
