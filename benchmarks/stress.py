"""A corpus whose documents share passages with many unrelated documents: the cost stress test.

    python -m benchmarks.stress OUT --docs 100000 [--seed 3] [--corpora ../shared/corpora]

Every document is about 1,500 characters assembled from sentences of the real Chinese news in
``../shared/corpora`` (netease-qq-2016, cctv-xwlb-2020, finnews-em-sina-2018: about 95,600
distinct sentences), drawn at random, so that at 100k documents each sentence appears in about 30
unrelated documents and at 1M in about 300, as disclaimers, quoted statements, legal text and
stock phrases recur across a real crawl. 10% of the documents are partial copies of an earlier one
(a lead, a middle excerpt, or most of it with sentences of its own), the cases that passage keys
exist for. Nothing of ``../shared`` is written into the repository: the corpus is made at run time.

Written under OUT: ``partNNNN/chunkNNNNNN.jsonl`` (1,000 documents each; fields as the speed
corpus: ``id``, ``url``, ``site``, ``title``, ``published_at``, ``text``) and ``gold.jsonl`` (one
line per copy: ``id``, ``copy_of``, ``kind``). Generation is seeded and chunked, so a larger
corpus holds the smaller ones' documents as its first chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parent.parent / "shared" / "corpora"
SOURCES = ("netease-qq-2016", "cctv-xwlb-2020", "finnews-em-sina-2018")
CHUNK = 1000
COPY_SHARE = 0.10
MAX_SENTENCE = 160
"""Longer runs (whole paragraphs without a full stop) would let one shared run make two documents
copies of each other."""
MIN_COPY_CHARS = 400
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_POOL: list[str] = []


def sentence_pool(corpora: Path = CORPORA) -> list[str]:
    """The distinct sentences (8 to ``MAX_SENTENCE`` characters) of the source corpora, in a fixed order."""
    if _POOL:
        return _POOL
    found: set[str] = set()
    for name in SOURCES:
        path = corpora / name / "articles.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the stress corpus is built from ../shared/corpora")
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                text = json.loads(line).get("text") or ""
                found.update(s.strip() for s in _SENTENCE.findall(text) if 8 <= len(s.strip()) <= MAX_SENTENCE)
    _POOL.extend(sorted(found))
    return _POOL


def _body(pool: list[str], rng: np.random.Generator, chars: int) -> list[str]:
    sentences: list[str] = []
    total = 0
    while total < chars:
        sentence = pool[int(rng.integers(0, len(pool)))]
        sentences.append(sentence)
        total += len(sentence)
    return sentences


def _paragraphs(sentences: list[str], rng: np.random.Generator) -> str:
    lines, line = [], ""
    for sentence in sentences:
        line += sentence
        if rng.random() < 0.25:
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return "\n".join(lines)


def _at_least(sentences: list[str], start: int, count: int, chars: int) -> list[str]:
    """``count`` sentences from ``start``, more while they hold fewer than ``chars`` characters."""
    end = min(len(sentences), start + count)
    while end < len(sentences) and sum(len(s) for s in sentences[start:end]) < chars:
        end += 1
    return sentences[start:end]


def _copy(source: list[str], pool: list[str], rng: np.random.Generator) -> tuple[list[str], str]:
    """A partial copy of ``source``'s sentences: its lead, an excerpt, or most of it plus text of
    its own. A copy holds at least ``MIN_COPY_CHARS`` of the source, so that no single sentence
    (which other documents may hold too) makes up half of it."""
    n = len(source)
    kind = ("lead", "excerpt", "most")[int(rng.integers(0, 3))]
    if kind == "lead":
        return _at_least(source, 0, int(n * rng.uniform(0.15, 0.4)), MIN_COPY_CHARS), kind
    if kind == "excerpt":
        length = int(n * rng.uniform(0.3, 0.6))
        start = int(rng.integers(1, max(2, n - length)))
        return _at_least(source, start, length, MIN_COPY_CHARS), kind
    kept = _at_least(source, 0, int(n * rng.uniform(0.6, 0.95)), MIN_COPY_CHARS)
    own = _body(pool, rng, int(rng.integers(50, 300)))
    return kept + own, kind


def stress_chunk(seed: int, chunk: int, corpora: Path = CORPORA) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Documents ``chunk*1000 .. chunk*1000+999`` and the gold lines of the copies among them."""
    pool = sentence_pool(corpora)
    rng = np.random.default_rng([seed, chunk, 25])
    docs: list[dict[str, str]] = []
    gold: list[dict[str, str]] = []
    originals: list[tuple[str, str, list[str]]] = []
    for k in range(CHUNK):
        number = chunk * CHUNK + k
        doc_id = f"s{number:08d}"
        site = f"site{int(rng.integers(0, 300)):04d}.example.cn"
        day = f"2026-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
        if originals and rng.random() < COPY_SHARE:
            source_id, title, source = originals[int(rng.integers(0, len(originals)))]
            sentences, kind = _copy(source, pool, rng)
            gold.append({"id": doc_id, "copy_of": source_id, "kind": kind})
        else:
            sentences = _body(pool, rng, int(rng.integers(1200, 1800)))
            title = sentences[0][:24].rstrip("。！？!?")
            originals.append((doc_id, title, sentences))
        docs.append({"id": doc_id, "url": f"https://{site}/{day.replace('-', '')}/{number}.html", "site": site,
                     "title": title, "published_at": day, "text": _paragraphs(sentences, rng)})
    return docs, gold


