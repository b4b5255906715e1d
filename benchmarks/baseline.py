"""The plain datasketch pipeline users start from, for side-by-side comparison.

Character 5-grams of the raw page text (as dedup's readers return it, furniture included), MinHash
with 128 permutations and datasketch's default hash, MinHashLSH at threshold 0.8, union-find over
the LSH candidates. It has no notion of an original: the canonical copy is the earliest-read member.
"""

from __future__ import annotations

from typing import Any

from datasketch import MinHash, MinHashLSH

from dedup.document import Document


def _find(parent: list[int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def baseline_clusters(docs: list[Document], k: int = 5, num_perm: int = 128, threshold: float = 0.8) -> list[dict[str, Any]]:
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    minhashes = []
    for index, doc in enumerate(docs):
        text = doc.text
        grams = {text[i : i + k].encode("utf-8") for i in range(max(1, len(text) - k + 1))}
        m = MinHash(num_perm=num_perm)
        m.update_batch(grams)
        minhashes.append(m)
        lsh.insert(str(index), m)
    parent = list(range(len(docs)))
    for index, m in enumerate(minhashes):
        for other in lsh.query(m):
            a, b = _find(parent, index), _find(parent, int(other))
            if a != b:
                parent[b] = a
    groups: dict[int, list[int]] = {}
    for index in range(len(docs)):
        groups.setdefault(_find(parent, index), []).append(index)
    out: list[dict[str, Any]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        out.append({
            "cluster_id": f"b{len(out) + 1:06d}",
            "canonical_id": docs[members[0]].id,
            "origin": None,
            "members": [{"id": docs[m].id} for m in members],
        })
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.baseline DIR -o OUT.jsonl``: the baseline as a command, for timing."""
    import argparse
    import json

    from dedup.io.formats import read_file, walk

    parser = argparse.ArgumentParser(description="plain datasketch pipeline over a corpus directory")
    parser.add_argument("corpus")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    docs: list[Document] = []
    for path, rel in walk([args.corpus]).files:
        docs.extend(d for d in read_file(path, rel) if isinstance(d, Document))
    with open(args.output, "w", encoding="utf-8") as handle:
        for cluster in baseline_clusters(docs):
            handle.write(json.dumps(cluster, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
