"""The persistent index: verbs, idempotency, configuration checks, locking, order and crashes."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dedup.config import Config
from dedup.document import Document
from dedup.engines.incremental.index import Index
from dedup.errors import ConfigMismatchError, StoreError
from dedup.io.formats import read_file, walk


def _doc(doc_id: str, paragraphs: list[str], site: str = "a.cn", **extra: str) -> dict[str, str]:
    return {"id": doc_id, "text": "\n".join(paragraphs), "site": site, **extra}


def _documents(root: Path) -> list[Document]:
    return [d for path, rel in walk([root]).files for d in read_file(path, rel) if isinstance(d, Document)]


@pytest.fixture(scope="module")
def labelled(labelled_corpus):
    return labelled_corpus(40, 21)


def test_add_query_get_remove(tmp_path, article, other_article):
    with Index(tmp_path / "i.db") as index:
        first = index.add(_doc("orig", article, "cs.com.cn", title="标题"))
        assert first.status == "new" and first.is_canonical and first.canonical_id == "orig"
        copy = index.add(_doc("copy", ["来源：中国证券报", *article[:3]], "portal.example"))
        assert copy.status == "repost" and copy.canonical_id == "orig" and not copy.is_canonical
        assert copy.containment == 1.0 and 0.5 < copy.jaccard < 1.0 and copy.cluster_size == 2
        assert [m.id for m in copy.matches] == ["orig"]
        other = index.add(_doc("other", other_article, "b.cn"))
        assert other.status == "new"
        probe = index.query(_doc("probe", article, "c.cn"))
        assert probe.status == "repost" and probe.canonical_id == "orig" and "probe" not in index
        assert len(index) == 3
        stored = index.get("copy")
        assert stored is not None and stored.attributed_source == "中国证券报" and "江城市工业和信息化局" in stored.body
        assert index.remove("copy") and not index.remove("copy") and index.get("copy") is None
        assert index.query(_doc("probe", article, "c.cn")).matches[0].id == "orig"
        assert len(index) == 2


def test_same_content_again_changes_nothing_and_new_content_replaces(tmp_path, article, other_article):
    with Index(tmp_path / "i.db") as index:
        index.add(_doc("x", article))
        before = index.store.db.execute("SELECT COUNT(*) FROM bands").fetchone()[0]
        again = index.add(_doc("x", article))
        assert again.status == "unchanged" and len(index) == 1
        assert index.store.db.execute("SELECT COUNT(*) FROM bands").fetchone()[0] == before
        replaced = index.add(_doc("x", other_article))
        assert replaced.replaced and replaced.status == "new" and len(index) == 1
        assert index.query(_doc("y", article)).status == "new"
        assert index.query(_doc("y", other_article)).status == "repost"


def test_rejected_documents_are_not_stored(tmp_path):
    with Index(tmp_path / "i.db") as index:
        verdict = index.add({"id": "tiny", "text": "快讯"})
        assert verdict.status == "rejected" and "too short" in (verdict.reason or "")
        assert len(index) == 0
        with pytest.raises(ValueError, match="needs a string 'text'"):
            index.add({"id": "no-text"})


def test_configuration_is_stored_and_checked(tmp_path, article):
    path = tmp_path / "i.db"
    with Index(path, Config(shingle_size=4)) as index:
        index.add(_doc("x", article))
    with Index(path) as index:
        assert index.config.shingle_size == 4
    with pytest.raises(ConfigMismatchError, match="shingle_size"):
        Index(path, Config(shingle_size=5))
    with Index(path, Config(shingle_size=4, threshold=0.7)) as index:  # not a hashing setting: allowed
        assert index.config.threshold == 0.7
    # words and characters make different shingles: an index keeps the tokens it was built with
    with pytest.raises(ConfigMismatchError, match="tokens: 'chars' != 'words'"):
        Index(path, Config(shingle_size=4, tokens="words"))


def test_not_an_index_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a dedup index"):
        Index(junk)
    with pytest.raises(StoreError, match="no index"):
        Index(tmp_path / "missing.db", readonly=True)


def test_one_writer_at_a_time_and_readers_meanwhile(tmp_path, article):
    path = tmp_path / "i.db"
    with Index(path) as writer:
        writer.add(_doc("x", article))
        with pytest.raises(StoreError, match="another process is writing"):
            Index(path, timeout=0.2)
        with Index(path, readonly=True) as reader:
            assert reader.query(_doc("y", article)).canonical_id == "x"
        writer.add(_doc("z", article[:2]))
    with Index(path, timeout=0.2) as again:
        assert len(again) == 2


def _index_process(corpus: Path, db: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "dedup.cli", "index", str(corpus), "--db", str(db), "--batch", "50",
                             *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        below = [child for child, parent in parents.items() if parent == current]
        found += below
        todo += below
    return found


def _running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["--bulk", "--one-by-one"])
def test_kill_during_indexing_loses_nothing_and_doubles_nothing(tmp_path, labelled, how):
    corpus = labelled / "corpus"
    expected = {d.id for d in _documents(corpus)}
    reference = tmp_path / "reference.db"
    assert _index_process(corpus, reference, how).wait() == 0
    with Index(reference) as index:
        reference_clusters = list(index.clusters())
    rng = random.Random(7)
    for attempt in range(3):
        db = tmp_path / f"crash{attempt}.db"
        process = _index_process(corpus, db, how)
        # Kill at a random moment once the writer has started committing.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Path(f"{db}-wal").exists():
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 1.5))
        helpers = _descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # Its worker processes (and their forkserver) do not outlive it.
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up and any(_running(pid) for pid in helpers):
            time.sleep(0.1)
        assert not [pid for pid in helpers if _running(pid)]
        connection = sqlite3.connect(db)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = connection.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM docs").fetchone()
        connection.close()
        # a load is one transaction: all of the corpus or nothing
        assert stored[0] == stored[1] <= len(expected) and (how == "--one-by-one" or stored[0] in (0, len(expected)))
        # run again: one by one it finishes the job; after a load (or none) it finds all stored (or loads)
        assert _index_process(corpus, db, *([how] if how == "--one-by-one" else [])).wait() == 0
        with Index(db) as index:
            assert {row[0] for row in index.store.db.execute("SELECT id FROM docs")} == expected
            # every document's keys are stored once (band keys differ by band, passage keys by passage)
            assert index.store.db.execute("SELECT COUNT(*) FROM bands").fetchone()[0] == len(expected) * index.config.total_keys
            assert list(index.clusters()) == reference_clusters


def test_cli_index_query_clusters_stats(tmp_path, labelled):
    db = tmp_path / "cli.db"
    run = [sys.executable, "-m", "dedup.cli"]
    first = subprocess.run([*run, "index", str(labelled / "corpus"), "--db", str(db)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([*run, "index", str(labelled / "corpus"), "--db", str(db)], capture_output=True, text=True)
    assert again.returncode == 0 and " 0 new, 0 reposts" in again.stderr
    stats = json.loads(subprocess.run([*run, "stats", "--db", str(db)], capture_output=True, text=True).stdout)
    assert stats["documents"] == len({d.id for d in _documents(labelled / "corpus")})
    out = tmp_path / "clusters.jsonl"
    assert subprocess.run([*run, "clusters", "--db", str(db), "-o", str(out)], capture_output=True).returncode == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all(line["size"] == len(line["members"]) >= 2 for line in lines)
    probe = json.dumps({"id": "probe", "text": lines[0]["members"][0]["title"] or ""}, ensure_ascii=False)
    answer = subprocess.run([*run, "query", "-", "--db", str(db)], input=probe, capture_output=True, text=True)
    assert answer.returncode in (0, 3)


def test_cleaning_on_worker_processes_gives_the_same_index(labelled, tmp_path):
    docs = _documents(labelled / "corpus")
    outputs = []
    for workers in (1, 2):
        with Index(tmp_path / f"w{workers}.db") as index:
            verdicts = [v.status for v in index.add_many(docs, batch=50, workers=workers)]
            outputs.append((verdicts, list(index.clusters())))
    assert outputs[0] == outputs[1]


def test_pages_left_empty_by_cleaning_on_a_templated_site_are_rejected(tmp_path, article):
    with Index(tmp_path / "i.db") as index:
        for k in range(6):
            index.add({"id": f"p{k}", "site": "s.cn", "text": f"本站提示\n{article[k % 4]}\n第{k}篇"})
        verdict = index.add({"id": "menu", "site": "s.cn", "text": "责任编辑：张三"})
        assert verdict.status == "rejected" and "empty" in (verdict.reason or "")


def test_an_index_of_another_format_is_refused_clearly(tmp_path, article):
    path = tmp_path / "old.db"
    with Index(path) as index:
        index.add(_doc("x", article))
        index.store.db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="format 0; this version of dedup reads format"):
        Index(path)


def test_cli_explain_from_an_index(tmp_path, article):
    db = tmp_path / "e.db"
    with Index(db) as index:
        index.add(_doc("orig", article, "cs.com.cn"))
        index.add(_doc("copy", ["来源：中国证券报", *article], "portal.example"))
    shown = subprocess.run([sys.executable, "-m", "dedup.cli", "explain", "--db", str(db), "--id", "copy"],
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "document copy" in shown.stdout and "orig  jaccard=" in shown.stdout and "cluster of 2" in shown.stdout
    # The scan's explainer lines: the ranking of the members, and what an index cannot tell.
    assert "  ranking:\n    orig: " in shown.stdout and "removed: not kept in an index" in shown.stdout
    missing = subprocess.run([sys.executable, "-m", "dedup.cli", "explain", "--db", str(db), "--id", "nope"],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no document with id 'nope'" in missing.stderr


def test_common_shingles_are_learned_by_the_index_and_kept_with_it(tmp_path, blurb_items):
    docs = blurb_items(40, seed=3)
    path = tmp_path / "blurb.db"
    with Index(path) as index:
        verdicts = list(index.add_many(docs))
        groups = [c for c in index.clusters() if c["size"] > 1]
        learned = index.common_shingles()
        version = index.common_version
    # clusters() learns them again from everything stored: their version is the last document's number
    assert version == len(docs)
    # Early items match on the blurb before it is known as common; the clusters judge again.
    assert groups == []
    assert len(learned) > 0 and any(v.status == "repost" for v in verdicts[:25])
    with Index(path, readonly=True) as reopened:
        assert np.array_equal(reopened.common_shingles().hashes, learned.hashes)
        assert reopened.common_version == version
        late = reopened.query(blurb_items(41, seed=3)[-1])  # one more item with the blurb
    assert late.status == "new"
    with Index(tmp_path / "off.db", Config(common_share=0)) as index:
        list(index.add_many(docs))
        assert max(c["size"] for c in index.clusters()) >= 30


def test_verdicts_name_the_canonical_copy_that_clusters_gives(labelled, tmp_path):
    docs = _documents(labelled / "corpus")
    with Index(tmp_path / "v.db", Config(common_share=0)) as index:
        list(index.add_many(docs))
        # Asked before clusters() ever ran: each stored document's verdict is its star cluster.
        verdicts = {doc.id: index.add(doc) for doc in docs}
        clustered = {m["id"]: (c["canonical_id"], c["size"]) for c in index.clusters() for m in c["members"]}
    assert len(clustered) > 100
    for doc in docs:
        assert verdicts[doc.id].status == "unchanged"
        assert (verdicts[doc.id].canonical_id, verdicts[doc.id].cluster_size) == clustered.get(doc.id, (doc.id, 1))


def test_a_document_queried_then_added_is_stored_as_if_only_added(tmp_path, article, other_article):
    # The fifth page of a site makes its repeated lines template when it is added (it counts
    # itself), not when it is only queried: the add after the query must cut them all the same.
    pages = [_doc(f"p{k}", [f"本站提示：转载请注明出处{k % 1}", article[k % 4], f"第{k}篇"], site="s.cn") for k in range(4)]
    fifth = _doc("p4", ["本站提示：转载请注明出处0", *other_article, "来源：某某网"], site="s.cn")
    outcomes = []
    for name, query_first in (("plain", False), ("queried", True)):
        with Index(tmp_path / f"{name}.db") as index:
            for page in pages:
                index.add(page)
            if query_first:
                asked = index.query(fifth)
                assert asked.status == "new"
            verdict = index.add(fifth)
            stored = index.get("p4")
            assert stored is not None
            outcomes.append((verdict, stored.body, stored.compared_lines, index.store.document(5).record))
    assert outcomes[0] == outcomes[1]
    assert "本站提示" not in outcomes[0][1]


def test_what_a_query_found_is_not_used_once_the_index_changed(tmp_path, article, other_article):
    with Index(tmp_path / "i.db") as index:
        index.add(_doc("other", other_article, site="b.cn"))
        first = _doc("x", article, site="c.cn")
        assert index.query(first).status == "new"
        # a near-duplicate arrives between the query and the add: the add must see it
        index.add(_doc("y", article[:3], site="d.cn"))
        verdict = index.add(first)
        assert verdict.status == "repost" and {m.id for m in verdict.matches} == {"y"}
        # and with nothing in between, the add after a query answers what the query said
        second = _doc("z", article, site="e.cn")
        asked = index.query(second)
        added = index.add(second)
        assert (asked.status, asked.canonical_id, asked.cluster_size) == (added.status, added.canonical_id,
                                                                           added.cluster_size) == ("repost", "x", 3)
        # a removal in between counts too
        assert index.query(_doc("w", other_article, site="f.cn")).status == "repost"
        index.remove("other")
        assert index.add(_doc("w", other_article, site="f.cn")).status == "new"