def _write_chunk(args: tuple[Path, int, int, Path]) -> list[dict[str, str]]:
    out, seed, chunk, corpora = args
    path = out / f"part{chunk // 100:04d}" / f"chunk{chunk:06d}.jsonl"
    docs, gold = stress_chunk(seed, chunk, corpora)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            for doc in docs:
                handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return gold


def write_stress_corpus(out: Path, docs: int, seed: int = 3, corpora: Path = CORPORA,
                        workers: int | None = None) -> Path:
    """Write (or complete) a stress corpus of ``docs`` documents (rounded up to a thousand) under
    ``out/corpus``, and its gold under ``out/gold.jsonl``; returns the corpus folder."""
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    gold_path = out / "gold.jsonl"
    chunks = (docs + CHUNK - 1) // CHUNK
    tasks = [(corpus, seed, c, corpora) for c in range(chunks)]
    workers = workers or os.cpu_count() or 1
    sentence_pool(corpora)  # read once here: forked workers inherit it
    gold: list[dict[str, str]] = []
    if workers <= 1 or chunks <= 2:
        for task in tasks:
            gold.extend(_write_chunk(task))
    else:
        with ProcessPoolExecutor(workers) as pool:
            for lines in pool.map(_write_chunk, tasks, chunksize=4):
                gold.extend(lines)
    tmp = gold_path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(line) + "\n" for line in gold), encoding="utf-8")
    os.replace(tmp, gold_path)
    return corpus


def read_gold(out: Path) -> Iterator[dict[str, str]]:
    with open(out / "gold.jsonl", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def copy_recall(out: Path, clusters: Path) -> dict[str, float]:
    """Of the gold copies, the share that share a cluster with the document they copy, by kind and
    in all; and the share of clustered pairs that are not a copy and its source (or two copies of
    one source): wrongly joined."""
    label: dict[str, int] = {}
    with open(clusters, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            for member in json.loads(line)["members"]:
                label[member["id"]] = number
    story: dict[str, str] = {}
    found: dict[str, list[int]] = {}
    for copy in read_gold(out):
        story[copy["id"]] = copy["copy_of"]
        same = copy["id"] in label and label[copy["id"]] == label.get(copy["copy_of"])
        found.setdefault(copy["kind"], []).append(int(same))
        found.setdefault("all", []).append(int(same))
    members: dict[int, list[str]] = {}
    for doc_id, number in label.items():
        members.setdefault(number, []).append(doc_id)
    pairs = wrong = 0
    for ids in members.values():
        roots = [story.get(doc_id, doc_id) for doc_id in ids]
        for a in range(len(roots)):
            for b in range(a + 1, len(roots)):
                pairs += 1
                wrong += roots[a] != roots[b]
    figures = {kind: sum(hits) / len(hits) for kind, hits in found.items()}
    figures["precision"] = 1 - wrong / pairs if pairs else 1.0
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--score", type=Path, default=None, help="a clusters.jsonl of this corpus to score")
    args = parser.parse_args(argv)
    if args.score:
        print(json.dumps(copy_recall(args.out, args.score), indent=1))
        return
    corpus = write_stress_corpus(args.out, args.docs, args.seed, args.corpora)
    print(f"wrote {args.docs} documents under {corpus}")


if __name__ == "__main__":
    main()
