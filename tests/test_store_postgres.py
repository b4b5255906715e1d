"""The shared index in PostgreSQL: the same verdicts as SQLite, checks on open, many writers at
once (the race of near-duplicates added at the same moment, concurrent writers against one scan)
and a writer killed with -9.

Each test makes a database of its own and drops it (the ``pg_url`` fixture of conftest.py), on
the server tests/services.py chooses: ``DEDUP_TEST_POSTGRES``, the machine's on 127.0.0.1:5432, or
a throwaway one from the pgserver package. They never skip.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.race import dedup_race, make_pairs
from dedup.config import Config
from dedup.document import Document
from dedup.engines.incremental.index import Index
from dedup.engines.local.engine import scan_corpus
from dedup.errors import ConfigMismatchError, StoreError
from dedup.io.formats import read_file, walk
from dedup.outputs.copies import copies_in
from dedup.outputs.records import records
from dedup.text.outlets import OutletTable

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def labelled(labelled_corpus):
    return labelled_corpus(40, 21)


def _documents(root: Path) -> list[Document]:
    return [d for path, rel in walk([root]).files for d in read_file(path, rel) if isinstance(d, Document)]


def _split(docs: list[Document], parts: int, out: Path) -> list[Path]:
    """The documents dealt round-robin into ``parts`` JSON Lines files, one folder each."""
    folders = []
    for k in range(parts):
        folder = out / f"part{k}"
        folder.mkdir(parents=True)
        with open(folder / "docs.jsonl", "w", encoding="utf-8") as handle:
            for doc in docs[k::parts]:
                handle.write(json.dumps({"id": doc.id, "text": doc.text, "title": doc.title, "url": doc.url,
                                         "site": doc.site, "published_at": doc.published_at},
                                        ensure_ascii=False) + "\n")
        folders.append(folder)
    return folders


def _index_process(folder: Path, url: str, batch: int = 20) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dedup.cli", "index", str(folder), "--db", url,
                             "--batch", str(batch)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_the_postgresql_index_gives_the_sqlite_indexs_verdicts_and_clusters(pg_url, labelled, tmp_path):
    docs = _documents(labelled / "corpus")
    with Index(pg_url) as shared, Index(tmp_path / "one.db") as embedded:
        from_shared = [(v.status, v.canonical_id, v.cluster_size) for v in shared.add_many(docs, batch=64)]
        from_embedded = [(v.status, v.canonical_id, v.cluster_size) for v in embedded.add_many(docs, batch=64)]
        assert from_shared == from_embedded
        assert sum(status == "repost" for status, _, _ in from_shared) > 50
        assert list(shared.clusters()) == list(embedded.clusters())
        again = shared.add(docs[0])
        assert again.status == "unchanged" and again.common_version >= 0
        assert shared.stats()["documents"] == embedded.stats()["documents"] == len({d.id for d in docs})
        assert shared.explain(docs[0].id) == embedded.explain(docs[0].id)


def test_a_corpus_is_loaded_at_once_into_an_empty_postgresql_index(pg_url, labelled, tmp_path):
    outlets = OutletTable.default()
    with scan_corpus([labelled / "corpus"], Config(), outlets, workers=1) as outcome:
        scanned = records(outcome.result, 2, outlets)
    with Index(tmp_path / "loaded.db") as embedded:
        embedded_added = embedded.add_corpus([labelled / "corpus"], workers=1)
        embedded_edges = embedded.stats()["verified_edges"]
    with Index(pg_url) as shared:
        loaded = shared.add_corpus([labelled / "corpus"], workers=2, bulk=True)
        assert loaded.bulk and loaded.statuses == embedded_added.statuses
        assert list(shared.clusters()) == scanned and shared.stats()["verified_edges"] == embedded_edges
        stored = len(shared)
        assert shared.common_version == stored
        # the origins stored with the load answer the copies of an outlet's stories
        outlet = max((r["origin"]["outlet"] for r in scanned if r.get("origin")),
                     key=lambda name: sum(1 for r in scanned if (r.get("origin") or {}).get("outlet") == name))
        listed = {(c.id, c.credit) for c in shared.copies(outlet)}
        assert listed and listed == {(c.id, c.credit) for c in copies_in(scanned, outlet, outlets)}
        canonical = shared.get(scanned[0]["canonical_id"])
        verdict = shared.add({"id": "late", "site": "late.cn", "text": "来源：晚报\n" + canonical.body})
        assert verdict.status == "repost" and verdict.canonical_id == scanned[0]["canonical_id"]
        assert shared.store.lookup("late")[0] == stored + 1  # numbered after the loaded documents


def test_a_different_configuration_or_schema_is_refused(pg_url):
    text = "记者从市统计局获悉，今年前三季度全市规模以上工业增加值同比增长百分之六点二，增速比上半年加快零点四个百分点。"
    with Index(pg_url, Config(shingle_size=5)) as index:
        index.add({"id": "a", "text": text * 3, "site": "a.cn"})
    with pytest.raises(ConfigMismatchError, match="shingle_size"):
        Index(pg_url, Config(shingle_size=4))
    with Index(pg_url) as index:  # no configuration given: the stored one is used
        assert index.config.shingle_size == 5
        index.store.db.execute("UPDATE dedup_meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="format 99"):
        Index(pg_url)


def test_a_missing_database_or_server_is_a_clear_error(pg_url):
    with pytest.raises(StoreError, match="no index"):
        Index(pg_url, readonly=True)
    with pytest.raises(StoreError, match="cannot connect"):
        Index("postgresql://postgres@127.0.0.1:1/none", timeout=2)


def test_near_duplicates_added_at_the_same_moment_by_two_writers_are_matched(pg_url):
    # Writers in couples meet at a barrier before each pair and add its two documents at once:
    # without the look after each commit, nearly every pair is missed (both see an empty bucket).
    result = dedup_race(pg_url, make_pairs(24), processes=4)
    assert result["missed"] == 0, result


def test_four_concurrent_writers_build_the_clusters_of_one_scan(pg_url, labelled, tmp_path):
    docs = _documents(labelled / "corpus")
    folders = _split(docs, 4, tmp_path)
    writers = [_index_process(folder, pg_url) for folder in folders]
    # a reader asks while they write: it is never refused nor made to wait for a writer
    answers = []
    with _wait_for_tables(pg_url) as reader:
        while any(writer.poll() is None for writer in writers):
            answers.append(reader.query(docs[len(answers) % len(docs)]).status)
    assert answers and set(answers) <= {"new", "repost", "unchanged"}
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err
    with Index(pg_url) as index:
        assert len(index) == len(docs)
        indexed = _stories(index.clusters())
    scanned = _scanned_stories(folders)
    assert len(scanned) >= 30
    assert indexed == scanned


def test_a_writer_killed_mid_batch_loses_nothing_committed_and_a_rerun_doubles_nothing(pg_url, labelled, tmp_path):
    docs = _documents(labelled / "corpus")
    folders = _split(docs, 3, tmp_path)
    writers = [_index_process(folder, pg_url, batch=10) for folder in folders]
    victim = writers[1]
    ids = {doc.id for doc in docs[1::3]}
    with _wait_for_tables(pg_url) as reader:
        # kill it once it has committed a few batches, while the others go on
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _stored(reader, ids) < 20:
            time.sleep(0.02)
        time.sleep(random.Random(3).uniform(0.0, 0.3))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        committed = _stored(reader, ids)
    assert 0 < committed < len(ids)
    for writer in writers[::2]:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err
    rerun = _index_process(folders[1], pg_url)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    with Index(pg_url) as index:
        rows = index.store.db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM docs").fetchone()
        assert rows == (len(docs), len(docs))
        bands = index.store.db.execute("SELECT COUNT(*) FROM bands").fetchone()[0]
        assert bands == len(docs) * index.config.total_keys
        indexed = _stories(index.clusters())
    assert indexed == _scanned_stories(folders)


def _stories(clusters):
    """Each cluster's members, with its canonical copy and origin outlet. Member figures are left
    out: an index learns site templates as pages arrive, a scan from the whole corpus, so a
    member's Jaccard can differ in the last digits (tests/test_engines.py)."""
    return {frozenset(m["id"] for m in c["members"]): (c["canonical_id"], (c["origin"] or {}).get("outlet"))
            for c in clusters}


def _scanned_stories(folders: list[Path]):
    outlets = OutletTable.default()
    with scan_corpus(folders, Config(), outlets) as outcome:
        return _stories(records(outcome.result, 2, outlets))


class _wait_for_tables:
    """A read-only index at ``url`` once a writer has made its tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.index: Index | None = None

    def __enter__(self) -> Index:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.index = Index(self.url, readonly=True)
                return self.index
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.index is not None:
            self.index.close()


def _stored(index: Index, ids: set[str]) -> int:
    return int(index.store.db.execute("SELECT COUNT(*) FROM docs WHERE id = ANY(%s)", (sorted(ids),)).fetchone()[0])
