"""Character shingles of the compared text, as sorted arrays of 32-bit hashes.

Each shingle is hashed to 64 bits (a polynomial over its code points, then splitmix64) and the low
32 bits are kept: 32 bits are what MinHash permutes, and they halve the memory of the sets that
verification compares (two unrelated 1,500-shingle sets share a 32-bit value by chance about once
in two thousand pairs, which moves no decision).
"""

from __future__ import annotations

import numpy as np

from dedup.sketch import intersection_size

_POLY = np.uint64(0x100000001B3)
_EMPTY = np.zeros(0, dtype=np.uint32)


def mix64(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: an avalanching bijection on uint64 (wrapping arithmetic)."""
    x = values ^ (values >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def code_points(text: str) -> np.ndarray:
    """The text's code points as a uint64 array."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)


def shingle_hashes(text: str, k: int) -> np.ndarray:
    """Sorted, distinct 32-bit hashes of the text's k-character shingles (the reference path;
    :func:`dedup.sketch.sketch` computes the same set compiled).

    A text shorter than ``k`` (but not empty) is one shingle of its own, so two different short
    texts never share a set; an empty text has no shingles and is never matched.

    >>> len(shingle_hashes("abcdef", 3))
    4
    >>> len(shingle_hashes("ab", 3)), len(shingle_hashes("", 3))
    (1, 0)
    """
    if k < 1:
        raise ValueError(f"shingle size k must be at least 1; got {k}")
    if not text:
        return _EMPTY
    cps = code_points(text)
    n = len(cps)
    if n < k:
        k = n
    width = n - k + 1
    h = np.zeros(width, dtype=np.uint64)
    for j in range(k):
        h = h * _POLY + cps[j : j + width]
    h = mix64(h + np.uint64(k))
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def jaccard_containment(a: np.ndarray, b: np.ndarray) -> tuple[int, float, float]:
    """``(intersection size, Jaccard, containment)`` of two sorted distinct hash arrays.

    Containment is the share of the smaller set found in the larger.

    >>> x = np.array([1, 2, 3, 4], dtype=np.uint64); y = np.array([3, 4], dtype=np.uint64)
    >>> jaccard_containment(x, y)
    (2, 0.5, 1.0)
    """
    if len(a) == 0 or len(b) == 0:
        return 0, 0.0, 0.0
    inter = int(intersection_size(a, b))
    union = len(a) + len(b) - inter
    return inter, inter / union, inter / min(len(a), len(b))
