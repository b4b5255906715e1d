"""datatrove's MinHash deduplication on a dedup corpus, for side-by-side timing and quality.

    python -m benchmarks.datatrove_minhash CORPUS_DIR WORK_DIR [--workers 2]
    python -m benchmarks.datatrove_minhash CORPUS_DIR WORK_DIR --labels clusters.jsonl

datatrove's own pipeline (its readers, signature, bucket and cluster steps and its local
executor), configured as a user would for Chinese news: character 5-grams (a tokenizer that
yields one token per character, since its word tokenizers do not segment Chinese), 16 buckets of
8 hashes, ``--workers`` processes: signatures, buckets, clusters (the run that is timed). Then,
in a second run with ``--labels``, its filter step labels every document of that work folder's
clusters, and the clusters of two or more are written as dedup's records (``members`` with
``id``), so that the same scorers read both outputs.

Needs the ``bench`` extra (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

N_GRAMS, BUCKETS, HASHES_PER_BUCKET = 5, 16, 8


class CharacterTokenizer:
    """One token per character (spaces dropped): what character shingles need from datatrove."""

    def word_tokenize(self, text: str) -> list[str]:
        return [ch for ch in text if not ch.isspace()]


def _steps(corpus: Path, work: Path, workers: int) -> dict[str, Any]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import minhash
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader

    # The signature step loads a word tokenizer for its language when it is made (English needs
    # spaCy); ours replaces it, and goes to the workers with the step.
    minhash.load_word_tokenizer = lambda language: CharacterTokenizer()

    config = MinhashConfig(n_grams=N_GRAMS, num_buckets=BUCKETS, hashes_per_bucket=HASHES_PER_BUCKET)
    files = len(list(corpus.rglob("*.jsonl")))
    reader = JsonlReader(str(corpus), glob_pattern="**/*.jsonl", id_key="id", text_key="text")
    seconds: dict[str, float] = {}
    runs = (
        ("signatures", [reader, MinhashDedupSignature(output_folder=str(work / "signatures"), config=config)],
         min(files, 4 * workers)),
        ("buckets", [MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"),
                                         config=config)], BUCKETS),
        ("clusters", [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"),
                                          config=config, save_cluster_id=True)], 1),
    )
    for name, pipeline, tasks in runs:
        mark = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks),
                              logging_dir=str(work / "logs" / name), skip_completed=False).run()
        seconds[name] = time.perf_counter() - mark
    seconds["total"] = sum(seconds.values())
    return {"seconds": seconds, "tasks": min(files, 4 * workers)}


def _labels(corpus: Path, work: Path, tasks: int, workers: int, out: Path) -> int:
    """Run datatrove's filter with cluster ids and write the clusters of two or more as records."""
    from datatrove.data import DocumentsPipeline
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.dedup.minhash import MinhashDedupFilter
    from datatrove.pipeline.readers import JsonlReader

    labels_dir = work / "labels"
    labels_dir.mkdir(parents=True, exist_ok=True)

    class Labels(PipelineStep):
        def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
            with open(labels_dir / f"{rank:05d}.tsv", "w", encoding="utf-8") as handle:
                for doc in data:
                    handle.write(f"{doc.id}\t{doc.metadata.get('minhash_cluster_id', -1)}\n")
                    yield doc

    reader = JsonlReader(str(corpus), glob_pattern="**/*.jsonl", id_key="id", text_key="text")
    # The filter drops all but one document of each cluster: labels are written before it by
    # asking it for ids first, so the filter runs with an exclusion writer that keeps the rest.
    from datatrove.pipeline.writers import JsonlWriter

    excluded = JsonlWriter(str(work / "excluded"), output_filename="${rank}.jsonl", compression=None)
    pipeline = [reader, MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                                           exclusion_writer=excluded), Labels()]
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks),
                          logging_dir=str(work / "logs" / "labels"), skip_completed=False).run()
    groups: dict[str, list[str]] = {}
    for path in labels_dir.glob("*.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            doc_id, label = line.split("\t")
            if label != "-1":
                groups.setdefault(label, []).append(doc_id)
    for path in (work / "excluded").glob("*.jsonl"):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                label = record.get("metadata", {}).get("minhash_cluster_id", -1)
                if label != -1:
                    groups.setdefault(str(label), []).append(record["id"])
    written = 0
    with open(out, "w", encoding="utf-8") as handle:
        for label, ids in sorted(groups.items()):
            if len(ids) > 1:
                handle.write(json.dumps({"cluster_id": label, "size": len(ids),
                                         "members": [{"id": doc_id} for doc_id in sorted(ids)]}) + "\n")
                written += 1
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path, help="a scratch folder (emptied first)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--labels", type=Path, default=None,
                        help="label the documents of an earlier run in WORK_DIR and write its clusters here")
    args = parser.parse_args(argv)
    if args.labels:
        tasks = min(len(list(args.corpus.rglob("*.jsonl"))), 4 * args.workers)
        print(json.dumps({"clusters_written": _labels(args.corpus, args.work, tasks, args.workers, args.labels)}))
        return
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    print(json.dumps(_steps(args.corpus, args.work, args.workers)))


if __name__ == "__main__":
    main()
