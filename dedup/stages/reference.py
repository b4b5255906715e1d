"""The numpy reference kernels: shingle hashes, MinHash signatures and LSH band keys written with
whole-array numpy, easy to read and to check against datasketch. No engine calls them: the
compiled kernels in :mod:`dedup.stages.sketch` are the ones that run, and the tests check that both give
the same values bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dedup.stages.candidates import LEAD_FIRST_BAND, band_pairs, decode_pairs, merge_pairs
from dedup.stages.signature import EMPTY_VALUE, permutations
from dedup.stages.sketch import sketch

_POLY = np.uint64(0x100000001B3)
_EMPTY = np.zeros(0, dtype=np.uint32)
_EMPTY_PAIRS = np.zeros((0, 2), dtype=np.int64)


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
    :func:`dedup.stages.sketch.sketch` computes the same set compiled).

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


def band_keys(signatures: np.ndarray, bands: int, rows: int, first_band: int = 0) -> np.ndarray:
    """One 64-bit key per (document, band): shape ``(n, bands)``.

    >>> sig = np.arange(12, dtype=np.uint32).reshape(2, 6)
    >>> band_keys(sig, 3, 2).shape
    (2, 3)
    """
    n, width = signatures.shape
    if bands * rows > width:
        raise ValueError(f"{bands} bands of {rows} rows need {bands * rows} signature values; signatures have {width}")
    cols = signatures[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    keys = np.zeros((n, bands), dtype=np.uint64)
    for r in range(rows):
        keys = mix64(keys ^ cols[:, :, r] ^ np.uint64(r * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF))
    # Keys of different bands must never meet, so the band number goes into the key as well.
    return mix64(keys + np.arange(first_band, first_band + bands, dtype=np.uint64)[None, :])


def lead_keys(texts: list[str], lead_chars: int, lead_bands: int, lead_rows: int, shingle_size: int, num_perm: int,
              seed: int) -> np.ndarray:
    """The lead bands' keys of many compared texts, shape ``(len(texts), lead_bands)``."""
    if not lead_chars or not lead_bands or not texts:
        return np.zeros((len(texts), 0), dtype=np.uint64)
    signatures = np.array([sketch(t[:lead_chars], shingle_size, num_perm, seed)[1] for t in texts])
    return band_keys(signatures, lead_bands, lead_rows, LEAD_FIRST_BAND)


def candidate_pairs(signatures: np.ndarray, bands: int, rows: int, max_bucket: int = 2000,
                    valid: np.ndarray | None = None, extra_keys: np.ndarray | None = None) -> np.ndarray:
    """Distinct pairs of rows that agree on every row of at least one band, shape ``(m, 2)``.

    ``valid`` masks rows that may take part (documents too short to judge are left out);
    ``extra_keys`` (n, k) are further band keys per row (the leads' bands).
    """
    n = signatures.shape[0]
    if n < 2:
        return _EMPTY_PAIRS
    keys = band_keys(signatures, bands, rows)
    if extra_keys is not None and extra_keys.size:
        keys = np.concatenate([keys, extra_keys], axis=1)
    return candidate_pairs_from_keys(lambda band: keys[:, band], n, keys.shape[1], max_bucket, valid)


def candidate_pairs_from_keys(column: Callable[[int], np.ndarray], n: int, bands: int, max_bucket: int = 2000,
                              valid: np.ndarray | None = None) -> np.ndarray:
    """:func:`candidate_pairs` from band keys fetched one band at a time (``column(band)``: n keys).

    Only one band's keys need to be in memory at once besides the pairs found.
    """
    index = np.arange(n) if valid is None else np.flatnonzero(valid)
    if index.size < 2:
        return _EMPTY_PAIRS
    encoded: list[np.ndarray] = []
    for band in range(bands):
        found = band_pairs(column(band), index, n, max_bucket)
        if found.size:
            encoded.append(found)
        if len(encoded) > 8:
            encoded = [merge_pairs(encoded)]
    return decode_pairs(merge_pairs(encoded), n)
