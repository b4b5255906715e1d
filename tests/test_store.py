"""The SQLite store on its own: each verb of the store protocol, without the engine."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.config import Config
from dedup.errors import StoreError
from dedup.store import CommonSet, Link, SiteDelta, StoredDocument, open_store
from dedup.store.sqlite import SQLiteStore


def _doc(doc_id: str, site: str = "a.cn", shingles=(1, 2, 3), rank: int = 0) -> StoredDocument:
    return StoredDocument(doc_id, site, doc_id.encode(), f'{{"id": "{doc_id}"}}', f"正文{doc_id}",
                          np.array(shingles, dtype=np.uint32), np.array([7], dtype=np.uint64),
                          np.array([11, 12], dtype=np.uint64), rank)


def test_add_lookup_buckets_component_and_remove(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    store.save_config(Config())
    big_key = (1 << 64) - 5  # above 2**63: stored signed, given back as it was
    with store.transaction():
        a = store.add(_doc("a"), [big_key, 3], [], SiteDelta("a.cn", (11, 12), ("某网",), +1))
        b = store.add(_doc("b", shingles=(2, 3, 4)), [big_key, 4], [Link(a, 2, 0.5, 0.67)],
                      SiteDelta("a.cn", (11,), ("某网",), +1))
        c = store.add(_doc("c", site="b.cn"), [9], [], SiteDelta("b.cn", (), (), +1))
    assert store.lookup("b") == (b, b"b") and store.lookup("zz") is None
    assert sorted(store.buckets([big_key, 9])) == sorted([(big_key, a), (big_key, b), (9, c)])
    assert store.component([a]) == ([a, b], [(a, b)])
    assert store.component([c]) == ([c], [])
    stored = store.document(b)
    assert stored is not None and stored.body == "正文b" and stored.shingles.tolist() == [2, 3, 4]
    assert store.sketches([a, c])[c][1].tolist() == [7]
    assert store.site_docs("a.cn") == 2 and store.line_counts([11, 12, 99]) == {11: 2, 12: 1}
    assert store.top_source("a.cn") == ("某网", 2)
    assert [e.containment for e in store.edges(a)] == [0.67]
    with store.transaction():
        store.remove(b, SiteDelta("a.cn", (11,), ("某网",), -1))
    assert store.component([a]) == ([a], []) and store.count() == 2
    assert store.site_docs("a.cn") == 1 and store.line_counts([11]) == {11: 1}
    assert (big_key, b) not in store.buckets([big_key])
    store.close()


def test_a_failed_transaction_leaves_nothing(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.save_config(Config())
    with pytest.raises(RuntimeError), store.transaction():
        store.add(_doc("a"), [1], [], SiteDelta("a.cn", (11,), (), +1))
        raise RuntimeError("crash in the middle of a batch")
    assert store.count() == 0 and store.site_docs("a.cn") == 0 and store.buckets([1]) == []
    store.close()


def test_common_set_config_and_sample_survive_reopening(tmp_path):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    store.save_config(Config(threshold=0.6))
    with store.transaction():
        for k, rank in enumerate([30, 10, 20]):
            store.add(_doc(f"d{k}", rank=rank), [k], [], SiteDelta("a.cn", (), (), +1))
    store.save_common(CommonSet(np.array([5, 9], dtype=np.uint32), version=3))
    store.close()
    reader = SQLiteStore(path, readonly=True)
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
