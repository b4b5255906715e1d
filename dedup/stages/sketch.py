"""The fast path from compared text to shingle set and MinHash signature, compiled with numba.

One pass over the text's code points computes each shingle's hash, the set of distinct hashes and
the signature, with no Python object per shingle. The results are bit-identical to the reference
path (:func:`dedup.stages.reference.shingle_hashes` then :func:`dedup.stages.reference.signature`, which follow
datasketch's scheme); the test suite checks that on random and real text.

>>> shingles, sig = sketch("同一篇新闻稿的正文内容", 5, 128, 1)
>>> len(shingles), sig.shape, sig.dtype.name
(7, (128,), 'uint32')
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

import numpy as np

from dedup.compiled import code_points, kernel
from dedup.errors import ConfigError
from dedup.stages.signature import EMPTY_VALUE, permutations

_POLY = np.uint64(0x100000001B3)
_EMPTY_SHINGLES = np.zeros(0, dtype=np.uint32)


@kernel
def _shingles(cps: np.ndarray, k: int) -> np.ndarray:  # pragma: no cover - compiled
    n = cps.shape[0]
    if n < k:
        k = n
    width = n - k + 1
    out = np.empty(width, dtype=np.uint32)
    poly = np.uint64(0x100000001B3)
    for i in range(width):
        h = np.uint64(0)
        for j in range(k):
            h = h * poly + np.uint64(cps[i + j])
        x = h + np.uint64(k)
        # splitmix64's finaliser, as dedup.stages.reference.mix64
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
        out[i] = np.uint32(x & np.uint64(0xFFFFFFFF))
    return out


@kernel
def _distinct(values: np.ndarray) -> int:  # pragma: no cover - compiled
    """Move the distinct values of a sorted array to its front; returns how many there are."""
    distinct = 0
    for i in range(values.shape[0]):
        if i == 0 or values[i] != values[distinct - 1]:
            values[distinct] = values[i]
            distinct += 1
    return distinct


@kernel
def _minhash(shingles: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    num_perm = a.shape[0]
    for p in range(num_perm):
        out[p] = np.uint32(0xFFFFFFFF)
    for i in range(shingles.shape[0]):
        # MurmurHash3's 32-bit finaliser, as dedup.stages.signature.fmix32. numba widens uint32 arithmetic
        # to 64 bits, so every product is cast back to wrap as numpy's uint32 does.
        h = shingles[i]
        h = h ^ (h >> np.uint32(16))
        h = np.uint32(h * np.uint32(0x85EBCA6B))
        h = h ^ (h >> np.uint32(13))
        h = np.uint32(h * np.uint32(0xC2B2AE35))
        h = h ^ (h >> np.uint32(16))
        for p in range(num_perm):
            value = np.uint32(h * a[p] + b[p])
            if value < out[p]:
                out[p] = value


@kernel
def intersection_size(a: np.ndarray, b: np.ndarray) -> int:  # pragma: no cover - compiled
    """How many values two sorted arrays of distinct values share (a merge walk)."""
    i = j = count = 0
    while i < a.shape[0] and j < b.shape[0]:
        if a[i] < b[j]:
            i += 1
        elif a[i] > b[j]:
            j += 1
        else:
            count += 1
            i += 1
            j += 1
    return count


@kernel
def _figures(cps: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Sorted distinct keys of the ASCII digit runs: the run's last 18 digits as an integer, its
    length (up to 15) in the top four bits, so that "081" and "81" differ."""
    out = np.empty(cps.shape[0] // 2 + 1, dtype=np.uint64)
    count = 0
    value = np.uint64(0)
    length = 0
    limit = np.uint64(10**18)
    for i in range(cps.shape[0] + 1):
        digit = i < cps.shape[0] and 48 <= cps[i] <= 57
        if digit:
            value = (value * np.uint64(10) + np.uint64(cps[i] - 48)) % limit
            length += 1
        elif length:
            out[count] = (np.uint64(min(length, 15)) << np.uint64(60)) | value
            count += 1
            value = np.uint64(0)
            length = 0
    found = np.sort(out[:count])
    distinct = 0
    for i in range(count):
        if i == 0 or found[i] != found[distinct - 1]:
            found[distinct] = found[i]
            distinct += 1
    return found[:distinct].copy()


def figures(text: str) -> np.ndarray:
    """The distinct ASCII digit runs of a text as sorted uint64 keys (see :mod:`dedup.stages.verify`).

    >>> len(figures("沪指跌151报342070点,跌151"))
    2
    """
    return _figures(code_points(text))


@kernel
def mix64(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@kernel
def band_keys_one(signature: np.ndarray, bands: int, rows: int, first_band: int) -> np.ndarray:  # pragma: no cover
    """:func:`dedup.stages.candidates.band_keys` for one signature, compiled (the index keys one document at a time)."""
    out = np.empty(bands, dtype=np.uint64)
    for band in range(bands):
        key = np.uint64(0)
        for r in range(rows):
            salt = np.uint64((r * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
            key = mix64(key ^ np.uint64(signature[band * rows + r]) ^ salt)
        out[band] = mix64(key + np.uint64(first_band + band))
    return out


@kernel
def _passage_keys(hashes: np.ndarray, mask: int, min_length: int, count: int,
                  pad: np.uint64) -> np.ndarray:  # pragma: no cover - compiled
    """See :func:`dedup.stages.sketch.passage_keys`; ``hashes`` are the text's shingle hashes in text order."""
    n = hashes.shape[0]
    keys = np.empty(n + 1, dtype=np.uint64)
    kept = np.zeros(n + 1, dtype=np.bool_)
    chunks = 0
    key = np.uint64(0)
    length = 0
    for i in range(n + 1):
        if i == n or (i > 0 and (hashes[i] & np.uint32(mask)) == 0):
            if length:
                keys[chunks] = mix64(key + np.uint64(0x5A17A6E5C0DE))
                kept[chunks] = length >= min_length
                chunks += 1
            key = np.uint64(0)
            length = 0
        if i < n:
            key = mix64(key ^ np.uint64(hashes[i]))
            length += 1
    out = np.empty(count, dtype=np.uint64)
    filled = 0
    # The chunks a text starts and ends with are kept whatever their rank (a stub that is the start
    # of its story, an excerpt that is its end); then the smallest of the others.
    ends = [0, chunks - 1] if chunks > 1 else [0]
    for end in ends:
        if chunks and kept[end] and filled < count and (filled == 0 or out[0] != keys[end]):
            out[filled] = keys[end]
            filled += 1
    at_ends = filled
    middle = np.sort(keys[1 : max(chunks - 1, 1)][kept[1 : max(chunks - 1, 1)]])
    for j in range(middle.shape[0]):
        if filled >= count:
            break
        repeated = j > 0 and middle[j] == middle[j - 1]
        for e in range(at_ends):
            repeated = repeated or middle[j] == out[e]
        if not repeated:
            out[filled] = middle[j]
            filled += 1
    for slot in range(filled, count):
        # Padding unique to the text (identical texts pad alike, and are candidates anyway).
        out[slot] = mix64(mix64(pad) + np.uint64(slot + 1))
    return out


def passage_keys(compared: str, shingle_size: int, span: int, count: int, pad: int | np.uint64 = 0,
                 tokens: str = "chars") -> np.ndarray:
    """``count`` keys of passages of the text, so that a text lying inside another (a stub, an
    excerpt, a story quoted whole) shares keys with it whatever their Jaccard similarity.

    The text is cut where a shingle's hash is a multiple of ``span`` (a power of two), so cuts fall
    on the same words in every text that holds them, and each passage between two cuts (about
    ``span`` shingles, at least ``span // 4``) is hashed whole. Kept: the passage the text starts
    with, the one it ends with, then those of smallest hash; slots left over are padded with keys
    of the text's own (``pad``, say its first band key). A passage key is strong evidence (tens of
    characters in common), unlike one shared shingle.

    >>> story = "国家统计局今日发布数据显示，十月份全国居民消费价格同比上涨百分之二点一，环比持平。" * 4
    >>> stub, whole = passage_keys(story[:60], 5, 8, 6, 1), passage_keys(story + "分析人士认为物价保持温和。", 5, 8, 6, 2)
    >>> bool(np.isin(stub[:1], whole).all())
    True
    """
    hashes = _shingles(units(compared, tokens), shingle_size) if compared else _EMPTY_SHINGLES
    return passage_keys_of(hashes, span, count, pad)


def passage_keys_of(hashes: np.ndarray, span: int, count: int, pad: int | np.uint64 = 0) -> np.ndarray:
    """:func:`passage_keys` from the text's shingle hashes in text order (:func:`shingle_hashes`)."""
    if span < 2 or span & (span - 1):
        raise ValueError(f"passage span must be a power of two of at least 2; got {span}")
    return _passage_keys(hashes, span - 1, max(1, span // 4), count, np.uint64(pad))


def shingle_hashes(units_: np.ndarray, k: int) -> np.ndarray:
    """The 32-bit hash of every shingle of ``k`` units, in text order (one shingle of all of them
    when there are fewer than ``k``)."""
    if k < 1:
        raise ValueError(f"shingle size k must be at least 1; got {k}")
    return _shingles(units_, k) if len(units_) else _EMPTY_SHINGLES


def distinct_sorted(hashes: np.ndarray) -> np.ndarray:
    """The distinct values of ``hashes``, sorted (a new array)."""
    values = np.sort(hashes)  # numpy's vectorised sort: several times faster than a sort compiled by numba
    return values[: _distinct(values)]


def figures_of_points(points: np.ndarray) -> np.ndarray:
    """:func:`figures` of a text given as its code points."""
    return _figures(points) if len(points) else np.zeros(0, dtype=np.uint64)


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


TOKENS = ("chars", "words")
"""What a shingle is made of: characters, or words as jieba segments the text."""

_SEGMENTER: Any = None
_LAST_WORDS: dict[str, np.ndarray] = {}


def _segmenter() -> Any:
    global _SEGMENTER
    if _SEGMENTER is None:
        try:
            import jieba
        except ImportError:
            raise ConfigError("tokens='words' needs jieba: pip install 'dedup[words]' (or pip install jieba)") from None
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        _SEGMENTER = tokenizer
    return _SEGMENTER


def units(text: str, tokens: str = "chars") -> np.ndarray:
    """The text as the sequence shingles are made of: its code points (``chars``), or a 32-bit id
    (CRC-32 of its UTF-8) per word of jieba's segmentation (``words``).

    >>> units("同比增长", "chars").tolist() == [ord(c) for c in "同比增长"]
    True
    """
    if tokens == "chars":
        return code_points(text)
    if tokens == "words":
        # Engines segment one text for its signature, its lead and its passage keys: keep the last few.
        found = _LAST_WORDS.get(text)
        if found is not None:
            return found
        words = _segmenter().lcut(text)
        ids = np.fromiter((zlib.crc32(word.encode("utf-8", "surrogatepass")) for word in words), dtype=np.uint32,
                          count=len(words))
        ids.setflags(write=False)
        if len(_LAST_WORDS) >= 4:
            del _LAST_WORDS[next(iter(_LAST_WORDS))]
        _LAST_WORDS[text] = ids
        return ids
    raise ValueError(f"tokens must be one of {', '.join(TOKENS)}; got {tokens!r}")


def shingles_of(text: str, k: int, tokens: str = "chars") -> np.ndarray:
    """Sorted, distinct 32-bit hashes of the text's shingles of ``k`` characters (or ``k`` words,
    with ``tokens="words"``); a text shorter than ``k`` is one shingle of its own, an empty text has none.

    >>> len(shingles_of("abcdef", 3)), len(shingles_of("ab", 3)), len(shingles_of("", 3))
    (4, 1, 0)
    """
    if k < 1:
        raise ValueError(f"shingle size k must be at least 1; got {k}")
    if not text:
        return _EMPTY_SHINGLES
    hashes = _shingles(units(text, tokens), k)
    hashes.sort()  # in place: nothing else holds these hashes
    return hashes[: _distinct(hashes)]


def sketch(text: str, k: int, num_perm: int, seed: int, tokens: str = "chars") -> tuple[np.ndarray, np.ndarray]:
    """``(shingles, signature)`` of a compared text: sorted distinct uint32 shingle hashes and the
    uint32 MinHash signature. An empty text has no shingles and the all-empty signature."""
    if k < 1:
        raise ValueError(f"shingle size k must be at least 1; got {k}")
    signature = np.empty(num_perm, dtype=np.uint32)
    if not text:
        signature.fill(EMPTY_VALUE)
        return _EMPTY_SHINGLES, signature
    a, b = permutations(num_perm, seed)
    shingles = shingles_of(text, k, tokens)
    _minhash(shingles, a, b, signature)
    return shingles, signature


def signature_of(shingles: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The MinHash signature of a stored shingle set (what :func:`sketch` gives for its text).

    >>> shingles, signature = sketch("工信部表示将加快培育先进制造业集群", 5, 16, 1)
    >>> bool((signature_of(shingles, 16, 1) == signature).all())
    True
    """
    signature = np.empty(num_perm, dtype=np.uint32)
    if not len(shingles):
        signature.fill(EMPTY_VALUE)
        return signature
    a, b = permutations(num_perm, seed)
    _minhash(np.ascontiguousarray(shingles, dtype=np.uint32), a, b, signature)
    return signature


def sketch_with_figures(text: str, k: int, num_perm: int, seed: int,
                        tokens: str = "chars") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sketch` and :func:`figures` of one text."""
    shingles, signature = sketch(text, k, num_perm, seed, tokens)
    return shingles, signature, _figures(code_points(text)) if text else np.zeros(0, dtype=np.uint64)


def sketch_many(texts: list[str], k: int, num_perm: int, seed: int,
                tokens: str = "chars") -> tuple[list[np.ndarray], np.ndarray]:
    """Shingle sets and a ``(len(texts), num_perm)`` signature matrix for many texts."""
    signatures = np.empty((len(texts), num_perm), dtype=np.uint32)
    sets = []
    for row, text in enumerate(texts):
        shingles, signatures[row] = sketch(text, k, num_perm, seed, tokens)
        sets.append(shingles)
    return sets, signatures


__all__ = ["units", "TOKENS", "passage_keys", "sketch", "shingles_of", "jaccard_containment", "sketch_many", "sketch_with_figures", "signature_of", "figures", "code_points", "intersection_size"]
