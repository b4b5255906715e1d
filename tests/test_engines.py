"""The engines agree: the local engine with one process and with two (banding and verification on
the workers too), the in-memory call, and the index fed in two arrival orders, on one generated corpus."""

from __future__ import annotations

import random

import pytest
from conftest import quoting_docs

from dedup.config import Config
from dedup.document import Document
from dedup.engines.incremental.index import Index
from dedup.engines.local.engine import scan, scan_corpus
from dedup.io.formats import read_file, walk
from dedup.outputs.explain import explain
from dedup.outputs.records import records
from dedup.text.outlets import OutletTable


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
    monkeypatch.setattr("dedup.engines.local.engine.MATCH_POOL_MIN_DOCS", 0)  # every stage on the workers, whatever the size
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


def _stub_and_compilation_docs() -> list[Document]:
    from benchmarks.textgen import TextModel

    model = TextModel(seed=3)
    story = model.paragraphs(model.rng, 2400)
    first, second = model.paragraphs(model.rng, 700), model.paragraphs(model.rng, 700)
    return [
        Document(id="daily/story.txt", text=story, title="江城发布数字化改造补贴细则", site="daily.com"),
        # a portal's excerpt: a passage from the middle of the story, a sixth of it
        Document(id="portal/stub.txt", text=story[1000:1420], title="补贴重点投向设备联网", site="portal.com"),
        Document(id="a/first.txt", text=first, title="券商甲：短期震荡不改慢牛格局", site="a.com"),
        Document(id="b/second.txt", text=second, title="券商乙：关注业绩确定的龙头", site="b.com"),
        # a compilation of the two commentaries under a headline of its own
        Document(id="c/digest.txt", text="机构观点汇总\n" + first + "\n" + second, title="盘后机构策略汇总", site="c.com"),
    ]


def test_a_stub_joins_its_story_and_a_compilation_joins_neither_commentary_in_every_engine(tmp_path):
    docs = _stub_and_compilation_docs()
    expected = {frozenset({"daily/story.txt", "portal/stub.txt"})}
    result = scan(docs)
    scanned = {frozenset(m["id"] for m in c["members"]) for c in records(result, 2, OutletTable.default())}
    assert scanned == expected
    # dedup explain says why the compilation stands alone
    ids = [d.id for d in result.docs]
    page = explain(result, ids.index("c/digest.txt"), OutletTable.default())
    assert "digest: holds documents of different stories: a/first.txt" in page and "b/second.txt" in page
    item = explain(result, ids.index("a/first.txt"), OutletTable.default())
    assert "item of the digest c/digest.txt" in item and "so the two stay apart" in item
    with Index(tmp_path / "i.db") as index:
        for _ in index.add_many(docs):
            pass
        assert set(_stories(index.clusters())) == expected
        assert "item of the digest c/digest.txt" in index.explain("b/second.txt")
    # Without passage keys the excerpt, a sixth of the story, is never a candidate.
    without = records(scan(docs, Config(passage_keys=0)), 2, OutletTable.default())
    assert not any("portal/stub.txt" in {m["id"] for m in c["members"]} for c in without)


def test_word_shingles_find_the_same_stories_on_a_small_corpus(labelled):
    config = Config(tokens="words", shingle_size=3)
    docs = [d for path, rel in walk([labelled / "corpus"]).files for d in read_file(path, rel) if isinstance(d, Document)]
    by_chars = _stories(c for c in records(scan(docs), 1, OutletTable.default()) if c["size"] > 1)
    by_words = _stories(c for c in records(scan(docs, config), 1, OutletTable.default()) if c["size"] > 1)
    assert len(set(by_words) & set(by_chars)) >= 0.9 * len(by_chars)


def test_passages_every_document_shares_propose_a_bounded_number_of_pairs_in_every_engine(tmp_path):
    docs = quoting_docs()
    config = Config(passage_partners=3)
    result = scan(docs, config)
    n = len(docs)
    # every report shares the quotes' passages with every other: thousands of pairs were scored...
    assert result.stats["passage_pairs_scored"] >= (n - 2) * (n - 3) / 2
    # ...and each document kept at most three of them
    assert result.stats["candidates_passages"] <= 3 * n
    assert len(result.candidates) <= result.stats["candidates_bands"] + 3 * n
    expected = {frozenset({"daily/story.txt", "portal/excerpt.txt"})}
    scanned = {frozenset(m["id"] for m in c["members"]) for c in records(result, 2, OutletTable.default())}
    assert scanned == expected
    ids = [d.id for d in result.docs]
    told = explain(result, ids.index("portal/excerpt.txt"), OutletTable.default())
    assert "daily/story.txt" in told and "passages (containment estimated" in told
    with Index(tmp_path / "i.db", config) as index:
        for _ in index.add_many(docs):
            pass
        assert set(_stories(index.clusters())) == expected
        assert "passages (containment estimated" in index.explain("portal/excerpt.txt")
