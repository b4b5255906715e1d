"""Changing an index: each batch one write transaction, run again when it clashed with another
writer's, and with other writers about a second look at the buckets after the commit."""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.engines.incremental.state import IndexState, Prepared, id_of, init_worker, prepare_chunk
from dedup.engines.incremental.verdicts import Verdict, Verdicts, brief
from dedup.engines.pools import ordered, start_pool
from dedup.errors import InputError, StoreConflict
from dedup.sites import SiteCounts
from dedup.stages.common_shingles import sample_rank
from dedup.stages.templates import source_names
from dedup.store import Link, Store, StoredDocument

log = logging.getLogger("dedup")

CONFLICT_RETRIES = 8
"""How many times a batch that clashed with another writer's (a deadlock) is run again."""


@dataclass
class Added:
    """A document stored in the batch being committed, for the look after the commit."""

    position: int
    number: int
    prepared: Prepared
    neighbours: list[Link]
    seen: set[int] = field(default_factory=set)
    """the stored documents in its buckets when it was added"""


class IndexWriter:
    """The verbs that read and change a store: query, add (one, a batch), remove."""

    def __init__(self, store: Store, config: Config, state: IndexState, verdicts: Verdicts) -> None:
        self.store, self.config, self.state, self.verdicts = store, config, state, verdicts

    def query(self, doc: Document | dict[str, Any]) -> Verdict:
        """What :meth:`add` would answer for ``doc``, without storing anything."""
        prepared = self.state.cleaned_here(doc, keep=True)
        if isinstance(prepared, InputError):
            return Verdict(id_of(doc), "rejected", reason=str(prepared))
        existing = self.store.lookup(prepared.doc.id)
        if existing is not None and existing[1] == prepared.digest:
            return self.verdicts.for_stored(existing[0], "unchanged")
        compared = prepared.doc.compared
        self.state.drop_templates(prepared, 0)
        self.state.sketch(prepared)
        kept = self.state.queried.get((prepared.doc.id, prepared.digest))
        if kept is not None and prepared.sketched == compared:  # no template line cut: the sketch is the add's too
            kept.shingles, kept.figures, kept.band_keys, kept.sketched = (prepared.shingles, prepared.figures,
                                                                          prepared.band_keys, prepared.sketched)
        refused = self.state.too_short_after_cut(prepared)
        if refused is not None:
            return Verdict(prepared.doc.id, "rejected", reason=str(refused))
        seen: set[int] = set()
        neighbours = self.state.neighbours(prepared, existing[0] if existing is not None else None, seen=seen)
        if kept is not None and prepared.sketched == compared and existing is None:
            kept.queried = (self.state.state(), compared, neighbours, seen)
        if not neighbours:
            return Verdict(prepared.doc.id, "new", canonical_id=prepared.doc.id, is_canonical=True,
                           replaced=existing is not None, common_version=self.state.version)
        verdict = self.verdicts.verdict(prepared.doc.id, -1, "repost", prepared, neighbours,
                                        replaced=existing is not None)
        return replace(verdict, common_version=self.state.version)

    def prepared(self, docs: Iterable[Document | dict[str, Any]], workers: int,
                 ) -> Iterator[tuple[Document | dict[str, Any], Prepared | InputError | ValueError | None]]:
        """Each document with its prepared form: made on ``workers`` processes, or later (None) in this one."""
        if workers <= 1:
            for doc in docs:
                yield doc, None
            return

        def chunks() -> Iterator[list[Document | dict[str, Any]]]:
            chunk: list[Document | dict[str, Any]] = []
            for doc in docs:
                chunk.append(doc)
                if len(chunk) >= 64:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        with start_pool(workers, init_worker, (self.config, self.state.outlets)) as pool:
            for chunk, prepared in ordered(pool, prepare_chunk, chunks(), 4 * workers):
                yield from zip(chunk, prepared, strict=True)

    def add_batch(self, items: list[tuple[Document | dict[str, Any], Prepared | InputError | ValueError | None]],
                  detail: bool) -> list[Verdict]:
        """One transaction for the batch, run again when it clashed with another writer's; then,
        with other writers about, a second look at the buckets (:meth:`look_again`)."""
        for item in items:
            if isinstance(item[1], ValueError):
                raise item[1]
        added: list[Added] = []
        attempts = [0]

        def run() -> list[Verdict]:
            added.clear()
            again = attempts[0] > 0  # adding changed the prepared documents: prepare them again
            attempts[0] += 1
            verdicts = [self.add(doc, None if again or isinstance(ready, ValueError) else ready, detail, added, position)
                        for position, (doc, ready) in enumerate(items)]
            if not detail and added:
                self.store.mark_origins_stale()  # no verdict set these documents' clusters' origins
            return verdicts

        out = self.transaction(run)
        if self.store.shared and added:
            self.look_again(out, added, detail)
        return out

    def transaction(self, work: Callable[[], list[Verdict]]) -> list[Verdict]:
        """``work()`` in one write transaction, run again (a few times, after a short random wait)
        when it clashed with another writer's; what this object cached from the store goes too."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                with self.store.transaction():
                    return work()
            except BaseException as exc:
                # what was kept of this transaction's documents is gone with it (SQLite gives their
                # numbers again)
                self.state.forget(sites=False)
                if not isinstance(exc, StoreConflict):
                    raise
                self.state.forget()
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                log.info("%s; running the batch again", exc)
                time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))
        raise AssertionError("unreachable")

    def look_again(self, out: list[Verdict], added: list[Added], detail: bool) -> None:
        """After a commit, look in the buckets of the documents just stored for documents another
        writer committed meanwhile (invisible before: uncommitted), and link the verified ones.

        This closes the race of two near-duplicates added at the same moment by two writers: of
        the two commits, the later one's writer looks after it, and sees the other document.
        """
        batch = {item.number for item in added}
        found = self.store.buckets(sorted({key for item in added for key in item.prepared.band_keys}))
        by_key: dict[int, list[int]] = defaultdict(list)
        for key, n in found:
            by_key[key].append(n)
        for item in added:
            mine = [(key, n) for key in set(item.prepared.band_keys) for n in by_key.get(key, ())]
            fresh = {n for _, n in mine} - item.seen - batch
            if not fresh:
                continue
            links = self.state.neighbours(item.prepared, exclude=item.number, found=mine, only=fresh)
            if not links:
                continue
            log.debug("%s: %d near-duplicates committed by another writer meanwhile", item.prepared.doc.id, len(links))
            before = out[item.position]

            def relink(item: Added = item, links: list[Link] = links, before: Verdict = before) -> list[Verdict]:
                self.store.link(item.number, links)
                neighbours = item.neighbours + links
                verdict = self.verdicts.verdict(before.id, item.number, "repost", item.prepared, neighbours,
                                        replaced=before.replaced) if detail \
                    else brief(before.id, neighbours, before.replaced)
                return [replace(verdict, common_version=self.state.version)]

            out[item.position] = self.transaction(relink)[0]

    def add(self, doc: Document | dict[str, Any], ready: Prepared | InputError | None = None,
            detail: bool = True, added: list[Added] | None = None, position: int = 0) -> Verdict:
        verdict = self.add_one(doc, ready, detail, added, position)
        return replace(verdict, common_version=self.state.version)

    def add_one(self, doc: Document | dict[str, Any], ready: Prepared | InputError | None,
                detail: bool, added: list[Added] | None, position: int) -> Verdict:
        prepared = ready if ready is not None else self.state.cleaned_here(doc)
        if isinstance(prepared, InputError):
            return Verdict(id_of(doc), "rejected", reason=str(prepared))
        doc_id = prepared.doc.id
        existing = self.store.lookup(doc_id)
        if existing is not None:
            if existing[1] == prepared.digest:
                return self.verdicts.for_stored(existing[0], "unchanged")
            self.remove_number(existing[0])
        self.state.drop_templates(prepared, 1)
        self.state.sketch(prepared)
        refused = self.state.too_short_after_cut(prepared)
        if refused is not None:
            return Verdict(doc_id, "rejected", reason=str(refused), replaced=existing is not None)
        queried = prepared.queried
        if queried is not None and queried[0] == self.state.state() and queried[1] == prepared.sketched:
            # queried just before, with nothing added or removed since: its neighbours stand (on a
            # shared index, what other writers commit meanwhile is found by the look after the commit)
            neighbours, seen = list(queried[2]), set(queried[3])
        else:
            seen = set()
            neighbours = self.state.neighbours(prepared, seen=seen)
        stored = StoredDocument(doc_id, prepared.doc.site, prepared.digest, prepared.doc.to_record(),
                                prepared.doc.body, np.array(prepared.line_keys, dtype=np.uint64), sample_rank(doc_id),
                                len(prepared.shingles))
        n = self.store.add(stored, prepared.band_keys, neighbours, prepared.delta(+1))
        self.state.remember_sketch(n, prepared.doc.body, (prepared.shingles, prepared.figures))
        if added is not None:
            added.append(Added(position, n, prepared, neighbours, seen))
        self.state.own_names.pop(prepared.doc.site, None)
        replaced = existing is not None
        if not detail:
            return brief(doc_id, neighbours, replaced)
        if not neighbours:  # no edge: its component is itself
            return Verdict(doc_id, "new", canonical_id=doc_id, is_canonical=True, replaced=replaced)
        return self.verdicts.verdict(doc_id, n, "repost", prepared, neighbours, replaced=replaced)

    def remove_number(self, n: int) -> None:
        self.state.removals += 1
        self.state.sketches.pop(n, None)
        self.state.rows.pop(n, None)
        stored = self.store.documents([n], texts=False)[n]
        doc = CleanDocument.from_record(stored.record)
        self.store.remove(n, SiteCounts.of([stored.site], [stored.line_keys], [sorted(source_names(doc))], -1))
        self.state.own_names.pop(stored.site, None)

