"""MinHash signatures in datasketch's ``affine32`` scheme, computed with numpy.

The permutations are datasketch's own (``a*h + b mod 2**32`` over MurmurHash3-finalised 32-bit
hashes, parameters drawn from ``numpy.random.RandomState(seed)``), so a signature here equals
``datasketch.MinHash(num_perm, seed, hashfunc=...)`` fed the same 32-bit shingle hashes; the test
suite checks that. Signatures are plain ``uint32`` arrays, one row per document.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

EMPTY_VALUE = np.uint32(0xFFFFFFFF)


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters ``(a, b)``, each of shape ``(num_perm,)``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch applies it before permuting)."""
    h = values ^ (values >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def hash32(shingles: np.ndarray) -> np.ndarray:
    """The 32-bit shingle hashes fed to MinHash: the low half of the 64-bit shingle hash."""
    return (shingles & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def signature(shingles: np.ndarray, num_perm: int = 128, seed: int = 1, chunk: int = 2048) -> np.ndarray:
    """The MinHash signature (``uint32``, length ``num_perm``) of one shingle set.

    >>> from dedup.shingle import shingle_hashes
    >>> s = signature(shingle_hashes("同一篇新闻稿的正文", 3))
    >>> s.shape, s.dtype.name
    ((128,), 'uint32')
    """
    a, b = permutations(num_perm, seed)
    out = np.full(num_perm, EMPTY_VALUE, dtype=np.uint32)
    if len(shingles) == 0:
        return out
    hv = fmix32(hash32(shingles))
    for start in range(0, len(hv), chunk):
        part = hv[start : start + chunk, None]
        np.minimum(out, (part * a + b).min(axis=0), out=out)
    return out


def signatures(shingle_sets: list[np.ndarray], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """Signatures of many shingle sets, as a ``(len(sets), num_perm)`` uint32 matrix."""
    out = np.empty((len(shingle_sets), num_perm), dtype=np.uint32)
    for row, shingles in enumerate(shingle_sets):
        out[row] = signature(shingles, num_perm, seed)
    return out
