"""Verification of LSH candidates on the real shingle sets, with a guard for formulaic look-alikes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import Config
from dedup.shingle import jaccard_containment

_NUMBER = re.compile(r"\d+")


@dataclass
class Pair:
    """A verified pair of documents (indices ``left < right``)."""

    left: int
    right: int
    inter: int
    jaccard: float
    containment: float


def numbers_of(compared: str) -> frozenset[str]:
    """The distinct digit runs of a compared text.

    >>> sorted(numbers_of("沪指跌151报342070点"))
    ['151', '342070']
    """
    return frozenset(_NUMBER.findall(compared))


def numbers_agree(a: frozenset[str], b: frozenset[str], min_numbers: int = 4, share: float = 0.5) -> bool:
    """False when two texts both carry several numbers and mostly different ones.

    Same-day market wrap-ups and rate notices share their sentences word for word and differ only
    in figures; copies of one report share their figures (a light edit changes one or two).

    >>> numbers_agree(frozenset({"1", "22", "333", "4444"}), frozenset({"5", "66", "777", "8888"}))
    False
    >>> numbers_agree(frozenset({"1", "22"}), frozenset({"5", "66"}))
    True
    """
    smaller = min(len(a), len(b))
    if smaller < min_numbers:
        return True
    return len(a & b) >= share * smaller


def verify(shingles: Sequence[np.ndarray], numbers: Sequence[frozenset[str]], candidates: np.ndarray,
           config: Config) -> list[Pair]:
    """Keep the candidate pairs whose shingle sets pass the containment threshold and whose figures agree."""
    kept = []
    for i, j in candidates.tolist():
        inter, jac, cont = jaccard_containment(shingles[i], shingles[j])
        if cont < config.threshold or jac < config.min_jaccard:
            continue
        if not numbers_agree(numbers[i], numbers[j]):
            continue
        kept.append(Pair(i, j, inter, jac, cont))
    return kept
