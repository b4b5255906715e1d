"""The engines agree: the local engine with one process and with two (banding and verification on
the workers too), the in-memory call, and the index fed in two arrival orders, on one generated corpus."""

from __future__ import annotations

import random

import pytest

from dedup.config import Config
from dedup.corpus import scan, scan_corpus
from dedup.document import Document
from dedup.index import Index
from dedup.io.readers import read_file, walk
from dedup.outlets import OutletTable
from dedup.report import records


@pytest.fixture(scope="module")
def labelled(labelled_corpus):
    return labelled_corpus(50, 21)


def _stories(clusters):
    return {frozenset(m["id"] for m in c["members"]): (c["canonical_id"], (c["origin"] or {}).get("outlet"))
            for c in clusters}


def test_engines_agree(labelled, tmp_path, monkeypatch):
    config, outlets = Config(), OutletTable.default()
    with scan_corpus([labelled / "corpus"], config, outlets, workers=1) as outcome:
        one = records(outcome.result, 1, outlets)
    monkeypatch.setattr("dedup.corpus.MATCH_POOL_MIN_DOCS", 0)  # every stage on the workers, whatever the size
    with scan_corpus([labelled / "corpus"], config, outlets, workers=2) as outcome:
        two = records(outcome.result, 1, outlets)
    docs = [d for path, rel in walk([labelled / "corpus"]).files for d in read_file(path, rel)
            if isinstance(d, Document)]
    in_memory = records(scan(docs, config, outlets), 1, outlets)
    assert one == two == in_memory
    assert sum(1 for c in one if c["size"] > 1) >= 40

    indexed = []
    for name, order in (("arrival", docs), ("shuffled", random.Random(5).sample(docs, len(docs)))):
        with Index(tmp_path / f"{name}.db", config, outlets) as index:
            for _ in index.add_many(order, batch=97):
                pass
            indexed.append(_stories(index.clusters()))
    scanned = _stories(c for c in one if c["size"] > 1)
    # Site templates are learned as documents arrive in the index and from the whole corpus in a
    # scan: a site's first pages can keep lines a scan drops. In arrival order the stories, their
    # canonical copies and origins are the scan's; in another order nearly all are.
    assert indexed[0] == scanned
    shared = set(indexed[1]) & set(scanned)
    assert len(shared) >= 0.95 * len(scanned)
    assert all(indexed[1][group] == scanned[group] for group in shared)
