"""Banded LSH over MinHash signature matrices: band keys and candidate pairs, all numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.stages.partners import estimated_containment, passage_rows_of
from dedup.stages.sketch import (
    band_keys_one,
    code_points,
    distinct_sorted,
    figures_of_points,
    passage_keys,
    passage_keys_of,
    shingle_hashes,
    shingles_of,
    signature_of,
    sketch,
    sketch_with_figures,
)

_EMPTY_PAIRS = np.zeros((0, 2), dtype=np.int64)


def bucket_allowed(size: Any, max_bucket: int) -> Any:
    """Whether a bucket of ``size`` documents proposes pairs (an array of sizes gives an array):
    a bucket of more than ``max_bucket`` documents is a template collision, not a story.

    >>> bucket_allowed(np.array([1, 2, 5]), 4).tolist(), bucket_allowed(3, 4)
    ([False, True, False], True)
    """
    return (size >= 2) & (size <= max_bucket)


def pairs_in_groups(keys: np.ndarray, max_group: int) -> np.ndarray:
    """All index pairs ``(i, j)``, ``i < j``, of equal keys, skipping groups larger than ``max_group``."""
    if len(keys) < 2:
        return _EMPTY_PAIRS
    # Every pair of a group is made whatever the order inside it, and callers take the distinct
    # pairs: no need for a stable sort (quicksort is about 2.5x faster on 64-bit keys).
    order = np.argsort(keys)
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(keys)])))
    group_of = np.repeat(np.arange(len(starts)), sizes)
    allowed = bucket_allowed(sizes, max_group)
    if not allowed.any():
        return _EMPTY_PAIRS
    keep = allowed[group_of]
    found = []
    limit = int(sizes[allowed].max())
    positions = np.flatnonzero(keep)
    for offset in range(1, limit):
        positions = positions[positions + offset < len(keys)]
        same = group_of[positions + offset] == group_of[positions]
        positions = positions[same]
        if positions.size == 0:
            break
        found.append(np.stack((order[positions], order[positions + offset]), axis=1))
    if not found:
        return _EMPTY_PAIRS
    pairs = np.concatenate(found)
    return np.sort(pairs, axis=1)


LEAD_FIRST_BAND = 1 << 20
"""Band numbers of lead bands start here, so that their keys never meet the whole text's."""


def keys_of(compared: str, signature: np.ndarray, config: Config, hashes: np.ndarray | None = None) -> np.ndarray:
    """Every key a document is bucketed by, in every engine: its signature's bands, its lead's
    bands, then its :func:`passage_keys` (``config.total_keys`` in all). ``hashes``, the text's
    shingle hashes in text order (``tokens="chars"`` only), spare shingling the text again.
    """
    keys = band_keys_one(signature, config.lsh_bands, config.lsh_rows, 0)
    if config.lead_chars and config.lead_bands:
        lead_signature = _lead_signature(compared, signature, config, hashes)
        keys = np.concatenate([keys, band_keys_one(lead_signature, config.lead_bands, config.lead_rows,
                                                   LEAD_FIRST_BAND)])
    if not config.passage_keys:
        return keys
    if hashes is None:
        passages = passage_keys(compared, config.shingle_size, config.passage_span, config.passage_keys, keys[0],
                                config.tokens)
    else:
        passages = passage_keys_of(hashes, config.passage_span, config.passage_keys, keys[0])
    return np.concatenate([keys, passages])


def _lead_signature(compared: str, signature: np.ndarray, config: Config, hashes: np.ndarray | None) -> np.ndarray:
    """The signature of the text's first ``config.lead_chars`` characters."""
    k = config.shingle_size
    if len(compared) <= config.lead_chars:
        return signature
    if hashes is not None and config.lead_chars >= k:  # the lead's shingles are the first of the text's
        return signature_of(distinct_sorted(hashes[: config.lead_chars - k + 1]), config.num_perm, config.seed)
    return sketch(compared[: config.lead_chars], k, config.num_perm, config.seed, config.tokens)[1]


@dataclass(frozen=True)
class DocumentSketch:
    """What every engine keeps of a compared text: its shingle set (sorted distinct uint32), MinHash
    signature, figures (:func:`dedup.stages.sketch.figures`) and keys (:func:`keys_of`)."""

    shingles: np.ndarray
    signature: np.ndarray
    figures: np.ndarray
    keys: np.ndarray


def sketch_document(compared: str, config: Config) -> DocumentSketch:
    """:func:`dedup.stages.sketch.sketch_with_figures` and :func:`keys_of` of a compared text, the one
    step every engine sketches a document with. The text is shingled once: the whole text's set,
    its lead's and its passages all come from the same run of shingle hashes.

    >>> sketched = sketch_document("工信部表示将加快培育一批有国际竞争力的先进制造业集群", Config())
    >>> len(sketched.keys) == Config().total_keys, sketched.signature.shape
    (True, (128,))
    """
    if config.tokens != "chars" or not compared:
        shingles, signature, figures = sketch_with_figures(compared, config.shingle_size, config.num_perm, config.seed,
                                                           config.tokens)
        return DocumentSketch(shingles, signature, figures, keys_of(compared, signature, config))
    points = code_points(compared)
    hashes = shingle_hashes(points, config.shingle_size)
    shingles = distinct_sorted(hashes)
    signature = signature_of(shingles, config.num_perm, config.seed)
    return DocumentSketch(shingles, signature, figures_of_points(points), keys_of(compared, signature, config, hashes))


