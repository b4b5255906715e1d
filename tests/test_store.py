"""The stores on their own: each verb of the store protocol, without the engine, in SQLite and
in PostgreSQL (a database of its own per test: the server of the development machines and CI)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dedup.config import Config
from dedup.errors import StoreError
from dedup.sites import SiteCounts
from dedup.store import (
    CommonSet,
    Edge,
    Link,
    PackedDocument,
    StoredDocument,
    open_store,
    pack_text,
)
from dedup.store.sqlite import SQLiteStore


def _delta(site, keys, names, sign):
    """One document's site statistics, as the index hands them to a store."""
    return SiteCounts.of([site], [np.array(keys, dtype=np.uint64)], [names], sign)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def location(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "s.db")
    else:
        yield request.getfixturevalue("pg_url")


def _doc(doc_id: str, site: str = "a.cn", body: str | None = None, rank: int = 0) -> StoredDocument:
    return StoredDocument(doc_id, site, doc_id.encode(), f'{{"id": "{doc_id}"}}', body or f"正文{doc_id}",
                          np.array([11, 12], dtype=np.uint64), rank, 3)


# band keys are uniform 64-bit hashes: these differ in their high bits, as real keys do
BIG_KEY, KEY_3, KEY_4, KEY_9 = (1 << 64) - 5, 3 << 40, 4 << 40, 9 << 40


def test_add_lookup_buckets_component_and_remove(location):
    store = open_store(location)
    store.save_config(Config())
    with store.transaction():
        a = store.add(_doc("a"), [BIG_KEY, KEY_3], [], _delta("a.cn", (11, 12), ("某网",), +1))
        b = store.add(_doc("b", body="第二篇的正文\n两行"), [BIG_KEY, KEY_4], [Link(a, 2, 0.5, 0.67)],
                      _delta("a.cn", (11,), ("某网",), +1))
        c = store.add(_doc("c", site="b.cn"), [KEY_9], [], _delta("b.cn", (), (), +1))
        # a transaction sees its own site statistics
        assert store.site_docs("a.cn") == 2 and store.line_counts([11, 12, 99]) == {11: 2, 12: 1}
    assert store.lookup("b") == (b, b"b") and store.lookup("zz") is None
    assert sorted(store.buckets([BIG_KEY, KEY_9])) == sorted([(BIG_KEY, a), (BIG_KEY, b), (KEY_9, c)])
    assert store.component([a]) == ([a, b], [(a, b)])
    assert store.component([c]) == ([c], [])
    stored = store.document(b)
    assert stored is not None and stored.body == "第二篇的正文\n两行" and stored.size == 3
    assert stored.line_keys.tolist() == [11, 12] and stored.record == '{"id": "b"}'
    assert store.bodies([a, c]) == {a: "正文a", c: "正文c"}
    assert store.documents([a], texts=False)[a].body == ""
    assert store.site_docs("a.cn") == 2 and store.line_counts([11, 12, 99]) == {11: 2, 12: 1}
    assert store.top_source("a.cn") == ("某网", 2)
    assert [e.containment for e in store.edges(a)] == [0.67]
    with store.transaction():
        store.link(c, [Link(a, 1, 0.2, 0.9)])
    assert store.component([c]) == ([a, b, c], [(a, b), (a, c)])
    with store.transaction():
        store.remove(b, _delta("a.cn", (11,), ("某网",), -1))
    assert store.component([a]) == ([a, c], [(a, c)]) and store.count() == 2
    assert store.site_docs("a.cn") == 1 and store.line_counts([11]) == {11: 1}
    assert (BIG_KEY, b) not in store.buckets([BIG_KEY])
    store.close()


def test_a_failed_transaction_leaves_nothing(location):
    store = open_store(location)
    store.save_config(Config())
    with pytest.raises(RuntimeError), store.transaction():
        store.add(_doc("a"), [KEY_3], [], _delta("a.cn", (11,), (), +1))
        raise RuntimeError("crash in the middle of a batch")
    assert store.count() == 0 and store.site_docs("a.cn") == 0 and store.buckets([KEY_3]) == []
    store.close()


def test_common_set_config_and_sample_survive_reopening(location):
    store = open_store(location)
    store.save_config(Config(threshold=0.6))
    with store.transaction():
        for k, rank in enumerate([30, 10, 20]):
            store.add(_doc(f"d{k}", rank=rank), [k << 40], [], _delta("a.cn", (), (), +1))
    store.save_common(CommonSet(np.array([1, 2], dtype=np.uint32), version=2))
    store.save_common(CommonSet(np.array([5, 9], dtype=np.uint32), version=3))
    store.close()
    reader = open_store(location, readonly=True)
    common = reader.common()
    assert common is not None and common.hashes.tolist() == [5, 9] and common.version == 3
    assert reader.stored_config() == Config(threshold=0.6)
    assert [doc.id for doc in reader.sample(2)] == ["d1", "d2"]
    with pytest.raises(StoreError):
        reader.save_common(CommonSet(np.zeros(0, dtype=np.uint32), 0))
    reader.close()


