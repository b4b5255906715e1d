"""Filling an empty index from a scan (dedup/bulk.py, Index.add_corpus, `dedup index --bulk`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.textgen import TextModel
from dedup.config import Config
from dedup.engines.incremental.bulk import load_scan
from dedup.engines.incremental.index import Index
from dedup.engines.local.engine import scan_corpus
from dedup.errors import StoreError
from dedup.outputs.records import records
from dedup.stages.sketch import shingles_of
from dedup.store.sqlite import SQLiteStore
from dedup.text.normalize import compact
from dedup.text.outlets import OutletTable

HEADER = "门户网首页 新闻 财经 体育 娱乐 科技 汽车 房产 教育 健康 旅游 时尚 视频 图片 专题 论坛"
FOOTER = "本网站所刊登的各种新闻信息资料均为转载内容，仅供参考，版权归原作者所有，如有侵权请联系删除"


def _stories(count: int, seed: int) -> list[str]:
    model, rng = TextModel(seed), np.random.default_rng(seed)
    return [model.paragraphs(rng, 240) for _ in range(count)]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Stories on news sites, reposted on a portal whose pages carry its header and footer (site
    template lines; one of its pages is nothing else once they are cut), and a JSON Lines feed."""
    root = tmp_path_factory.mktemp("bulk") / "corpus"
    stories = _stories(12, 3)
    for k, story in enumerate(stories):
        _write(root / f"news{k % 3}.cn" / f"{k}.txt", f"第{k}号新闻\n来源：江城日报\n{story}")
    for k in range(9):
        _write(root / "portal.cn" / f"{k}.txt", f"转载{k}\n{HEADER}\n{stories[k]}\n{FOOTER}")
    _write(root / "portal.cn" / "menu.txt", f"导航\n{HEADER}\n{FOOTER}\n第九篇")
    feed = [json.dumps({"id": f"feed-{k}", "site": "feed.cn", "text": stories[k + 4][:-30]}, ensure_ascii=False)
            for k in range(3)]
    _write(root / "feed.jsonl", "\n".join([*feed, "{not json", feed[0]]) + "\n")
    return root


def _dedup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup.cli", *args], capture_output=True, text=True)


def test_a_loaded_index_holds_what_a_scan_of_the_corpus_finds(corpus, tmp_path):
    scanned = _dedup("scan", str(corpus), "-o", str(tmp_path / "scan.jsonl"))
    assert scanned.returncode == 3, scanned.stderr
    loaded = _dedup("index", str(corpus), "--db", str(tmp_path / "i.db"), "--rejects", str(tmp_path / "rejects.jsonl"))
    assert loaded.returncode == 3 and "loaded at once" in loaded.stderr, loaded.stderr
    listed = _dedup("clusters", "--db", str(tmp_path / "i.db"), "-o", str(tmp_path / "index.jsonl"))
    assert listed.returncode == 0, listed.stderr
    assert (tmp_path / "index.jsonl").read_bytes() == (tmp_path / "scan.jsonl").read_bytes()
    assert sum(1 for _ in (tmp_path / "index.jsonl").open()) >= 9
    # the malformed line and the second record with an id already read (file and line), and the
    # page that is nothing but the portal's template
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["path"], r["line"]) for r in rejects if r["path"] == "feed.jsonl"} == {("feed.jsonl", 4), ("feed.jsonl", 5)}
    assert any("menu" in (r.get("id") or r["path"]) for r in rejects)
    with Index(tmp_path / "i.db", readonly=True) as index:
        assert "portal.cn/menu.txt" not in index and len(index) == 12 + 9 + 3


