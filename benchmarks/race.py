"""The race of two writers: near-duplicates added at the same moment by two processes.

    python -m benchmarks.race [--pairs 2000] [--processes 8] [--postgres URL] [--redis HOST:PORT]
                              [--json results.json]

Each pair is a story and a lightly edited copy of it. The processes work in couples; for every
pair, the two processes of a couple meet at a barrier and then each adds one of the two
documents at once, asking "have we seen this story?" as it adds. A pair is missed when neither
answer names the other document and the store keeps no link between them: a pipeline would
keep both as new stories.

Two contestants on the same pairs: dedup's index in PostgreSQL (``Index.add``; a fresh database
per run) and datasketch's ``MinHashLSH`` with its Redis storage (``query`` then ``insert``, the
usual way to use it). A control run adds every pair from one process, to show that each pair is
found when nobody races.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.textgen import TextModel

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def make_pairs(count: int, seed: int = 11) -> list[tuple[dict[str, str], dict[str, str]]]:
    """``count`` pairs of (story, copy): the copy has one sentence of the story rewritten."""
    model = TextModel(seed)
    pairs = []
    for k in range(count):
        sentences = [model.sentence(model.rng) for _ in range(14)]
        copy = list(sentences)
        copy[len(copy) // 2] = model.sentence(model.rng)
        title = model.title(model.rng)
        pairs.append(({"id": f"pair{k:05d}/story", "text": "".join(sentences), "title": title,
                       "site": f"outlet{k % 40}.cn"},
                      {"id": f"pair{k:05d}/copy", "text": "".join(copy), "title": title,
                       "site": f"mirror{k % 40}.com"}))
    return pairs


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of ``admin_url``, dropped afterwards; yields its URL."""
    import psycopg

    name = f"dedup_race_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlsplit(admin_url)._replace(path="/" + name).geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _dedup_writer(url: str, docs: list[dict[str, str]], barrier: Any, answers: Any) -> None:
    from dedup.engines.incremental.index import Index

    with Index(url) as index:
        barrier.wait()  # every writer has opened the index
        for doc in docs:
            barrier.wait()
            verdict = index.add(doc)
            answers.put((doc["id"], [match.id for match in verdict.matches]))


def _redis_writer(settings: dict[str, Any], docs: list[dict[str, str]], barrier: Any, answers: Any) -> None:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=128, storage_config=settings)
    barrier.wait()
    for doc in docs:
        text = doc["text"]
        sketch = MinHash(num_perm=128, seed=1)
        sketch.update_batch([text[i:i + 5].encode("utf-8") for i in range(len(text) - 4)])
        barrier.wait()
        found = lsh.query(sketch)
        lsh.insert(doc["id"], sketch)
        answers.put((doc["id"], [str(key) for key in found]))


def _run(target: Any, settings: Any, pairs: list[tuple[dict[str, str], dict[str, str]]],
         processes: int) -> dict[str, list[str]]:
    """Run ``processes`` writers in couples over ``pairs``; the answers each document got."""
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    couples = max(1, processes // 2)
    workers, barriers = [], []  # the barriers are held here until every writer has ended
    for c in range(couples):
        mine = pairs[c::couples]
        barrier = context.Barrier(2 if processes > 1 else 1)
        barriers.append(barrier)
        sides = ([[a for a, _ in mine], [b for _, b in mine]] if processes > 1
                 else [[doc for pair in mine for doc in pair]])
        for side in sides:
            workers.append(context.Process(target=target, args=(settings, side, barrier, answers)))
    for worker in workers:
        worker.start()
    got: dict[str, list[str]] = {}
    expected = 2 * len(pairs)
    while len(got) < expected:
        if not any(worker.is_alive() for worker in workers) and answers.empty():
            break
        try:
            doc_id, found = answers.get(timeout=1)
        except Exception:  # queue.Empty
            continue
        got[doc_id] = found
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a writer failed with exit code {worker.exitcode}")
    return got


def dedup_race(url: str, pairs: list[tuple[dict[str, str], dict[str, str]]], processes: int) -> dict[str, Any]:
    """Race ``processes`` dedup writers into the empty PostgreSQL database ``url``; missed pairs
    are those with neither an answer naming the other document nor a stored link between them."""
    from dedup.engines.incremental.index import Index

    start = time.perf_counter()
    answers = _run(_dedup_writer, url, pairs, processes)
    seconds = time.perf_counter() - start
    with Index(url, readonly=True) as index:
        ids = {n: doc_id for n, doc_id, _ in index.store.numbers()}
        linked = {frozenset((ids[e.a], ids[e.b])) for e in index.store.edges()}
    missed = [a["id"] for a, b in pairs
              if frozenset((a["id"], b["id"])) not in linked
              or not (b["id"] in answers.get(a["id"], []) or a["id"] in answers.get(b["id"], []))]
    return {"pairs": len(pairs), "processes": processes, "missed": len(missed), "missed_ids": missed[:20],
            "seconds": round(seconds, 1)}


def redis_race(host: str, port: int, pairs: list[tuple[dict[str, str], dict[str, str]]],
               processes: int) -> dict[str, Any]:
    """The same race with datasketch's MinHashLSH on Redis (a fresh key prefix per run)."""
    import redis

    basename = f"dedup-race-{uuid.uuid4().hex[:10]}".encode()
    settings = {"type": "redis", "basename": basename, "redis": {"host": host, "port": port}}
    start = time.perf_counter()
    answers = _run(_redis_writer, settings, pairs, processes)
    seconds = time.perf_counter() - start
    client = redis.Redis(host=host, port=port)
    for key in client.scan_iter(match=basename + b"*"):
        client.delete(key)
    missed = [a["id"] for a, b in pairs
              if not (b["id"] in answers.get(a["id"], []) or a["id"] in answers.get(b["id"], []))]
    return {"pairs": len(pairs), "processes": processes, "missed": len(missed), "missed_ids": missed[:20],
            "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="a database on the server to use (a fresh database is made beside it)")
    parser.add_argument("--redis", default="127.0.0.1:6379")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    pairs = make_pairs(args.pairs)
    host, port = args.redis.rsplit(":", 1)
    rows = []
    for name, processes in (("control (one process)", 1), (f"race ({args.processes} processes)", args.processes)):
        with fresh_database(args.postgres) as url:
            rows.append(("dedup, PostgreSQL", name, dedup_race(url, pairs, processes)))
        rows.append(("datasketch MinHashLSH, Redis", name, redis_race(host, int(port), pairs, processes)))
    print(f"## {args.pairs:,} pairs of near-duplicates\n")
    print("| store | run | missed pairs | seconds |")
    print("|---|---|---|---|")
    for store, name, result in rows:
        print(f"| {store} | {name} | {result['missed']} | {result['seconds']} |")
    if args.json:
        args.json.write_text(json.dumps([{"store": s, "run": n, **r} for s, n, r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
