"""Passage partners: which documents that share a passage are worth verifying, a bounded number per document.

Passage keys (:func:`dedup.stages.sketch.passage_keys`) find a stub or an excerpt inside a longer page,
whatever their Jaccard similarity. They also meet in every document that quotes one sentence, a
disclaimer or a stock phrase: on a corpus that reuses passages, the pairs they propose grow with
the square of the corpus. This stage bounds them, in every engine, with one rule over documents
in their order of arrival (the scan's numbering; the index's order of adds):

1. A pair that shares a passage is scored by the **containment estimated from the passage keys
   themselves** (:func:`estimated_containment`): the keys are a bottom-k sample of each text's
   passages (plus the two it starts and ends with), so the share of the shorter text's sampled
   passages found among the other's estimates how much of it lies inside the other. An excerpt
   scores about its share of the text; two reports that quote one sentence score a key or two
   out of a dozen. Pairs scoring under ``config.passage_floor`` are dropped.
2. A pair sharing a **rare passage** (held by at most ``config.rare_passage`` documents up to the
   later of the two) is verified: a passage only they hold is strong evidence, and there are at
   most ``passage_keys * (rare_passage - 1)`` such pairs per document.
3. Through a passage that is not rare, the later document keeps its ``config.passage_partners``
   best earlier partners (by score, then the lower number). So each document adds at most
   ``passage_partners`` pairs through common passages, however many documents share its sentences.

Band keys are not ranked: a pair that shares a band is near in Jaccard and always a candidate.
Scans run :func:`part_partners` on each part of the passage key space and merge the parts'
:class:`PartnerHeaps`; the index runs :func:`best_partners` for the document it adds, against
the stored (earlier) documents its passage buckets hold: the same pairs in arrival order.

>>> from dedup.config import Config
>>> from dedup.stages.sketch import passage_keys
>>> story = "国家统计局今日发布数据显示，十月份全国居民消费价格同比上涨百分之二点一，环比持平。" * 6
>>> rows = passage_rows(np.stack([passage_keys(story, 5, 8, 8, 1), passage_keys(story[:70], 5, 8, 8, 2)]), np.array([1, 2], dtype=np.uint64))
>>> bool(estimated_containment(rows[0], rows[1]) > 0.5)  # the stub's last passage is cut short
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.compiled import kernel
from dedup.config import Config
from dedup.stages.sketch import mix64

_NO_PARTNER = -1
ENDS = 2
"""The first two passage keys of a document are the passages it starts and ends with (kept
whatever their hash); the others are the smallest hashes of the rest, in increasing order."""


@kernel
def _real_passages(keys: np.ndarray, pads: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = keys.copy()
    for i in range(keys.shape[0]):
        pad = mix64(pads[i])
        for slot in range(keys.shape[1]):
            if keys[i, slot] == mix64(pad + np.uint64(slot + 1)):
                out[i, slot] = np.uint64(0)
    return out


def passage_rows(keys: np.ndarray, pads: np.ndarray) -> np.ndarray:
    """Passage keys as :func:`estimated_containment` reads them: ``keys`` is ``(m, passage_keys)``
    as :func:`dedup.stages.candidates.keys_of` makes them, ``pads`` each document's pad (its first band key);
    the padding slots of a short text become 0 (no passage).

    >>> from dedup.stages.sketch import passage_keys
    >>> row = passage_rows(passage_keys("短讯一则", 1, 2, 4, 9)[None, :], np.array([9], dtype=np.uint64))[0]
    >>> int((row != 0).sum()) < 4
    True
    """
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    if keys.ndim != 2 or len(pads) != keys.shape[0]:
        raise ValueError(f"passage_rows needs an (m, k) key array and m pads; got {keys.shape} and {len(pads)}")
    return _real_passages(keys, np.ascontiguousarray(pads, dtype=np.uint64))


@kernel
def _inside(a: np.ndarray, b: np.ndarray, shared: int) -> float:  # pragma: no cover - compiled
    """The share of ``a``'s comparable passages that ``b`` holds: ``a``'s ends, and those of its
    other passages that ``b`` would have sampled had it held them (hash at most ``b``'s largest
    sampled one, when ``b``'s slots are full)."""
    width = b.shape[0]
    full = b[width - 1] != 0
    limit = b[width - 1]
    comparable = 0
    for slot in range(a.shape[0]):
        key = a[slot]
        if key == 0:
            continue
        if slot < ENDS or not full or key <= limit:
            comparable += 1
    if comparable == 0:
        return 0.0
    return min(1.0, shared / comparable)


@kernel
def estimated_containment(a: np.ndarray, b: np.ndarray) -> np.float32:  # pragma: no cover - compiled
    """How much of the smaller of two texts lies inside the other, estimated from their passage
    rows (:func:`passage_rows`): the larger of the two directions' shares. 0 when they share no passage."""
    shared = 0
    for i in range(a.shape[0]):
        if a[i] == 0:
            continue
        for j in range(b.shape[0]):
            if a[i] == b[j]:
                shared += 1
                break
    if shared == 0:
        return np.float32(0.0)
    return np.float32(max(_inside(a, b, shared), _inside(b, a, shared)))


@kernel
def _offer(scores: np.ndarray, partners: np.ndarray, doc: int, score: np.float32,
           partner: int) -> None:  # pragma: no cover - compiled
    """Put ``partner`` among ``doc``'s best, kept in order: higher score first, then lower number."""
    width = scores.shape[1]
    position = width
    for k in range(width):
        current = partners[doc, k]
        if current == partner:
            return
        if current == _NO_PARTNER or score > scores[doc, k] or (score == scores[doc, k] and partner < current):
            position = k
            break
    if position == width:
        return
    # A pair always scores the same, so a partner already kept sits at or before ``position``.
    for m in range(width - 1, position, -1):
        partners[doc, m] = partners[doc, m - 1]
        scores[doc, m] = scores[doc, m - 1]
    partners[doc, position] = partner
    scores[doc, position] = score


@kernel
def _offer_buckets(keys: np.ndarray, owners: np.ndarray, rows: np.ndarray, numbers: np.ndarray, cap: int, rare: int,
                   floor: float, scores: np.ndarray, partners: np.ndarray,
                   rare_pairs: np.ndarray) -> tuple[int, int]:  # pragma: no cover - compiled
    """Score every pair of every bucket (runs of equal ``keys``, sorted by key and then by the
    owners' numbers; buckets over ``cap`` skipped): a pair whose later document is among the
    bucket's first ``rare`` goes to ``rare_pairs``, any other is offered to its later document.
    ``owners`` index ``rows``, the heaps' rows and ``numbers`` (by which documents are ordered and
    named). Returns the pairs scored and the rare pairs written."""
    n = keys.shape[0]
    scored = 0
    found = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and keys[end] == keys[start]:
            end += 1
        if keys[start] != 0 and 2 <= end - start <= cap:
            for y in range(start + 1, end):
                later = owners[y]
                for x in range(start, y):
                    earlier = owners[x]
                    if earlier == later:
                        continue
                    scored += 1
                    score = estimated_containment(rows[earlier], rows[later])
                    if score < floor:
                        continue
                    if y - start < rare:
                        rare_pairs[found, 0] = numbers[earlier]
                        rare_pairs[found, 1] = numbers[later]
                        found += 1
                    else:
                        _offer(scores, partners, later, score, numbers[earlier])
        start = end
    return scored, found


@kernel
def _take(scores: np.ndarray, partners: np.ndarray, docs: np.ndarray, others: np.ndarray,
          offered: np.ndarray) -> None:  # pragma: no cover - compiled
    for k in range(docs.shape[0]):
        _offer(scores, partners, docs[k], offered[k], others[k])


@dataclass(frozen=True)
class PartnerOffers:
    """What one part's :class:`PartnerHeaps` kept: partners ``(docs, partners, scores)`` by number,
    the rare pairs, and how many pairs it scored."""

    docs: np.ndarray
    partners: np.ndarray
    scores: np.ndarray
    rare: np.ndarray
    scored: int


class PartnerHeaps:
    """Each document's best passage partners so far: ``(n, k)`` scores and partner numbers, best
    first (partner -1: an empty slot). Offers from any part of the key space, in any order, give
    the same heaps: the order of partners is total (score, then number).

    >>> rows = np.array([[5, 6, 7, 0], [5, 6, 0, 0], [5, 9, 0, 0]], dtype=np.uint64)
    >>> heaps = PartnerHeaps(3, 1)
    >>> heaps.offer_buckets(np.array([5, 5, 5, 6, 6], dtype=np.uint64), np.array([0, 1, 2, 0, 1]), rows, floor=0.1)
    4
    >>> heaps.pairs().tolist()
    [[0, 1], [0, 2]]
    """

    def __init__(self, n: int, k: int, numbers: np.ndarray | None = None) -> None:
        if k < 1:
            raise ValueError(f"a document keeps at least one passage partner; got k={k}")
        if numbers is not None and len(numbers) != n:
            raise ValueError(f"one number per document: {n} documents, {len(numbers)} numbers")
        self.numbers = np.arange(n, dtype=np.int64) if numbers is None else np.asarray(numbers, dtype=np.int64)
        """the numbers of the heaps' rows (by default the rows themselves)"""
        self.scores = np.zeros((n, k), dtype=np.float32)
        self.partners = np.full((n, k), _NO_PARTNER, dtype=np.int64)
        self.rare: list[np.ndarray] = []
        """pairs of numbers ``(earlier, later)`` that share a rare passage"""
        self.scored = 0
        """pairs scored (the work done, whatever was kept)"""

    def offer_buckets(self, keys: np.ndarray, owners: np.ndarray, rows: np.ndarray, cap: int = 200,
                      floor: float = 0.0, rare: int = 2) -> int:
        """Score the pairs of documents whose passage ``keys`` agree (``keys[i]`` is held by the
        document of row ``owners[i]`` of ``rows`` and of the heaps) and take those scoring at
        least ``floor``: as rare pairs when the later document is among the first ``rare`` of the
        bucket, else as an offer to the later document; keys held by more than ``cap`` documents,
        and key 0 (no passage), propose nothing. Returns the pairs scored."""
        if len(keys) != len(owners):
            raise ValueError(f"one owner per key: {len(keys)} keys, {len(owners)} owners")
        keys, owners = np.asarray(keys, dtype=np.uint64), np.asarray(owners, dtype=np.int64)
        order = np.lexsort((self.numbers[owners], keys))
        found = np.empty((len(keys) * max(rare - 1, 0) + 1, 2), dtype=np.int64)
        scored, count = _offer_buckets(keys[order], owners[order], np.ascontiguousarray(rows, dtype=np.uint64),
                                       self.numbers, cap, rare, np.float32(floor), self.scores, self.partners, found)
        if count:
            self.rare.append(found[:count].copy())
        self.scored += int(scored)
        return int(scored)

    def take(self, docs: np.ndarray, partners: np.ndarray, scores: np.ndarray) -> None:
        """Offer ``partners[i]`` (scored ``scores[i]``) to ``docs[i]``: what :meth:`kept` gave
        of another part's heaps, so that parts found apart merge into the heaps of the whole."""
        _take(self.scores, self.partners, np.asarray(docs, dtype=np.int64), np.asarray(partners, dtype=np.int64),
              np.asarray(scores, dtype=np.float32))

    def offers(self) -> PartnerOffers:
        """What these heaps kept, to pass between processes and merge (:meth:`merge`)."""
        docs, partners, scores = self.kept()
        rare = np.concatenate(self.rare) if self.rare else np.zeros((0, 2), dtype=np.int64)
        return PartnerOffers(docs, partners, scores, rare, self.scored)

    def merge(self, other: PartnerHeaps | PartnerOffers) -> None:
        """Take every offer and rare pair that heaps of other parts of the key space kept."""
        offers = other.offers() if isinstance(other, PartnerHeaps) else other
        self.take(np.searchsorted(self.numbers, offers.docs), offers.partners, offers.scores)
        if len(offers.rare):
            self.rare.append(offers.rare)
        self.scored += offers.scored

    def pairs(self) -> np.ndarray:
        """The distinct pairs of numbers ``(i, j)``, ``i < j``, kept: rare pairs and partners, sorted."""
        docs, partners, _ = self.kept()
        ends = [np.stack((partners, docs), axis=1)] + self.rare
        ends = [np.sort(pairs, axis=1) for pairs in ends if len(pairs)]
        return np.unique(np.concatenate(ends), axis=0) if ends else np.zeros((0, 2), dtype=np.int64)

    def kept(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(documents, partners, scores)`` of every kept partner, by number (rare pairs aside)."""
        rows, slots = np.nonzero(self.partners != _NO_PARTNER)
        return self.numbers[rows], self.partners[rows, slots], self.scores[rows, slots]


def part_partners(keys: np.ndarray, owners: np.ndarray, rows: np.ndarray, config: Config,
                  heaps: PartnerHeaps) -> PartnerHeaps:
    """The stage every scan engine runs on one part of the passage key space: the pairs of
    documents whose keys agree (``owners[i]``: the row of ``rows`` and of ``heaps`` holding
    ``keys[i]``) scored and kept by the rule of this module, with the caps of ``config``
    (``max_passage_bucket``, ``passage_floor``, ``rare_passage``). Returns ``heaps``."""
    heaps.offer_buckets(keys, owners, rows, config.bucket_cap(passage=True), config.passage_floor, config.rare_passage)
    return heaps


def passage_rows_of(keys: np.ndarray, total_bands: int) -> np.ndarray:
    """:func:`passage_rows` of documents' whole key rows (``(m, config.total_keys)``, as
    :func:`dedup.stages.candidates.keys_of` makes them: bands first, the first band key being the pad)."""
    keys = np.asarray(keys, dtype=np.uint64).reshape(-1, keys.shape[-1])
    return passage_rows(keys[:, total_bands:], keys[:, 0])


def best_partners(row: np.ndarray, rows: np.ndarray, numbers: np.ndarray, rare: np.ndarray, crowded: np.ndarray,
                  k: int, floor: float) -> np.ndarray:
    """The numbers of the earlier documents of ``rows`` (numbered ``numbers``) a document of
    passage row ``row`` is verified against, of those scoring at least ``floor``: every one that
    shares a rare passage with it (``rare``), and its ``k`` best among those that share one that
    is not (``crowded``). The rule of :class:`PartnerHeaps` for the document that arrives (the
    index's view).

    >>> rows = np.array([[5, 6, 0], [5, 9, 0], [5, 6, 0]], dtype=np.uint64)
    >>> best_partners(np.array([5, 6, 0], dtype=np.uint64), rows, np.array([4, 3, 8]),
    ...               np.array([False, False, True]), np.array([True, True, False]), 1, 0.1).tolist()
    [4, 8]
    """
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    numbers = np.asarray(numbers, dtype=np.int64)
    scores = np.array([estimated_containment(other, row) for other in rows], dtype=np.float32)
    passing = scores >= np.float32(floor)
    ranked = np.flatnonzero(passing & crowded)
    best = ranked[np.lexsort((numbers[ranked], -scores[ranked]))[:k]]
    return np.unique(np.concatenate([numbers[passing & rare], numbers[best]]))


__all__ = ["PartnerHeaps", "PartnerOffers", "best_partners", "estimated_containment", "part_partners", "passage_rows", "passage_rows_of"]
