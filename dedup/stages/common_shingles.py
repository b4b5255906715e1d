"""Shingles so widespread in a corpus that sharing them is no evidence of copying.

Site templates catch the furniture one site repeats; this is the weaker, corpus-wide rule: a
shingle found in a large share of all documents (a stock disclaimer many small sites carry, a
formula every market item uses) is left out when two documents are compared.

The share is estimated on a sample that does not depend on the order documents arrive in: the
``Config.common_sample`` documents whose ids hash lowest. Near-identical sampled documents (copies
of one story) count as one holder, so a story reposted many times does not make its own text
common; a shingle is common when at least ``common_share`` of the holders, and never fewer than
``MIN_HOLDERS``, hold it. A document made almost only of common shingles (fewer than
``min_shingles`` would remain) is compared whole.

A corpus built around a single story (hundreds of differently edited reposts and little else) can
still see that story's text taken as common: turn the rule off there (``common_share=0``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from hashlib import blake2b

import numpy as np

from dedup.compiled import kernel
from dedup.config import Config
from dedup.stages.candidates import owner_pairs
from dedup.stages.sketch import intersection_size
from dedup.stages.verify import Packed

_NONE = np.zeros(0, dtype=np.uint32)


def sample_rank(doc_id: str) -> int:
    """The document's place in the sampling order, a signed 64-bit integer (fits SQLite).

    >>> sample_rank("a.txt") == sample_rank("a.txt"), sample_rank("a.txt") == sample_rank("b.txt")
    (True, False)
    """
    return int.from_bytes(blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little",
                          signed=True)


MIN_HOLDERS = 20
"""A shingle is never common with fewer holders than this, however small the sample."""
NEAR_IDENTICAL = 0.8
"""Sampled documents this similar (Jaccard) count as one holder: a story reposted fifty times is
one story, not fifty documents sharing its text."""


def min_holders(config: Config, groups: int) -> int:
    """How many holders (groups of near-identical sampled documents) make a shingle common.

    >>> min_holders(Config(), 100), min_holders(Config(), 2000)
    (20, 100)
    """
    return max(MIN_HOLDERS, math.ceil(config.common_share * groups))


def holder_groups(sets: Sequence[np.ndarray], pairs: np.ndarray) -> list[list[int]]:
    """Sampled documents grouped by near-identity (Jaccard >= ``NEAR_IDENTICAL`` over the candidate
    ``pairs``, positions into ``sets``), transitively.

    >>> a, b = np.arange(100, dtype=np.uint32), np.arange(5, 105, dtype=np.uint32)
    >>> holder_groups([a, b, np.arange(500, 600, dtype=np.uint32)], np.array([[0, 1], [1, 2]]))
    [[0, 1], [2]]
    """
    parent = list(range(len(sets)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, j in pairs.tolist():
        shared = intersection_size(sets[i], sets[j])
        union = len(sets[i]) + len(sets[j]) - shared
        if union and shared >= NEAR_IDENTICAL * union:
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for k in range(len(sets)):
        groups.setdefault(root(k), []).append(k)
    return sorted(groups.values())


def sample_positions(ranks: np.ndarray, eligible: np.ndarray, size: int) -> np.ndarray:
    """Positions of the ``size`` eligible documents with the lowest ranks (all of them if fewer).

    >>> sample_positions(np.array([5, -3, 9, 0]), np.array([True, True, False, True]), 2).tolist()
    [1, 3]
    """
    candidates = np.flatnonzero(eligible)
    if len(candidates) <= size:
        return candidates
    chosen = candidates[np.argpartition(ranks[candidates], size - 1)[:size]]
    return np.sort(chosen)


def sample_pairs(owners: np.ndarray, keys: np.ndarray, max_bucket: int) -> np.ndarray:
    """Pairs of sampled documents that share an LSH key, as positions into the sample.

    ``keys[k]`` is an LSH key (whole-text or lead band: every engine keys documents the same
    way, and keys of different bands never meet) of the sampled document ``owners[k]``; buckets
    over ``max_bucket`` are skipped. The pairs are the candidates from which near-identical copies
    are grouped (:func:`holder_groups`). Every engine learns the common set from the sample alone
    this way, so a scan and an index of the same documents learn the same set.

    >>> sample_pairs(np.array([0, 0, 1, 1, 2, 2, 3]), np.array([1, 7, 1, 8, 2, 8, 9], dtype=np.uint64), 10).tolist()
    [[0, 1], [1, 2]]
    """
    return owner_pairs(keys, owners, max_bucket)


@dataclass(frozen=True)
class CommonShingles:
    """The common shingles of a corpus (sorted uint32) and how documents are compared without them.

    >>> common = CommonShingles(np.array([2, 3], dtype=np.uint32), min_left=2)
    >>> common.evidence(np.array([1, 2, 3, 4], dtype=np.uint32)).tolist()
    [1, 4]
    >>> common.evidence(np.array([1, 2, 3], dtype=np.uint32)).tolist()  # too little would be left
    [1, 2, 3]
    """

    hashes: np.ndarray = field(default_factory=lambda: _NONE)
    min_left: int = 8

    @classmethod
    def learn(cls, sets: Sequence[np.ndarray], pairs: np.ndarray, config: Config) -> CommonShingles:
        """The shingles held by enough groups of the sampled documents' ``sets``.

        ``pairs`` are candidate pairs among the sample (positions into ``sets``), from which near
        identical documents are grouped (:func:`holder_groups`); each group counts once.
        """
        if not config.common_share or len(sets) < MIN_HOLDERS:
            return cls(_NONE, config.min_shingles)
        groups = holder_groups(sets, pairs)
        needed = min_holders(config, len(groups))
        if len(groups) < needed:
            return cls(_NONE, config.min_shingles)
        held = [sets[g[0]] if len(g) == 1 else np.unique(np.concatenate([sets[k] for k in g])) for g in groups]
        values, counts = np.unique(np.concatenate(held), return_counts=True)
        return cls(values[counts >= needed].astype(np.uint32), config.min_shingles)

    @classmethod
    def from_sample(cls, sets: Sequence[np.ndarray], keys: np.ndarray, config: Config) -> CommonShingles:
        """The common set of a sample: its documents' shingle ``sets`` and their LSH ``keys`` (one
        row of ``config.total_keys`` per document), the near-identical copies among them grouped
        through their shared keys (:func:`sample_pairs`). Every engine learns its set this way.

        >>> CommonShingles.from_sample([], np.zeros((0, Config().total_keys), np.uint64), Config()).hashes.size
        0
        """
        # no key table (a corpus too small to band) leaves no rows: no pairs, every document alone
        keys = np.asarray(keys, dtype=np.uint64).reshape(-1, config.total_keys)
        pairs = sample_pairs(np.repeat(np.arange(len(keys)), config.total_keys), keys.ravel(), config.max_bucket)
        return cls.learn(sets, pairs, config)

    def __len__(self) -> int:
        return len(self.hashes)

    def evidence(self, shingles: np.ndarray) -> np.ndarray:
        """The shingles that count when this document is compared."""
        if not len(self.hashes) or not len(shingles):
            return shingles
        out = np.empty_like(shingles, dtype=np.uint32)
        return out[: _evidence_into(np.asarray(shingles, dtype=np.uint32), self.hashes, self._filter, self.min_left,
                                    out, 0)]

    @cached_property
    def _filter(self) -> np.ndarray:
        return _common_filter(self.hashes)

    def unpack(self, words: np.ndarray, n_shingles: np.ndarray, n_numbers: np.ndarray) -> Packed:
        """Documents' evidence and figures from their sketch records laid end to end (each record
        ``n_shingles`` uint32 shingles then ``n_numbers`` uint64 figures, read as uint32 ``words``),
        packed for :func:`dedup.stages.verify.check_packed`."""
        shingles, shingle_starts, numbers, number_starts = _unpack(
            words, np.asarray(n_shingles, dtype=np.int64), np.asarray(n_numbers, dtype=np.int64), self.hashes,
            self._filter, self.min_left)
        return Packed(shingles, shingle_starts, numbers, number_starts)


_FILTER_BITS = 16


def _common_filter(common: np.ndarray) -> np.ndarray:
    """A bit for each value of the top ``_FILTER_BITS`` bits of a hash: set where a common hash has
    them. Most shingles find their bit clear and are kept without a search."""
    bits = np.zeros(1 << _FILTER_BITS, dtype=np.bool_)
    bits[(np.asarray(common, dtype=np.uint32) >> np.uint32(32 - _FILTER_BITS)).astype(np.int64)] = True
    return bits


@kernel
def _evidence_into(shingles: np.ndarray, common: np.ndarray, common_filter: np.ndarray, min_left: int,
                   out: np.ndarray, at: int) -> int:  # pragma: no cover - compiled
    """Write a document's evidence (its sorted shingles without the common ones, or all of them
    when fewer than ``min_left`` would be left) to ``out[at:]``; returns where it ends."""
    n = shingles.shape[0]
    end = at
    for k in range(n):
        value = shingles[k]
        if common_filter[value >> np.uint32(32 - _FILTER_BITS)]:
            found = np.searchsorted(common, value)
            if found < common.shape[0] and common[found] == value:
                continue
        out[end] = value
        end += 1
    if end - at >= min_left or end - at == n:
        return end
    out[at : at + n] = shingles
    return at + n


@kernel
def _unpack(words: np.ndarray, n_shingles: np.ndarray, n_numbers: np.ndarray, common: np.ndarray,
            common_filter: np.ndarray, min_left: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    docs = n_shingles.shape[0]
    shingles = np.empty(n_shingles.sum(), dtype=np.uint32)
    numbers = np.empty(n_numbers.sum(), dtype=np.uint64)
    shingle_starts = np.zeros(docs + 1, dtype=np.int64)
    number_starts = np.zeros(docs + 1, dtype=np.int64)
    base = 0
    for k in range(docs):
        ns, nn = n_shingles[k], n_numbers[k]
        shingle_starts[k + 1] = _evidence_into(words[base : base + ns], common, common_filter, min_left, shingles,
                                                shingle_starts[k])
        for t in range(nn):  # little-endian uint64 figures, two words each
            low, high = np.uint64(words[base + ns + 2 * t]), np.uint64(words[base + ns + 2 * t + 1])
            numbers[number_starts[k] + t] = low | (high << np.uint64(32))
        number_starts[k + 1] = number_starts[k] + nn
        base += ns + 2 * nn
    return shingles, shingle_starts, numbers, number_starts


def _evidence(read: Callable[[int], tuple[np.ndarray, np.ndarray]], common: CommonShingles,
              sizes: MutableMapping[int, int] | np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
    shingles, figures = read(index)
    evidence = common.evidence(shingles)
    sizes[index] = len(evidence)
    return evidence, figures


class EvidenceReader:
    """Documents' compared shingle sets and figures, read on demand (``read(k)`` gives the whole
    set and the figures) with the common shingles left out; each document's evidence size is
    written to ``sizes[k]`` as it is read (clustering weighs documents by what they can prove).

    >>> sizes = {}
    >>> reader = EvidenceReader(lambda k: (np.array([1, 2, 3, 4], dtype=np.uint32), np.zeros(0, np.uint64)),
    ...                         CommonShingles(np.array([2], dtype=np.uint32), min_left=2), sizes)
    >>> reader(7)[0].tolist(), sizes
    ([1, 3, 4], {7: 3})
    """

    def __init__(self, read: Callable[[int], tuple[np.ndarray, np.ndarray]], common: CommonShingles,
                 sizes: MutableMapping[int, int] | np.ndarray, cache: int = 8192) -> None:
        self.common, self.sizes = common, sizes
        # The cache holds a function of its own, not a method: a method would tie the reader and
        # its cache in a cycle that outlives the last reference until a full collection (a
        # verification worker held one reader's cache per chunk it had checked, 40 MB each).
        self._cached = lru_cache(maxsize=cache)(partial(_evidence, read, common, sizes))

    def __call__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self._cached(index)

    def shingles(self, index: int) -> np.ndarray:
        """The evidence set alone."""
        return self._cached(index)[0]


__all__ = ["CommonShingles", "EvidenceReader", "holder_groups", "min_holders", "sample_positions",
           "sample_rank"]
