"""Seeded generators of benchmark corpora, so every benchmark also runs where ``../shared`` is absent.

    python -m benchmarks.generate speed OUT --docs 100000 [--seed 1]
    python -m benchmarks.generate quality OUT [--stories 600] [--seed 7]

``speed`` writes N documents of about 1,500 characters as JSON Lines (1,000 per file, one folder
per site), a share of them lightly edited reposts of earlier ones. ``quality`` writes a labelled
corpus in the layout of ``bench/dev``: ``corpus/<site>/...`` (HTML pages, some in GBK; text pages;
JSON Lines), ``gold.jsonl`` and ``outlets.json``; see :mod:`benchmarks.synthetic` for what it holds.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.textgen import TextModel

CHUNK = 1000
_SEPARATORS = np.array(["", "，", "。", "。\n"])
_SEPARATOR_WEIGHTS = np.array([0.80, 0.14, 0.046, 0.014])
_MODELS: dict[int, TextModel] = {}


def _model(seed: int) -> TextModel:
    if seed not in _MODELS:
        _MODELS[seed] = TextModel(seed)
    return _MODELS[seed]


def fast_body(model: TextModel, rng: np.random.Generator, chars: int) -> str:
    """About ``chars`` characters of paragraphs, drawn in one vectorised step (for large corpora)."""
    n = max(8, chars * 10 // 23)
    tokens = model.words[np.minimum(np.searchsorted(model.cumulative, rng.random(n)), len(model.words) - 1)]
    seps = _SEPARATORS[np.searchsorted(np.cumsum(_SEPARATOR_WEIGHTS), rng.random(n) * 0.99999)]
    figures = np.flatnonzero(rng.random(n) < 0.03)
    tokens = tokens.astype(object)
    for k in figures.tolist():
        tokens[k] = f"{tokens[k]}{int(rng.integers(2, 99999))}"
    text = "".join((tokens + seps.astype(object)).tolist()).strip("\n，")
    return text if text.endswith("。") else text + "。"


def speed_chunk(seed: int, chunk: int, repost_share: float, sites: int) -> list[dict[str, str]]:
    """Documents ``chunk*1000 .. chunk*1000+999``: originals, and reposts of this chunk's originals."""
    model = _model(seed)
    rng = np.random.default_rng([seed, chunk])
    docs: list[dict[str, str]] = []
    for k in range(CHUNK):
        number = chunk * CHUNK + k
        site = f"site{int(rng.integers(0, sites)):04d}.example.cn"
        day = f"2026-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
        originals = [d for d in docs if not d["repost"]]
        if originals and rng.random() < repost_share:
            source = originals[int(rng.integers(0, len(originals)))]
            paragraphs = source["text"].split("\n")
            if len(paragraphs) > 3 and rng.random() < 0.5:
                del paragraphs[int(rng.integers(1, len(paragraphs)))]
            text = f"来源：{source['site'].split('.')[0]}日报\n" + "\n".join(paragraphs)
            title, repost = source["title"], source["id"]
        else:
            title = model.title(rng)
            text = fast_body(model, rng, int(rng.integers(1200, 1800)))
            repost = ""
        docs.append({"id": f"d{number:08d}", "url": f"https://{site}/{day.replace('-', '')}/{number}.html",
                     "site": site, "title": title, "published_at": day, "text": text, "repost": repost})
    return docs


def _write_speed_chunk(args: tuple[Path, int, int, float, int]) -> int:
    out, seed, chunk, repost_share, sites = args
    path = out / f"part{chunk // 100:04d}" / f"chunk{chunk:06d}.jsonl"
    if path.exists():
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for doc in speed_chunk(seed, chunk, repost_share, sites):
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return CHUNK


def write_speed_corpus(out: Path, docs: int, seed: int = 1, repost_share: float = 0.3, sites: int = 300,
                       workers: int | None = None) -> Path:
    """Write (or complete) a speed corpus of ``docs`` documents (rounded up to a thousand)."""
    out.mkdir(parents=True, exist_ok=True)
    chunks = (docs + CHUNK - 1) // CHUNK
    tasks = [(out, seed, c, repost_share, sites) for c in range(chunks)]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or chunks <= 2:
        for task in tasks:
            _write_speed_chunk(task)
    else:
        with ProcessPoolExecutor(workers) as pool:
            for _ in pool.map(_write_speed_chunk, tasks, chunksize=4):
                pass
    return out


def iter_speed_texts(out: Path) -> Iterator[dict[str, str]]:
    for path in sorted(out.rglob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="kind", required=True)
    speed = sub.add_parser("speed", help="unlabelled documents for the speed benchmark")
    speed.add_argument("out", type=Path)
    speed.add_argument("--docs", type=int, default=10_000)
    speed.add_argument("--seed", type=int, default=1)
    quality = sub.add_parser("quality", help="a labelled corpus with gold stories")
    quality.add_argument("out", type=Path)
    quality.add_argument("--stories", type=int, default=600)
    quality.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.kind == "speed":
        write_speed_corpus(args.out, args.docs, args.seed)
        print(f"wrote {args.docs} documents under {args.out}")
    else:
        from benchmarks.synthetic import write_quality_corpus

        counts = write_quality_corpus(args.out, args.stories, args.seed)
        print(f"wrote {counts['documents']} documents in {counts['stories']} stories under {args.out}")


if __name__ == "__main__":
    main()