def text_keys(compared: str, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """A compared text's shingle set and its keys (:func:`keys_of`): for a document whose
    signature was not kept (a stored one, made again from its body).

    >>> from dedup.config import Config
    >>> shingles, keys = text_keys("工信部表示将加快培育一批有国际竞争力的先进制造业集群", Config())
    >>> len(keys) == Config().total_keys and len(shingles) > 0
    True
    """
    shingles = shingles_of(compared, config.shingle_size, config.tokens)
    return shingles, keys_of(compared, signature_of(shingles, config.num_perm, config.seed), config)


def proposed_by(keys_a: np.ndarray, keys_b: np.ndarray, config: Config) -> list[str]:
    """Which keys two documents share (their :func:`keys_of`): the whole text's bands, the lead's,
    passages (with the containment they estimate, :mod:`dedup.stages.partners`). What explains a pair.

    >>> text = "工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。" * 3
    >>> _, keys = text_keys(text, Config())
    >>> proposed_by(keys, keys, Config())[:2]
    ['42 of 42 bands', '4 of 4 lead bands']
    """
    same = keys_a[: config.total_bands] == keys_b[: config.total_bands]
    found = []
    if same[: config.lsh_bands].any():
        found.append(f"{int(same[: config.lsh_bands].sum())} of {config.lsh_bands} bands")
    lead = same[config.lsh_bands :]
    if lead.any():
        found.append(f"{int(lead.sum())} of {len(lead)} lead bands")
    if config.passage_keys:
        rows = passage_rows_of(np.stack([keys_a, keys_b]), config.total_bands)
        shared = len(set(rows[0][rows[0] != 0].tolist()) & set(rows[1][rows[1] != 0].tolist()))
        if shared:
            estimate = float(estimated_containment(rows[0], rows[1]))
            found.append(f"{shared} passages (containment estimated {estimate:.2f})")
    return found


def band_pairs(keys: np.ndarray, index: np.ndarray, n: int, max_bucket: int) -> np.ndarray:
    """The pairs one band proposes, encoded as ``i * n + j`` (``i < j``): documents ``index`` (the
    ones that take part) whose keys in this band agree, buckets over ``max_bucket`` skipped.

    The unit of banding work: engines run it band by band, on any worker, and merge with
    :func:`merge_pairs`.
    """
    pairs = pairs_in_groups(keys[index], max_bucket)
    if not pairs.size:
        return np.zeros(0, dtype=np.int64)
    return index[pairs[:, 0]].astype(np.int64) * n + index[pairs[:, 1]]


def owner_pairs(keys: np.ndarray, owners: np.ndarray, max_bucket: int) -> np.ndarray:
    """Distinct pairs ``(a, b)``, ``a < b``, of owners whose keys agree (``keys[k]`` is owned by
    ``owners[k]``; an owner may hold many keys); buckets over ``max_bucket`` skipped.

    >>> owner_pairs(np.array([1, 7, 1, 8, 2, 8, 9], dtype=np.uint64), np.array([0, 0, 1, 1, 2, 2, 3]), 10).tolist()
    [[0, 1], [1, 2]]
    """
    occurrences = pairs_in_groups(keys, max_bucket)
    if not len(occurrences):
        return _EMPTY_PAIRS
    ends = np.sort(owners[occurrences].astype(np.int64), axis=1)
    ends = ends[ends[:, 0] != ends[:, 1]]
    return np.unique(ends, axis=0) if len(ends) else _EMPTY_PAIRS


@dataclass(frozen=True)
class CandidateCounts:
    """How many candidate pairs each kind of key proposed: ``bands`` (the whole text's and the
    lead's), ``passages`` (pairs kept as passage partners, :mod:`dedup.stages.partners`), ``both`` (pairs
    proposed by both), and ``scored`` (pairs that shared a passage and were scored to choose them).

    >>> CandidateCounts(bands=10, passages=4, both=1, scored=90).describe()
    'bands 10, passage partners 4 (1 also banded; 90 passage pairs scored)'
    """

    bands: int = 0
    passages: int = 0
    both: int = 0
    scored: int = 0

    def describe(self) -> str:
        return (f"bands {self.bands:,}, passage partners {self.passages:,} ({self.both:,} also banded; "
                f"{self.scored:,} passage pairs scored)")

    def stats(self) -> dict[str, float]:
        return {"candidates_bands": float(self.bands), "candidates_passages": float(self.passages),
                "candidates_both": float(self.both), "passage_pairs_scored": float(self.scored)}


def merge_pairs(encoded: list[np.ndarray]) -> np.ndarray:
    """Distinct encoded pairs of many bands, as one sorted array (call as bands come in, to bound memory)."""
    return np.unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)


def decode_pairs(encoded: np.ndarray, n: int) -> np.ndarray:
    """Encoded pairs back to rows ``(i, j)``, shape ``(m, 2)``."""
    if not encoded.size:
        return _EMPTY_PAIRS
    return np.stack((encoded // n, encoded % n), axis=1)
