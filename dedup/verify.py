"""Verification of LSH candidates on the real shingle sets, with a guard for formulaic look-alikes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import Config
from dedup.sketch import figures, intersection_size, jaccard_containment


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


def numbers_of(compared: str) -> np.ndarray:
    """The distinct digit runs (ASCII digits; NFKC has already folded full-width ones) of a compared
    text, as sorted uint64 keys.

    >>> len(numbers_of("沪指跌151报342070点，跌151"))
    2
    """
    return figures(compared)


def figures_agree(size_a: int, size_b: int, shared: int, min_numbers: int = 4, share: float = 0.5) -> bool:
    """False when two texts both carry several numbers and mostly different ones.

    Same-day market wrap-ups and rate notices share their sentences word for word and differ only
    in figures; copies of one report share their figures (a light edit changes one or two).

    >>> figures_agree(4, 4, 0), figures_agree(2, 2, 0), figures_agree(6, 5, 4)
    (False, True, True)
    """
    smaller = min(size_a, size_b)
    if smaller < min_numbers:
        return True
    return shared >= share * smaller


def numbers_agree(a: np.ndarray, b: np.ndarray) -> bool:
    """:func:`figures_agree` on two :func:`numbers_of` arrays."""
    return figures_agree(len(a), len(b), int(intersection_size(a, b)))


def check_pair(a: np.ndarray, b: np.ndarray, numbers_a: np.ndarray, numbers_b: np.ndarray,
               config: Config) -> tuple[int, float, float] | None:
    """``(intersection, Jaccard, containment)`` when two documents are one story, else None.

    One story: containment at least ``config.threshold`` and figures that agree
    (:func:`figures_agree`, judged from two figures up when the smaller document has fewer than
    ``config.short_shingles`` shingles, from four otherwise).
    """
    inter, jac, cont = jaccard_containment(a, b)
    if cont < config.threshold or jac < config.min_jaccard:
        return None
    short = min(len(a), len(b)) < config.short_shingles
    # Short items carry few figures, and a flash whose figures differ is another flash.
    if not figures_agree(len(numbers_a), len(numbers_b), int(intersection_size(numbers_a, numbers_b)),
                         min_numbers=2 if short else 4):
        return None
    return inter, jac, cont


def warm(config: Config) -> None:
    """Load the compiled kernels :func:`check_pair` runs (from numba's cache, the first call of
    each in a process), so that the first pair a worker checks does not pay for it."""
    shingles, figures = np.array([1, 2], dtype=np.uint32), np.array([1], dtype=np.uint64)
    check_pair(shingles, shingles, figures, figures, config)


def verify_pairs(candidates: Iterable[tuple[int, int]] | np.ndarray,
                 sketch_of: Callable[[int], tuple[np.ndarray, np.ndarray]], config: Config,
                 progress: Callable[[int], None] | None = None) -> list[Pair]:
    """The candidate pairs ``(i, j)``, ``i < j``, that :func:`check_pair` keeps, in the order given.

    ``sketch_of(i)`` gives a document's compared shingle set and its figures (a caller may read
    them from disk or a database, and cache them); ``progress(done)`` is called every 20,000 pairs.
    """
    pairs = candidates.tolist() if isinstance(candidates, np.ndarray) else candidates
    kept = []
    for position, (i, j) in enumerate(pairs):
        (shingles_a, numbers_a), (shingles_b, numbers_b) = sketch_of(i), sketch_of(j)
        checked = check_pair(shingles_a, shingles_b, numbers_a, numbers_b, config)
        if checked is not None:
            kept.append(Pair(i, j, *checked))
        if progress is not None and position % 20000 == 0:
            progress(position + 1)
    return kept


def verify(shingles: Sequence[np.ndarray], numbers: Sequence[np.ndarray], candidates: np.ndarray,
           config: Config) -> list[Pair]:
    """Keep the candidate pairs whose shingle sets pass the containment threshold and whose figures agree."""
    return verify_pairs(candidates, lambda k: (shingles[k], numbers[k]), config)