def test_one_writer_at_a_time(tmp_path):
    first = SQLiteStore(tmp_path / "s.db")
    with pytest.raises(StoreError, match="another process is writing"):
        SQLiteStore(tmp_path / "s.db", timeout=0.1)
    first.close()
    SQLiteStore(tmp_path / "s.db", timeout=0.1).close()


def test_band_keys_that_agree_in_their_high_bits_share_a_bucket_in_sqlite(tmp_path):
    # SQLite keeps 48 bits of a key: keys differing only below them come back as candidates
    # of each other (verification turns such pairs down); keys differing above them never do.
    store = SQLiteStore(tmp_path / "s.db")
    store.save_config(Config())
    with store.transaction():
        a = store.add(_doc("a"), [KEY_3 | 1], [], _delta("a.cn", (), (), +1))
    assert store.buckets([KEY_3 | 2]) == [(KEY_3 | 2, a)] and store.buckets([KEY_4]) == []
    store.close()


def test_an_empty_store_is_loaded_at_once(location):
    store = open_store(location)
    store.save_config(Config())
    docs = [PackedDocument(n, f"d{n}", "a.cn" if n < 3 else "b.cn", bytes([n]) * 16, pack_text(f'{{"id": "d{n}"}}'),
                           pack_text(f"正文{n}"), np.array([11, 10 + n], dtype=np.uint64).tobytes(), 9, 100 - n, label)
            for n, label in ((1, 1), (2, 1), (3, 3))]
    # band keys in parts of the key space, each sorted by key and number
    bands = [(np.array([KEY_3, KEY_3, KEY_4], dtype=np.uint64), np.array([1, 2, 3])),
             (np.array([BIG_KEY, BIG_KEY], dtype=np.uint64), np.array([1, 3]))]
    sites = SiteCounts(("a.cn", "b.cn"), np.array([2, 1]), np.array([11, 12, 13], dtype=np.uint64), np.array([3, 1, 1]),
                       np.array([0, 0, 1], dtype=np.int32), {("a.cn", "某网"): 2})
    store.load(iter(docs), iter(bands), [Edge(1, 2, 5, 0.8, 0.9)], sites, CommonSet(np.array([7, 9], np.uint32), 3))
    assert store.count() == store.top() == 3 and store.lookup("d2") == (2, bytes([2]) * 16)
    assert sorted(store.buckets([KEY_3, BIG_KEY])) == sorted([(KEY_3, 1), (KEY_3, 2), (BIG_KEY, 1), (BIG_KEY, 3)])
    assert store.component([2]) == ([1, 2], [(1, 2)]) and store.component([3]) == ([3], [])
    stored = store.document(3)
    assert stored is not None and stored.body == "正文3" and stored.line_keys.tolist() == [11, 13]
    assert store.site_docs("a.cn") == 2 and store.line_counts([11, 12, 99]) == {11: 3, 12: 1}
    assert store.top_source("a.cn") == ("某网", 2)
    common = store.common()
    assert common is not None and common.version == 3 and common.hashes.tolist() == [7, 9]
    assert [d.id for d in store.sample(2)] == ["d3", "d2"]
    # documents added later are numbered after the loaded ones
    with store.transaction():
        assert store.add(_doc("later"), [KEY_9], [], _delta("b.cn", (), (), +1)) == 4
    with pytest.raises(StoreError, match="holds documents already"):
        store.load(iter(docs), iter(bands), [], sites, CommonSet(np.zeros(0, np.uint32), 3))
    assert store.count() == 4
    store.close()


def test_sqlite_copies_its_log_into_the_file_while_the_writer_keeps_it_open(tmp_path):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    store.save_config(Config())
    size = path.stat().st_size
    with store.transaction():
        for k in range(200):
            store.add(_doc(f"d{k}", body="正文" * 400), [KEY_3 + k], [], _delta("a.cn", (11,), (), +1))
    # the pages committed reach the database file itself, with no add waiting for it
    deadline = time.monotonic() + 10
    while path.stat().st_size <= size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > size
    store.close()
    assert not (tmp_path / "s.db-wal").exists()  # closed: everything copied, the log removed