def test_loaded_and_one_by_one_indexes_keep_the_same_documents_and_site_statistics(corpus, tmp_path):
    with Index(tmp_path / "bulk.db") as bulk, Index(tmp_path / "one.db") as one:
        loaded = bulk.add_corpus([corpus], workers=2)
        added = one.add_corpus([corpus], workers=1, bulk=False)
        assert loaded.bulk and not added.bulk
        assert loaded.statuses["new"] + loaded.statuses["repost"] == len(bulk) == len(one)
        for n, doc_id, size in bulk.store.numbers():
            here, there = bulk.store.document(n), one.store.document(one.store.lookup(doc_id)[0])
            assert here is not None and there is not None
            assert (here.digest, here.record, here.rank, here.site) == (there.digest, there.record, there.rank, there.site)
            assert here.line_keys.tolist() == there.line_keys.tolist()
            # the size stored is the body's as compared (a loaded body is cut of its template lines)
            assert size == len(shingles_of(compact(here.body), bulk.config.shingle_size)) >= bulk.config.min_shingles
            if here.site == "portal.cn":
                assert FOOTER not in here.body
            else:
                assert here.body == there.body
        for site in ("portal.cn", "news0.cn", "feed.cn"):
            assert bulk.store.site_docs(site) == one.store.site_docs(site) > 0
            assert bulk.store.top_source(site) == one.store.top_source(site)
        keys = sorted({int(k) for n, _, _ in one.store.numbers() for k in one.store.document(n).line_keys})
        assert bulk.store.line_counts(keys) == one.store.line_counts(keys)
        assert len(keys) > 40 and bulk.store.top_source("news0.cn") is not None


def test_after_a_load_documents_are_added_one_by_one(corpus, tmp_path):
    outlets = OutletTable.default()
    with scan_corpus([corpus], Config(), outlets, workers=1) as outcome:
        scanned = records(outcome.result, 2, outlets)
    with Index(tmp_path / "i.db") as index:
        index.add_corpus([corpus], workers=1)
        stored = len(index)
        # the common shingles were stored with the load, learned from the sample the index uses
        assert index.common_version == stored
        before = index.common_shingles().hashes.copy()
        assert np.array_equal(index.common_shingles(refresh=True).hashes, before)
        again = index.add_corpus([corpus], workers=1)
        # every document is found unchanged (the feed's repeated record too), nothing is added
        assert not again.bulk and again.statuses["unchanged"] == stored + 1 and len(index) == stored
        assert again.statuses["new"] == again.statuses["repost"] == 0
        story = max(scanned, key=lambda c: c["size"])
        member = index.get(story["members"][0]["id"])
        assert member is not None
        verdict = index.add({"id": "late-repost", "site": "late.cn", "text": "来源：晚报\n" + member.body})
        assert verdict.status == "repost" and verdict.canonical_id == story["canonical_id"]
        assert index.store.lookup("late-repost")[0] == stored + 1
        fresh = index.add({"id": "late-new", "site": "late.cn", "text": _stories(1, 99)[0]})
        assert fresh.status == "new" and len(index) == stored + 2


def test_a_load_into_an_index_that_holds_documents_is_refused(corpus, tmp_path):
    db = tmp_path / "i.db"
    with Index(db) as index:
        index.add({"id": "x", "site": "x.cn", "text": _stories(1, 5)[0]})
        with pytest.raises(ValueError, match="holds documents already"):
            index.add_corpus([corpus], bulk=True)
    refused = _dedup("index", str(corpus), "--db", str(db), "--bulk")
    assert refused.returncode == 2 and "holds documents already" in refused.stderr
    store = SQLiteStore(db)
    try:
        with scan_corpus([corpus], for_index=True) as outcome, pytest.raises(StoreError, match="holds documents"):
            load_scan(store, outcome, Config())
    finally:
        store.close()
    with Index(db, readonly=True) as index:
        assert len(index) == 1


def test_a_corpus_of_one_document_is_loaded_with_its_band_keys(tmp_path):
    story = _stories(1, 8)[0]
    _write(tmp_path / "one" / "a.txt", f"标题\n{story}")
    with Index(tmp_path / "i.db") as index:
        loaded = index.add_corpus([tmp_path / "one"], workers=1)
        assert loaded.bulk and loaded.statuses["new"] == 1
        verdict = index.add({"id": "b", "site": "b.cn", "text": story})
        assert verdict.status == "repost" and verdict.canonical_id == "a.txt"
