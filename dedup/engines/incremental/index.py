"""The incremental engine: a persistent duplicate index for pipelines that see one document at a time.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "news.db")
>>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
>>> with Index(path) as index:
...     first = index.add({"id": "a", "text": text, "site": "a.cn"})
...     second = index.add({"id": "b", "text": text, "site": "b.cn"})
>>> first.status, second.status, second.canonical_id
('new', 'repost', 'a')

The engine runs the detector's stages on each document (prepare, site templates, sketch,
candidates, verification) and, for a verdict, star-clusters the document's connected component
exactly as a scan clusters a corpus, so a verdict names the canonical copy that :meth:`Index.clusters`
gives. What it knows lives in a store (:mod:`dedup.store`; a SQLite file by default, or a
PostgreSQL database shared by many writers): the configuration is stored there, and opening with
different hashing or normalisation settings fails. With a shared store, each writer looks in its
buckets again after every commit, so that two near-duplicates added at the same moment by two
writers are matched (:meth:`~dedup.engines.incremental.writer.IndexWriter.look_again`).

Every ``add`` or ``add_many`` batch is one transaction: a crash loses at most the batch in flight,
and adding the same documents again finishes the job. A whole corpus goes into an empty index at
once (:meth:`Index.add_corpus`, :mod:`dedup.engines.incremental.bulk`): scanned by the scan engine and loaded in one
transaction.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.engines.incremental.bulk import add_corpus
from dedup.engines.incremental.ledger import origin_records, sentence_counter
from dedup.engines.incremental.state import IndexState, Prepared
from dedup.engines.incremental.verdicts import Match, Verdict, Verdicts, cluster_labels, cluster_origins
from dedup.engines.incremental.writer import IndexWriter
from dedup.engines.pools import Progress
from dedup.errors import ConfigMismatchError, InputError
from dedup.io.formats import Walk
from dedup.outputs.copies import Copy, copies_in
from dedup.outputs.explain import describe_cluster, describe_digest, describe_document
from dedup.outputs.records import cluster_record, iter_records
from dedup.stages.candidates import proposed_by, text_keys
from dedup.stages.common_shingles import CommonShingles
from dedup.stages.result import ScanResult
from dedup.store import Store, open_store
from dedup.store.origins import STALE
from dedup.text.normalize import compact
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")


@dataclass(frozen=True)
class CorpusAdded:
    """What :meth:`Index.add_corpus` did: how many documents got each status (``new``,
    ``repost``, ``unchanged``; ``rejected`` counts every rejected input), the rejected inputs, and
    whether the corpus was scanned and loaded at once (``bulk``)."""

    statuses: Counter[str]
    rejects: list[InputError]
    bulk: bool


class Index:
    """Open (or create) the index at ``location``: a SQLite file's path (or ``sqlite:///path``;
    one writer at a time), a PostgreSQL URL (``postgresql://user@host:port/db``; any number of
    writers at once, in any number of processes), or an open :class:`~dedup.store.Store`.

    ``config`` defaults to the stored one (or :class:`Config` for a new index); a config whose
    hashing or normalisation settings differ from the stored ones raises
    :class:`~dedup.errors.ConfigMismatchError` naming them. ``readonly`` opens for queries only
    (nothing is written; a SQLite reader takes no lock).
    """

    def __init__(self, location: str | os.PathLike[str] | Store, config: Config | None = None,
                 outlets: OutletTable | None = None, readonly: bool = False, timeout: float = 30.0) -> None:
        self.store: Store = location if not isinstance(location, (str, os.PathLike)) \
            else open_store(os.fspath(location), readonly, timeout)
        self.readonly = self.store.readonly
        self.outlets = outlets or OutletTable.default()
        try:
            self.config = self._check_config(config)
        except BaseException:
            self.store.close()
            raise
        self.state = IndexState(self.store, self.config, self.outlets)
        self.verdicts = Verdicts(self.store, self.config, self.state)
        self.writer = IndexWriter(self.store, self.config, self.state, self.verdicts)

    def _check_config(self, config: Config | None) -> Config:
        stored = self.store.stored_config()
        if stored is None:
            chosen = config or Config()
            self.store.save_config(chosen)
            # another writer may have created the index at the same moment: its configuration stands
            stored = self.store.stored_config()
            if stored is None or not stored.hashing_differences(chosen):
                return chosen
        if config is None:
            return stored
        differences = stored.hashing_differences(config)
        if differences:
            raise ConfigMismatchError(f"{self.store.location} was built with other settings: {'; '.join(differences)}. "
                                      "Open it without a configuration (the stored one is used) or build a new index.")
        return config

    def close(self) -> None:
        """Close the store (and release a writer's lock)."""
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the verbs ---------------------------------------------------------------------------

    def query(self, doc: Document | dict[str, Any]) -> Verdict:
        """What :meth:`add` would answer for ``doc``, without storing anything."""
        return self.writer.query(doc)

    def add(self, doc: Document | dict[str, Any]) -> Verdict:
        """Store a document and say what it is: a new story, or a repost of which cluster."""
        return self.writer.add_batch([(doc, None)], True)[0]

    def add_many(self, docs: Iterable[Document | dict[str, Any]], batch: int = 500,
                 workers: int = 1, detail: bool = True) -> Iterator[Verdict]:
        """Add documents, committing every ``batch`` of them; yields a verdict per document, in order.

        With ``workers`` > 1, documents are cleaned in that many processes while this one updates
        the index (the result is the same as adding them one by one). ``detail=False`` skips the
        choice of canonical copy and origin in the verdicts (status, best similarity only): much
        faster for bulk loading, the index is the same.
        """
        pending: list[tuple[Document | dict[str, Any], Prepared | InputError | ValueError | None]] = []
        for item in self.writer.prepared(docs, workers):
            pending.append(item)
            if len(pending) >= batch:
                yield from self.writer.add_batch(pending, detail)
                pending = []
        if pending:
            yield from self.writer.add_batch(pending, detail)

    def add_corpus(self, roots: Sequence[str | os.PathLike[str]], workers: int | None = None,
                   bulk: bool | None = None, batch: int = 500, progress: Progress | None = None,
                   walked: Walk | None = None) -> CorpusAdded:
        """Add every supported file under ``roots`` (what ``dedup index`` does); returns how many
        documents got each status and the rejected inputs (naming file and line).

        With ``bulk`` (the default for an empty SQLite index), the corpus is scanned whole on
        ``workers`` processes and the scan's outcome loaded at once (:mod:`dedup.engines.incremental.bulk`: several
        times faster; the index then holds what ``dedup scan`` finds). Otherwise the documents are
        added one by one (:meth:`add_many`, committing every ``batch``; stored documents with the
        same content are skipped, so running it again after a crash finishes the job). ``bulk=True``
        on an index that holds documents raises :class:`~dedup.errors.NotEmptyError` (a ``ValueError``).

        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
        >>> for name in ("a", "b"):
        ...     _ = (folder / "news" / name).mkdir(parents=True)
        ...     _ = (folder / "news" / name / "1.txt").write_text("标题\\n" + text, encoding="utf-8")
        >>> with Index(folder / "news.db") as index:
        ...     added = index.add_corpus([folder / "news"], workers=1)
        >>> added.bulk, added.statuses["new"], added.statuses["repost"]
        (True, 1, 1)
        """
        statuses, rejects, loaded = add_corpus(self.state, self.add_many, roots, workers, bulk, batch, progress, walked)
        return CorpusAdded(statuses, rejects, loaded)

    def remove(self, doc_id: str) -> bool:
        """Delete a document (and its edges); returns whether it was there."""
        with self.store.transaction():
            found = self.store.lookup(doc_id)
            if found is None:
                return False
            self.writer.remove_number(found[0])
            return True

    def get(self, doc_id: str) -> CleanDocument | None:
        """The stored, cleaned form of a document (its body is the cleaned text), or None."""
        found = self.store.lookup(doc_id)
        stored = self.store.document(found[0]) if found else None
        return self.state.cleaned(stored) if stored else None

    def __len__(self) -> int:
        return self.store.count()

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.store.lookup(doc_id) is not None

    def common_shingles(self, refresh: bool = False) -> CommonShingles:
        """The common shingles of what is stored (see :mod:`dedup.stages.common_shingles`), and their version
        (``common_version``: the number of the last document stored when they were learned).

        Learned again from the sample (the lowest-ranked stored documents) when the index has
        grown by a tenth (and by 200 documents) since they were last learned, or when ``refresh``
        asks; kept in the store, so opening the index costs nothing.
        """
        return self.state.common_shingles(refresh)

    @property
    def common_version(self) -> int:
        self.state.common_shingles()
        return self.state.version

    # --- whole-index views ---------------------------------------------------------------------

    def scan_result(self) -> ScanResult:
        """Cluster every stored document as ``dedup scan`` would (star clusters over the stored
        verified edges, whatever order the documents arrived in) and store the labels."""
        # The edges were verified against the common shingles known when each document came;
        # they are judged again on those of the whole index, as a scan of it would.
        # opened read-only, or a reader's role (PostgreSQL): cluster without storing what was found
        writes = not self.state.readonly
        if not writes:
            common = self.common_shingles(refresh=True)
        else:
            with self.store.transaction():
                common = self.common_shingles(refresh=True)
        numbers = [n for n, _, _ in self.store.numbers()]
        edges = [(e.a, e.b) for e in self.store.edges()]
        order, result = self.verdicts.star_result(numbers, edges, common)
        if writes:
            with self.store.transaction():
                self.store.set_labels(cluster_labels(order, result))
                self.store.set_origins(cluster_origins(order, result))
                self.store.set_origins([(STALE, None)])
        return result

    def clusters(self, min_size: int = 2) -> Iterator[dict[str, Any]]:
        """Every cluster of at least ``min_size`` documents, in ``dedup scan``'s output format."""
        yield from iter_records(self.scan_result(), min_size, self.outlets)

    def cluster(self, doc_id: str) -> dict[str, Any]:
        """The cluster of the stored document ``doc_id`` (itself alone when it has no copy), in
        ``dedup scan``'s record format; its ``cluster_id`` is ``c`` and the canonical copy's id.
        Raises ``KeyError`` when the index does not hold ``doc_id``."""
        found = self.store.lookup(doc_id)
        if found is None:
            raise KeyError(doc_id)
        numbers, edges = self.store.component([found[0]])
        order, result = self.verdicts.star_result(numbers, edges, self.common_shingles())
        chosen = result.cluster_of(order.index(found[0]))
        assert chosen is not None, doc_id
        record = cluster_record(result, chosen, 0, self.outlets)
        record["cluster_id"] = f"c:{record['canonical_id']}"
        return record

    def copies(self, outlet: str, since: str | None = None, until: str | None = None,
               credits: Iterable[str] | None = None) -> Iterator[Copy]:
        """Every copy of a story whose origin is ``outlet`` (a name or alias), with its credit and
        figures (:func:`dedup.outputs.copies.copies_in`), read by the stored origins: the clusters
        as they were when their labels were last set (by adds, a bulk load, or :meth:`clusters`;
        documents added without verdicts have their clusters worked out again first).
        """
        name = self.outlets.canonical_name(outlet)
        if self.store.origins_stale():
            if self.state.readonly:
                log.warning("documents were added without verdicts since the clusters' origins were last worked out: "
                            "run `dedup clusters` on the index for every copy")
            else:
                self.scan_result()  # works every cluster's origin out again, and clears the mark
        bodies: dict[str, str] = {}
        records = origin_records(self.store, self.state, name, bodies)
        yield from copies_in(records, name, self.outlets, since, until, credits, sentence_counter(bodies))

    def stats(self) -> dict[str, Any]:
        """Counts and sizes, and the stored configuration. A document's cluster label is set when
        its verdict is made (documents added with ``detail=False`` count as alone until
        :meth:`clusters` labels them all)."""
        figures: dict[str, Any] = dict(self.store.stats())
        count = figures["documents"]
        figures["bytes_per_document"] = round(figures["bytes"] / count) if count else 0
        figures["config"] = self.config.to_dict()
        return figures

    def explain(self, doc_id: str, neighbours: int = 5) -> str:
        """What was compared for a stored document, its verified matches and its cluster (the
        record lines and cluster lines are the scan's explainer's; removals are not stored)."""
        found = self.store.lookup(doc_id)
        stored = self.store.document(found[0]) if found else None
        if stored is None:
            raise KeyError(doc_id)
        n, doc = stored.number, self.state.cleaned(stored)
        evidence = len(self.common_shingles().evidence(self.state.sketch_body(stored.body)[0]))
        lines = describe_document(doc, compact(doc.body), stored.size, evidence, self.config, removals_kept=False)
        edges = self.store.edges(n, neighbours)
        ids = self.store.ids([e.b if e.a == n else e.a for e in edges])
        lines.append(f"  verified matches (threshold: containment >= {self.config.threshold}):")
        bodies = self.store.bodies([e.b if e.a == n else e.a for e in edges])
        own_keys = text_keys(compact(stored.body), self.config)[1]
        for e in edges:
            other = e.b if e.a == n else e.a
            lines.append(f"    {ids.get(other, '?')}  jaccard={e.jaccard:.3f} containment={e.containment:.3f}")
            if other in bodies:
                shared = proposed_by(own_keys, text_keys(compact(bodies[other]), self.config)[1], self.config)
                lines.append(f"      keys shared: {'; '.join(shared) or 'none'}")
        if not edges:
            lines.append("    none")
        numbers, component_edges = self.store.component([n])
        order, result = self.verdicts.star_result(numbers, component_edges, self.common_shingles())
        lines.extend(describe_digest(result, order.index(n)))
        lines.extend(describe_cluster(result, result.cluster_of(order.index(n))))
        return "\n".join(lines)


__all__ = ["CorpusAdded", "Index", "Match", "Verdict"]
