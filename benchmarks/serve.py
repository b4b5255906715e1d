"""Load on ``dedup serve``: concurrent clients stream generated documents into the service on
PostgreSQL, on loopback only, bounded in count and in time.

    python -m benchmarks.serve [--docs 100000] [--clients 16] [--batch 0] [--workers 2]
                               [--postgres URL] [--max-seconds 3600] [--json results.json]

The documents are stories and, for a fifth of them, a copy with one sentence rewritten; a copy
is sent right after its story by another client, so the two are often added at the same moment
by different server processes. ``--batch 0`` sends one document a request, ``--batch N`` N a
request. The service runs with ``--workers`` processes on a fresh database of the server at
``--postgres`` (the machine's by default), dropped afterwards.

Reported: documents a second, latency per request (p50, p99) and per document, errors by HTTP
status, documents stored against sent, and copies found (the copy's or its story's verdict names
the other) against the generator's truth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import numpy as np

from benchmarks.race import DEFAULT_POSTGRES, fresh_database
from benchmarks.textgen import TextModel


def documents(count: int, seed: int = 3, copy_share: float = 0.2) -> tuple[list[dict[str, str]], dict[str, str]]:
    """``count`` documents in sending order, and each copy's story."""
    model = TextModel(seed)
    docs: list[dict[str, str]] = []
    story_of: dict[str, str] = {}
    k = 0
    while len(docs) < count:
        sentences = [model.sentence(model.rng) for _ in range(12)]
        story = {"id": f"s{k:06d}", "text": "".join(sentences), "title": model.title(model.rng), "site": f"site{k % 97}.cn"}
        docs.append(story)
        if model.rng.random() < copy_share / (1 - copy_share) and len(docs) < count:
            sentences[len(sentences) // 2] = model.sentence(model.rng)
            copy = {"id": f"c{k:06d}", "text": "".join(sentences), "title": story["title"], "site": f"mirror{k % 89}.com"}
            docs.append(copy)
            story_of[copy["id"]] = story["id"]
        k += 1
    return docs, story_of


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _load(url: str, requests: list[list[dict[str, str]]], clients: int, batch: bool,
                deadline: float) -> dict[str, Any]:
    import httpx

    queue: asyncio.Queue[list[dict[str, str]]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    per_doc: list[float] = []
    errors: Counter[str] = Counter()
    verdicts: dict[str, dict[str, Any]] = {}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while not queue.empty() and time.monotonic() < deadline:
                request = queue.get_nowait()
                started = time.perf_counter()
                try:
                    if batch:
                        answer = await http.post("/v1/documents:batch", json={"documents": request})
                    else:
                        answer = await http.post("/v1/documents", json=request[0])
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                took = time.perf_counter() - started
                if answer.status_code != 200:
                    errors[str(answer.status_code)] += 1
                    continue
                latencies.append(took)
                per_doc.extend([took / len(request)] * len(request))
                for verdict in (answer.json()["verdicts"] if batch else [answer.json()]):
                    verdicts[verdict["id"]] = verdict

    await asyncio.gather(*(client() for _ in range(clients)))
    return {"latencies": latencies, "per_doc": per_doc, "errors": errors, "verdicts": verdicts}


def run(url: str, docs: list[dict[str, str]], story_of: dict[str, str], clients: int, batch: int, workers: int,
        max_seconds: float) -> dict[str, Any]:
    import psycopg

    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "dedup", "serve", "--db", url, "--port", str(port),
                               "--workers", str(workers), "--max-batch", str(max(batch, 1))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, server)
        requests = [docs[k:k + max(batch, 1)] for k in range(0, len(docs), max(batch, 1))]
        started = time.monotonic()
        outcome = asyncio.run(_load(base, requests, clients, batch > 0, started + max_seconds))
        seconds = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    with psycopg.connect(url) as db:
        row = db.execute("SELECT COUNT(*) FROM docs").fetchone()
        stored = int(row[0]) if row else 0
    verdicts = outcome["verdicts"]
    found = sum(1 for copy, story in story_of.items() if copy in verdicts and story in verdicts and (
        story in {m["id"] for m in verdicts[copy]["matches"]} or copy in {m["id"] for m in verdicts[story]["matches"]}))
    sent = sum(1 for doc in docs if doc["id"] in verdicts)
    latency = np.array(outcome["latencies"]) * 1000
    per_doc = np.array(outcome["per_doc"]) * 1000
    return {"documents": len(docs), "answered": sent, "stored": stored, "seconds": round(seconds, 1),
            "docs_per_second": round(sent / seconds, 1), "clients": clients, "batch": batch, "workers": workers,
            "request_ms_p50": round(float(np.percentile(latency, 50)), 2) if len(latency) else None,
            "request_ms_p99": round(float(np.percentile(latency, 99)), 2) if len(latency) else None,
            "doc_ms_p50": round(float(np.percentile(per_doc, 50)), 2) if len(per_doc) else None,
            "errors": dict(outcome["errors"]), "copies": len(story_of), "copies_found": found,
            "copies_answered": sum(1 for copy, story in story_of.items() if copy in verdicts and story in verdicts)}


def _wait_ready(base: str, server: subprocess.Popen[str]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"dedup serve stopped: {server.stderr.read() if server.stderr else ''}")
        time.sleep(0.2)
    raise RuntimeError("dedup serve did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=0, help="documents a request (0: one, to /v1/documents)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("DEDUP_TEST_POSTGRES", DEFAULT_POSTGRES))
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    docs, story_of = documents(args.docs)
    with fresh_database(args.postgres) as url:
        result = run(url, docs, story_of, args.clients, args.batch, args.workers, args.max_seconds)
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main()
