"""Verification of LSH candidates on the real shingle sets, with a guard for formulaic look-alikes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.compiled import kernel
from dedup.config import Config
from dedup.stages.sketch import intersection_size


@dataclass
class Pair:
    """A verified pair of documents (indices ``left < right``)."""

    left: int
    right: int
    inter: int
    jaccard: float
    containment: float


@dataclass(frozen=True)
class VerifiedPairs:
    """Verified pairs as columns (``left < right``, shared shingles, Jaccard, containment): what
    verification hands to clustering, without an object per pair.

    >>> pairs = VerifiedPairs.of([Pair(0, 2, 9, 0.9, 1.0)])
    >>> len(pairs), list(pairs)[0].right
    (1, 2)
    """

    left: np.ndarray
    right: np.ndarray
    inter: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray

    def __len__(self) -> int:
        return len(self.left)

    def __iter__(self) -> Iterator[Pair]:
        for row in zip(self.left.tolist(), self.right.tolist(), self.inter.tolist(), self.jaccard.tolist(),
                       self.containment.tolist(), strict=True):
            yield Pair(*row)

    @classmethod
    def of(cls, pairs: Iterable[Pair]) -> VerifiedPairs:
        rows = [(p.left, p.right, p.inter, p.jaccard, p.containment) for p in pairs]
        ends = np.array([row[:3] for row in rows], dtype=np.int64).reshape(-1, 3)
        scores = np.array([row[3:] for row in rows], dtype=np.float64).reshape(-1, 2)
        return cls.from_arrays(ends, scores)

    @classmethod
    def from_arrays(cls, ends: np.ndarray, scores: np.ndarray) -> VerifiedPairs:
        """From rows ``(left, right, inter)`` and rows ``(jaccard, containment)``."""
        return cls(ends[:, 0], ends[:, 1], ends[:, 2], scores[:, 0], scores[:, 1])


@kernel
def figures_agree(size_a: int, size_b: int, shared: int, min_numbers: int = 4,
                  share: float = 0.5) -> bool:  # pragma: no cover - compiled
    """False when two texts both carry several numbers and mostly different ones (compiled: the
    pair check calls it for every pair).

    Same-day market wrap-ups and rate notices share their sentences word for word and differ only
    in figures; copies of one report share their figures (a light edit changes one or two).
    ``figures_agree(4, 4, 0)`` is False, ``figures_agree(2, 2, 0)`` and ``figures_agree(6, 5, 4)``
    are True.
    """
    smaller = min(size_a, size_b)
    return smaller < min_numbers or shared >= share * smaller


@kernel
def intersection_reaching(a: np.ndarray, b: np.ndarray, needed: float) -> int:  # pragma: no cover - compiled
    """How many values two sorted arrays of distinct values share, or -1 as soon as it is sure to
    stay below ``needed`` (most candidate pairs share a sentence or two and are given up halfway)."""
    i = j = inter = 0
    na, nb = a.shape[0], b.shape[0]
    while i < na and j < nb:
        # Branch-free steps (the order of two hashes is a coin toss the processor cannot predict),
        # with a look at what could still be shared every 64 of them.
        stop = min(na - i, nb - j, 64)
        for _ in range(stop):
            x, y = a[i], b[j]
            inter += x == y
            i += x <= y
            j += y <= x
        if inter + min(na - i, nb - j) < needed:
            return -1
    return inter


@kernel
def _verdicts(pairs: np.ndarray, shingles: np.ndarray, shingle_starts: np.ndarray, numbers: np.ndarray,
              number_starts: np.ndarray, threshold: float, min_jaccard: float,
              short_shingles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The rule of :func:`check_pair` for every pair ``(a, b)`` of packed documents (document ``k``
    holds ``shingles[shingle_starts[k]:shingle_starts[k + 1]]``, its figures likewise): whether
    it is kept, the intersection, Jaccard and containment."""
    m = pairs.shape[0]
    kept = np.zeros(m, dtype=np.bool_)
    inters = np.zeros(m, dtype=np.int64)
    jaccards = np.zeros(m, dtype=np.float64)
    containments = np.zeros(m, dtype=np.float64)
    for row in range(m):
        a, b = pairs[row, 0], pairs[row, 1]
        set_a = shingles[shingle_starts[a] : shingle_starts[a + 1]]
        set_b = shingles[shingle_starts[b] : shingle_starts[b + 1]]
        size_a, size_b = set_a.shape[0], set_b.shape[0]
        if size_a == 0 or size_b == 0:
            continue
        inter = intersection_reaching(set_a, set_b, threshold * min(size_a, size_b) - 1.0)
        if inter < 0:
            continue
        jaccard = inter / (size_a + size_b - inter)
        containment = inter / min(size_a, size_b)
        inters[row], jaccards[row], containments[row] = inter, jaccard, containment
        if containment < threshold or jaccard < min_jaccard:
            continue
        # Short items carry few figures, and a flash whose figures differ is another flash.
        figures_a = numbers[number_starts[a] : number_starts[a + 1]]
        figures_b = numbers[number_starts[b] : number_starts[b + 1]]
        min_numbers = 2 if min(size_a, size_b) < short_shingles else 4
        kept[row] = figures_agree(figures_a.shape[0], figures_b.shape[0], intersection_size(figures_a, figures_b),
                                  min_numbers, 0.5)
    return kept, inters, jaccards, containments


