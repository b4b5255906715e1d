"""What a backend must do, and what every backend does the same way.

:class:`Store` is the protocol the incremental engine talks to. :class:`StoreBase` builds the
verbs that are not a backend's business on a few primitives: the connected component of some
documents (a breadth-first walk over :meth:`StoreBase.edges_touching`), the index's figures, and
the site's own name (the tie rule, :func:`~dedup.store.records.most_credited`). A new backend
subclasses it and writes the primitives and the rest of :class:`Store`'s verbs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dedup.config import Config
from dedup.store.records import (
    CommonSet,
    Edge,
    Link,
    PackedDocument,
    SiteCounts,
    StoredDocument,
    most_credited,
)

COMPONENT_CHUNK = 500
"""Documents asked about at once while walking a component."""


class Store(Protocol):
    """The verbs the incremental engine needs from a backend."""

    readonly: bool
    location: str
    shared: bool
    """Whether other processes may write at the same moment (then the engine looks again after each commit)."""

    def writable(self) -> bool: ...

    # configuration
    def stored_config(self) -> Config | None: ...
    def save_config(self, config: Config) -> None: ...

    # writing: every change happens inside a transaction
    def transaction(self) -> AbstractContextManager[None]: ...
    def add(self, doc: StoredDocument, band_keys: Iterable[int], links: Iterable[Link], delta: SiteCounts) -> int: ...
    def link(self, number: int, links: Iterable[Link]) -> None: ...
    def remove(self, number: int, delta: SiteCounts) -> None: ...
    def save_common(self, common: CommonSet) -> None: ...
    def set_labels(self, labels: Iterable[tuple[int, int]]) -> None: ...
    def set_origins(self, rows: Iterable[tuple[int, str | None]]) -> None: ...
    def load(self, documents: Iterable[PackedDocument], bands: Iterable[tuple[np.ndarray, np.ndarray]],
             edges: Iterable[Edge], sites: SiteCounts, common: CommonSet) -> None: ...

    # documents
    def lookup(self, doc_id: str) -> tuple[int, bytes] | None: ...
    def document(self, number: int) -> StoredDocument | None: ...
    def documents(self, numbers: list[int], texts: bool = True) -> dict[int, StoredDocument]: ...
    def bodies(self, numbers: list[int]) -> dict[int, str]: ...
    def sample(self, limit: int) -> list[StoredDocument]: ...
    def numbers(self) -> Iterator[tuple[int, str, int]]: ...
    def ids(self, numbers: list[int]) -> dict[int, str]: ...
    def count(self) -> int: ...
    def top(self) -> int: ...

    # matching
    def buckets(self, keys: list[int]) -> list[tuple[int, int]]: ...
    def edges(self, number: int | None = None, limit: int | None = None) -> list[Edge]: ...
    def component(self, seeds: Iterable[int]) -> tuple[list[int], list[tuple[int, int]]]: ...
    def origin_members(self, outlet: str) -> dict[int, list[int]]: ...
    def mark_origins_stale(self) -> None: ...
    def origins_stale(self) -> bool: ...
    def common(self) -> CommonSet | None: ...

    # site statistics
    def site_docs(self, site: str) -> int: ...
    def line_counts(self, keys: list[int]) -> dict[int, int]: ...
    def top_source(self, site: str) -> tuple[str, int] | None: ...

    # figures
    def stats(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class StoreBase:
    """The verbs every backend shares, over its primitives.

    A backend provides :meth:`edges_touching`, :meth:`source_counts`, :meth:`labels`,
    :meth:`count`, :meth:`site_total`, :meth:`edge_total` and :meth:`size_bytes`.
    """

    readonly: bool

    def writable(self) -> bool:
        """Whether this store may be written (opened for writing, with the rights to)."""
        return not self.readonly

    def edges_touching(self, numbers: list[int]) -> Iterable[tuple[int, int]]:
        """Every stored edge ``(a, b)`` with ``a`` or ``b`` among ``numbers``."""
        raise NotImplementedError

    def source_counts(self, site: str) -> dict[str, int]:
        """How many of the site's documents credit each name as 来源 (pending changes included)."""
        raise NotImplementedError

    def labels(self) -> Iterable[int]:
        """Every stored document's cluster label."""
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def site_total(self) -> int:
        """Sites with at least one stored document."""
        raise NotImplementedError

    def edge_total(self) -> int:
        raise NotImplementedError

    def size_bytes(self) -> int:
        """What the index takes on disk."""
        raise NotImplementedError

    def component(self, seeds: Iterable[int]) -> tuple[list[int], list[tuple[int, int]]]:
        """The stored documents connected to ``seeds`` through verified edges, and those edges."""
        seen = set(seeds)
        frontier = sorted(seen)
        edges: set[tuple[int, int]] = set()
        while frontier:
            chunk, frontier = frontier[:COMPONENT_CHUNK], frontier[COMPONENT_CHUNK:]
            for a, b in self.edges_touching(chunk):
                edges.add((int(a), int(b)))
                for node in (int(a), int(b)):
                    if node not in seen:
                        seen.add(node)
                        frontier.append(node)
        return sorted(seen), sorted(edges)

    def top_source(self, site: str) -> tuple[str, int] | None:
        """The name the site's documents credit most often, and how many do (ties: first by name)."""
        return most_credited(self.source_counts(site))

    def stats(self) -> dict[str, int]:
        sizes: dict[int, int] = {}
        for label in self.labels():
            sizes[int(label)] = sizes.get(int(label), 0) + 1
        return {
            "documents": self.count(),
            "sites": self.site_total(),
            "clusters_of_2_or_more": sum(1 for v in sizes.values() if v > 1),
            "documents_in_clusters": sum(v for v in sizes.values() if v > 1),
            "verified_edges": self.edge_total(),
            "bytes": self.size_bytes(),
        }


@dataclass(frozen=True)
class Backend:
    """One kind of store, as the registry (:mod:`dedup.store`) knows it: which locations it
    claims, how to open one, and whether one exists to be read."""

    name: str
    claims: Callable[[str], bool]
    open: Callable[[str, bool, float], Store]
    exists: Callable[[str], bool]
