"""Site statistics as one mergeable summary: documents per site, documents per site line key and
per credited name, in columns.

Every engine counts its sites with this type and nothing else. The local engine makes one summary
of the whole corpus; Spark makes one per site and partition and merges them as a reduction; the
bulk load hands the stored documents' summary to the store; the index hands each added (+1) or
removed (-1) document's summary to the store's counters. :meth:`SiteCounts.merge` is associative
and commutative, so the parts may be summed in any grouping.

>>> a = SiteCounts.of(["x.cn"], [np.array([7, 9], np.uint64)], [["某网"]])
>>> b = SiteCounts.of(["x.cn", "y.cn"], [np.array([9], np.uint64), np.array([3], np.uint64)], [[], ["乙报"]])
>>> both = a.merge(b)
>>> both.docs_by_site(), both.keys.tolist(), both.counts.tolist(), both.sources
({'x.cn': 2, 'y.cn': 1}, [3, 7, 9], [1, 1, 2], {('x.cn', '某网'): 1, ('y.cn', '乙报'): 1})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

_NO_KEYS = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True)
class SiteCounts:
    """``sites`` (names, sorted) with ``docs`` (documents of each); ``keys`` (distinct site line
    keys, sorted) with ``counts`` (how many times documents carry each) and ``key_sites`` (the
    site each belongs to, as a position in ``sites``: a line key is made from its site); and
    ``sources``, documents per (site, name credited as 来源). Counts may be negative in a delta
    that takes documents away."""

    sites: tuple[str, ...] = ()
    docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    keys: np.ndarray = field(default_factory=lambda: _NO_KEYS)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    key_sites: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    sources: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, sites: Sequence[str], line_keys: Sequence[np.ndarray], names: Sequence[Iterable[str]],
           sign: int = 1) -> SiteCounts:
        """The summary of some documents, each given by its site, line keys and credited names
        (``sign`` -1: a delta that takes them away)."""
        names_of = sorted(set(sites))
        index = {site: k for k, site in enumerate(names_of)}
        doc_site = np.array([index[site] for site in sites], dtype=np.int32)
        sizes = np.fromiter((len(keys) for keys in line_keys), dtype=np.int64, count=len(line_keys))
        keys = np.concatenate([np.asarray(k, dtype=np.uint64) for k in line_keys]) if len(line_keys) else _NO_KEYS
        sources: dict[tuple[str, str], int] = {}
        for site, given in zip(sites, names, strict=True):
            for name in given:
                sources[site, name] = sources.get((site, name), 0) + sign
        return cls.of_columns(tuple(names_of), doc_site, keys, np.repeat(doc_site, sizes), sources, sign)

    @classmethod
    def of_columns(cls, sites: tuple[str, ...], doc_site: np.ndarray, keys: np.ndarray, key_site: np.ndarray,
                   sources: Mapping[tuple[str, str], int], sign: int = 1) -> SiteCounts:
        """The summary from columns: each document's site (positions in ``sites``), and each line
        key carried with its document's site."""
        docs = np.bincount(doc_site, minlength=len(sites)).astype(np.int64) * sign
        distinct, first, counts = np.unique(np.asarray(keys, dtype=np.uint64), return_index=True, return_counts=True)
        return cls(tuple(sites), docs, distinct, counts.astype(np.int64) * sign,
                   np.asarray(key_site, dtype=np.int32)[first], dict(sources))

    def merge(self, other: SiteCounts) -> SiteCounts:
        """The summary of both, as a new one (vectorised over the keys)."""
        sites = tuple(sorted(set(self.sites) | set(other.sites)))
        index = {site: k for k, site in enumerate(sites)}
        mine = np.array([index[s] for s in self.sites], dtype=np.int32)
        theirs = np.array([index[s] for s in other.sites], dtype=np.int32)
        docs = np.zeros(len(sites), dtype=np.int64)
        np.add.at(docs, mine, self.docs)
        np.add.at(docs, theirs, other.docs)
        keys = np.concatenate([self.keys, other.keys])
        distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        counts = np.zeros(len(distinct), dtype=np.int64)
        np.add.at(counts, inverse, np.concatenate([self.counts, other.counts]))
        key_sites = np.concatenate([mine[self.key_sites], theirs[other.key_sites]])[first] if len(keys) \
            else np.zeros(0, dtype=np.int32)
        sources = dict(self.sources)
        for pair, count in other.sources.items():
            sources[pair] = sources.get(pair, 0) + count
        return SiteCounts(sites, docs, distinct, counts, key_sites, sources)

    def positive(self) -> SiteCounts:
        """What is left once documents were taken away: sites, keys and names with a count above 0."""
        keep_sites = self.docs > 0
        keep_keys = self.counts > 0
        remap = np.cumsum(keep_sites) - 1
        return SiteCounts(tuple(s for s, ok in zip(self.sites, keep_sites.tolist(), strict=True) if ok),
                          self.docs[keep_sites], self.keys[keep_keys], self.counts[keep_keys],
                          remap[self.key_sites[keep_keys]].astype(np.int32) if keep_keys.any()
                          else np.zeros(0, dtype=np.int32),
                          {pair: count for pair, count in self.sources.items() if count > 0})

    def docs_by_site(self) -> dict[str, int]:
        return dict(zip(self.sites, self.docs.tolist(), strict=True))

    def names_of(self, site: str) -> dict[str, int]:
        """How many of the site's documents credit each name."""
        return {name: count for (where, name), count in self.sources.items() if where == site}

    def frequent(self, min_count: int) -> dict[int, int]:
        """The keys carried at least ``min_count`` times, with their counts."""
        often = self.counts >= min_count
        return dict(zip(self.keys[often].tolist(), self.counts[often].tolist(), strict=True))


def most_credited(counts: Mapping[str, int]) -> tuple[str, int] | None:
    """The name a site's pages credit most often and how many do; a tie goes to the first name in
    sort order, never to whichever was counted first (that would depend on the order of documents).

    >>> most_credited({"乙网": 3, "甲网": 3, "丙网": 1})
    ('乙网', 3)
    >>> most_credited({}) is None
    True
    """
    if not counts:
        return None
    return min(counts.items(), key=lambda item: (-item[1], item[0]))


__all__ = ["SiteCounts", "most_credited"]