@dataclass(frozen=True)
class Packed:
    """Documents' evidence sets and figures in two flat arrays, for checking many pairs in one
    compiled call: document ``k``'s set is ``shingles[shingle_starts[k]:shingle_starts[k + 1]]``.

    >>> packed = Packed.of([np.array([1, 2], np.uint32), np.array([2], np.uint32)], [np.zeros(0, np.uint64)] * 2)
    >>> packed.shingle_starts.tolist(), len(packed)
    ([0, 2, 3], 2)
    """

    shingles: np.ndarray
    shingle_starts: np.ndarray
    numbers: np.ndarray
    number_starts: np.ndarray

    def __len__(self) -> int:
        return len(self.shingle_starts) - 1

    @classmethod
    def of(cls, shingles: Sequence[np.ndarray], numbers: Sequence[np.ndarray]) -> Packed:
        return cls(_flat(shingles, np.uint32), _starts(shingles), _flat(numbers, np.uint64), _starts(numbers))

    def sizes(self) -> np.ndarray:
        """Each document's evidence size."""
        return np.diff(self.shingle_starts)


def _flat(arrays: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if len(arrays) else np.zeros(0, dtype=dtype)


def _starts(arrays: Sequence[np.ndarray]) -> np.ndarray:
    starts = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=starts[1:])
    return starts


def check_packed(pairs: np.ndarray, packed: Packed, config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`check_pair` on every pair ``(a, b)`` of packed documents (positions into ``packed``):
    ``(kept, intersection, Jaccard, containment)`` as arrays."""
    return _verdicts(np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2), packed.shingles, packed.shingle_starts,
                     packed.numbers, packed.number_starts, float(config.threshold), float(config.min_jaccard),
                     int(config.short_shingles))


def check_pair(a: np.ndarray, b: np.ndarray, numbers_a: np.ndarray, numbers_b: np.ndarray,
               config: Config) -> tuple[int, float, float] | None:
    """``(intersection, Jaccard, containment)`` when two documents are one story, else None.

    One story: containment at least ``config.threshold`` and figures that agree
    (:func:`figures_agree`, judged from two figures up when the smaller document has fewer than
    ``config.short_shingles`` shingles, from four otherwise).

    >>> story = np.arange(200, dtype=np.uint32); none = np.zeros(0, np.uint64)
    >>> check_pair(story, story[:150], none, none, Config())
    (150, 0.75, 1.0)
    """
    kept, inter, jaccard, containment = check_packed(np.array([[0, 1]]), Packed.of([a, b], [numbers_a, numbers_b]),
                                                     config)
    return (int(inter[0]), float(jaccard[0]), float(containment[0])) if kept[0] else None


def warm(config: Config) -> None:
    """Load the compiled kernels :func:`check_pair` runs (from numba's cache, the first call of
    each in a process), so that the first pair a worker checks does not pay for it."""
    shingles, figures = np.array([1, 2], dtype=np.uint32), np.array([1], dtype=np.uint64)
    check_pair(shingles, shingles, figures, figures, config)


PAIRS_PER_BLOCK = 4096
"""Pairs checked in one compiled call: their documents' sets are held together (at most twice
this many documents, some 45 MB of 1,500-character texts)."""


def verify_packed(candidates: np.ndarray, pack: Callable[[np.ndarray], Packed], config: Config,
                  progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs ``(i, j)`` that :func:`check_pair` keeps, in the order given, as rows
    ``(i, j, intersection)`` and rows ``(jaccard, containment)``.

    Pairs are checked a block at a time: ``pack(docs)`` gives the evidence of the block's
    documents (sorted distinct indices) in that order; ``progress(done)`` is called after each block.
    """
    pairs = np.asarray(candidates, dtype=np.int64).reshape(-1, 2)
    ends: list[np.ndarray] = [np.zeros((0, 3), dtype=np.int64)]
    scores: list[np.ndarray] = [np.zeros((0, 2), dtype=np.float64)]
    for start in range(0, len(pairs), PAIRS_PER_BLOCK):
        block = pairs[start : start + PAIRS_PER_BLOCK]
        docs, local = np.unique(block, return_inverse=True)
        keep, inter, jaccard, containment = check_packed(local.reshape(-1, 2), pack(docs), config)
        ends.append(np.column_stack([block[keep], inter[keep]]))
        scores.append(np.column_stack([jaccard[keep], containment[keep]]))
        if progress is not None:
            progress(start + len(block))
    return np.concatenate(ends), np.concatenate(scores)


def verify_pairs(candidates: Iterable[tuple[int, int]] | np.ndarray,
                 sketch_of: Callable[[int], tuple[np.ndarray, np.ndarray]], config: Config,
                 progress: Callable[[int], None] | None = None) -> list[Pair]:
    """The candidate pairs ``(i, j)``, ``i < j``, that :func:`check_pair` keeps, in the order given.

    ``sketch_of(i)`` gives a document's compared shingle set and its figures (a caller may read
    them from disk or a database, and cache them); ``progress(done)`` is called after each block
    of pairs.
    """
    def pack(docs: np.ndarray) -> Packed:
        sketches = [sketch_of(k) for k in docs.tolist()]
        return Packed.of([s[0] for s in sketches], [s[1] for s in sketches])

    pairs = np.asarray(candidates if isinstance(candidates, np.ndarray) else list(candidates), dtype=np.int64)
    return list(VerifiedPairs.from_arrays(*verify_packed(pairs, pack, config, progress)))
