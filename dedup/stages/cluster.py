"""Group verified pairs into stories without chaining unrelated stories together.

Input is plain arrays: the shingle-set size of every document and the verified edges with their
intersection sizes. Output is a cluster label per document. Two safeguards keep one page from
gluing two stories together:

* digest pages (a page that contains two or more unrelated documents whole) keep only the edges
  to a story that makes up at least ``digest_share`` of the page;
* clusters are stars: every member is verified directly against the cluster's centre, except a
  document that lies almost whole inside members of one cluster only (a partial copy whose edge
  to the centre LSH missed); a larger page never joins through a member it contains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Edges:
    """Verified pairs: ``left[k]`` and ``right[k]`` share ``inter[k]`` shingles."""

    left: np.ndarray
    right: np.ndarray
    inter: np.ndarray

    def __len__(self) -> int:
        return len(self.left)


def neighbours_of(edges: Edges) -> dict[int, dict[int, int]]:
    """Neighbours and shared shingles of every document that has an edge (the rest are alone)."""
    adjacency: dict[int, dict[int, int]] = {}
    for i, j, inter in zip(edges.left.tolist(), edges.right.tolist(), edges.inter.tolist(), strict=True):
        adjacency.setdefault(i, {})[j] = inter
        adjacency.setdefault(j, {})[i] = inter
    return adjacency


INSIDE = 0.8
"""Share of a document's shingles another must hold for the document to count as inside it."""


def is_inside(shared: int, size: int) -> bool:
    """A document of ``size`` shingles lies inside another that holds ``shared`` of them.

    >>> is_inside(80, 100), is_inside(79, 100)
    (True, False)
    """
    return shared >= INSIDE * size


def same_headline(a: str | None, b: str | None, share: float = 0.5) -> bool:
    """Two headlines are one story's when they share ``share`` of their character pairs (spaces and
    punctuation ignored); an empty headline matches nothing.

    >>> same_headline("央行宣布降准0.5个百分点", "央行：降准0.5个百分点 释放资金1万亿"), same_headline("央行降准", "油价上调")
    (True, False)
    """
    def pairs(text: str | None) -> set[str]:
        kept = "".join(ch for ch in (text or "").lower() if ch.isalnum())
        return {kept[i : i + 2] for i in range(len(kept) - 1)}

    left, right = pairs(a), pairs(b)
    if not left or not right:
        return False
    return len(left & right) >= share * min(len(left), len(right))


def find_digests(sizes: np.ndarray, adjacency: dict[int, dict[int, int]] | list[dict[int, int]],
                 inside: float = INSIDE,
                 related: Callable[[int, int, int], bool] | None = None) -> dict[int, list[int]]:
    """Pages made of two or more documents of different stories: compilations, digests.

    A document is an item of a larger page when the page holds ``inside`` of its shingles. Two
    items with an edge are one story; without one, ``related(a, b, held)`` judges them, ``held``
    being the smaller of the two parts the page holds (without it, items with no edge are of
    different stories). Two partial copies of one story can hold disjoint halves of it: what
    tells them from two stories is what a reader sees, one headline, or text they share.

    Returns ``{page: [its items]}``.

    >>> sizes = np.array([300, 100, 100])
    >>> adjacency = {0: {1: 100, 2: 100}, 1: {0: 100}, 2: {0: 100}}
    >>> find_digests(sizes, adjacency), find_digests(sizes, adjacency, related=lambda a, b, held: True)
    ({0: [1, 2]}, {})
    """
    items = adjacency.items() if isinstance(adjacency, dict) else enumerate(adjacency)
    digests: dict[int, list[int]] = {}
    for page, neighbours in items:
        contained = [
            other for other, inter in neighbours.items()
            if sizes[other] < sizes[page] and inter >= inside * sizes[other]
        ]
        if len(contained) < 2:
            continue
        for a_pos, a in enumerate(contained):
            if any(b not in adjacency[a]
                   and (related is None or not related(a, b, min(neighbours[a], neighbours[b])))
                   for b in contained[a_pos + 1 :]):
                digests[page] = contained
                break
    return digests


def cluster(sizes: np.ndarray, edges: Edges, digest_share: float = 0.5,
            related: Callable[[int, int, int], bool] | None = None, inside: float = INSIDE,
            digests: dict[int, list[int]] | None = None) -> np.ndarray:
    """A cluster label per document (labels are 0..k-1; a lone document gets its own label).

    Digest pages (``digests``, else :func:`find_digests` with ``inside`` and ``related``) keep
    only their edges to a document that makes up ``digest_share`` of them.

    Documents with edges are labelled first, centres in order of how strongly they are connected
    (the sum of their edges' Jaccard similarities, so that full copies, not the partial copies
    that every full copy contains, become centres); lone documents then get the following labels
    in index order.

    >>> sizes = np.array([100, 100, 50, 100])
    >>> e = Edges(np.array([0, 0]), np.array([1, 2]), np.array([90, 50]))
    >>> cluster(sizes, e).tolist()
    [0, 0, 0, 1]
    """
    n = len(sizes)
    adjacency = neighbours_of(edges)
    if digests is None:
        digests = find_digests(sizes, adjacency, inside, related)
    for page in digests:
        for other, inter in list(adjacency[page].items()):
            if inter < digest_share * sizes[page]:
                del adjacency[page][other]
                del adjacency[other][page]

    def weight(node: int) -> float:
        return sum(inter / (sizes[node] + sizes[other] - inter) for other, inter in adjacency[node].items())

    order = sorted((node for node in adjacency if adjacency[node]), key=lambda node: (-weight(node), -int(sizes[node]), node))
    labels = np.full(n, -1, dtype=np.int64)
    next_label = 0
    for centre in order:
        if labels[centre] >= 0:
            continue
        # A document left out of every star so far that lies inside members of exactly one
        # cluster is a partial copy whose edge to that cluster's centre LSH missed: it joins
        # them. Only the smaller side may join this way, so a page that merely contains a
        # member (a digest holding a story's lead) never does.
        holders = {int(labels[other]) for other, inter in adjacency[centre].items()
                   if labels[other] >= 0 and sizes[other] >= sizes[centre] and is_inside(inter, sizes[centre])}
        if len(holders) == 1:
            labels[centre] = holders.pop()
            continue
        labels[centre] = next_label
        for other in adjacency[centre]:
            if labels[other] < 0:
                labels[other] = next_label
        next_label += 1
    alone = np.flatnonzero(labels < 0)
    labels[alone] = np.arange(next_label, next_label + len(alone))
    return labels
