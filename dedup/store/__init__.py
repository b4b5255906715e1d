"""Where an index keeps what it knows: the store protocol, and its backends.

The incremental engine (:class:`dedup.index.Index`) decides everything: what to clean, which
lines are a site's template, what is a candidate, what is verified, which star cluster a document
joins. A store only keeps and finds, through the verbs of :class:`Store`; any backend that
implements them (SQLite for one writer, PostgreSQL for many) runs the same engine.

What a store holds, per document: its number (given by the store, increasing), id, content
digest, cleaned record and body (compressed: :func:`pack_text`), site line keys, shingle count, sample rank and
cluster label (a shingle set and its figures are made again from the body when a verdict needs
them: a body compresses to less than half the bytes of its shingle set); the LSH buckets (band key to document numbers); verified edges between
documents; site statistics (documents per site, counts per site line key, counts per site and
credited name); the corpus's common shingles with the version they were learned at; the
configuration and the schema version.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from dedup.config import Config


@dataclass(frozen=True)
class StoredDocument:
    """One document as a store keeps it (``number`` is the store's, -1 before it is added;
    ``size`` is the number of shingles of its body, ``body`` is empty when not asked for)."""

    id: str
    site: str
    digest: bytes
    record: str
    body: str
    line_keys: np.ndarray
    rank: int
    size: int
    number: int = -1


def pack_text(text: str) -> bytes:
    """A text as a store keeps it, compressed: Chinese news text to about 40% of its UTF-8 bytes.

    Encoded in GB18030 (a Unicode encoding that takes two bytes for a common Chinese character
    where UTF-8 takes three; compressed, 15% smaller than UTF-8 on real news) when it gives the
    text back unchanged, else UTF-8; one leading byte says which.

    >>> [unpack_text(pack_text(t)) == t for t in ("新华社北京电", "naïve café", chr(0xD800) + " a lone surrogate", "")]
    [True, True, True, True]
    """
    try:
        data = text.encode("gb18030")
        if data.decode("gb18030") == text:
            return b"g" + zlib.compress(data, 6)
    except UnicodeError:
        pass
    return b"u" + zlib.compress(text.encode("utf-8", "surrogatepass"), 6)


DOCUMENT_COLUMNS = "n, id, site, digest, record, {body}, line_keys, rank, size"
"""The columns of the ``docs`` table a :class:`StoredDocument` is read from, in the order
:func:`stored_document` takes them (``{body}``: the body column, or an empty value)."""


def stored_document(row: tuple[Any, ...]) -> StoredDocument:
    """A row of :data:`DOCUMENT_COLUMNS` (as either backend returns it) as a :class:`StoredDocument`."""
    n, doc_id, site, digest, record, body, line_keys, rank, size = row
    return StoredDocument(str(doc_id), str(site), bytes(digest), unpack_text(bytes(record)), unpack_text(bytes(body)),
                          np.frombuffer(line_keys, dtype=np.uint64), int(rank), int(size), int(n))


def unpack_text(data: bytes) -> str:
    if not data:
        return ""
    raw = zlib.decompress(data[1:])
    return raw.decode("gb18030") if data[:1] == b"g" else raw.decode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Edge:
    """A verified pair of stored documents ``a < b``."""

    a: int
    b: int
    inter: int
    jaccard: float
    containment: float


@dataclass(frozen=True)
class Link:
    """A stored document ``number`` verified against an incoming one, and the pair's figures."""

    number: int
    inter: int
    jaccard: float
    containment: float


@dataclass(frozen=True)
class SiteDelta:
    """What one document adds to (``sign`` +1) or takes from (-1) its site's statistics."""

    site: str
    line_keys: tuple[int, ...]
    names: tuple[str, ...]
    sign: int


@dataclass(frozen=True)
class PackedDocument:
    """A document row ready for :meth:`Store.load`: texts already packed (:func:`pack_text`),
    its number and cluster label given by the loader."""

    number: int
    id: str
    site: str
    digest: bytes
    record: bytes
    body: bytes
    line_keys: bytes
    size: int
    rank: int
    label: int


@dataclass(frozen=True)
class SiteCounts:
    """Site statistics of many documents at once, for :meth:`Store.load`: documents per site,
    documents per site line key (``keys`` and ``counts``, arrays of equal length) and per site
    and credited name."""

    docs: dict[str, int]
    keys: np.ndarray
    counts: np.ndarray
    sources: dict[tuple[str, str], int]


@dataclass(frozen=True)
class CommonSet:
    """The common shingles and the number of stored documents when they were learned (their version)."""

    hashes: np.ndarray
    version: int


class Store(Protocol):
    """The verbs the incremental engine needs from a backend."""

    readonly: bool
    location: str
    shared: bool
    """Whether other processes may write at the same moment (then the engine looks again after each commit)."""

    # configuration
    def stored_config(self) -> Config | None: ...
    def save_config(self, config: Config) -> None: ...

    # writing: every change happens inside a transaction
    def transaction(self) -> AbstractContextManager[None]: ...
    def add(self, doc: StoredDocument, band_keys: Iterable[int], links: Iterable[Link], delta: SiteDelta) -> int: ...
    def link(self, number: int, links: Iterable[Link]) -> None: ...
    def remove(self, number: int, delta: SiteDelta) -> None: ...
    def save_common(self, common: CommonSet) -> None: ...
    def set_labels(self, labels: Iterable[tuple[int, int]]) -> None: ...
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
    def common(self) -> CommonSet | None: ...

    # site statistics
    def site_docs(self, site: str) -> int: ...
    def line_counts(self, keys: list[int]) -> dict[int, int]: ...
    def top_source(self, site: str) -> tuple[str, int] | None: ...

    # figures
    def stats(self) -> dict[str, int]: ...
    def close(self) -> None: ...


def open_store(location: str, readonly: bool = False, timeout: float = 30.0) -> Store:
    """The store at ``location``: ``postgresql://user@host:port/db`` opens a PostgreSQL database
    (many writers at once), a path (or ``sqlite:///path``) a SQLite file (one writer at a time)."""
    from dedup.store.postgres import PostgresStore, is_postgres_url
    from dedup.store.sqlite import SQLiteStore

    if is_postgres_url(location):
        return PostgresStore(location, readonly=readonly, timeout=timeout)

    path = location[len("sqlite:///"):] if location.startswith("sqlite:///") else location
    return SQLiteStore(path, readonly=readonly, timeout=timeout)


__all__ = ["CommonSet", "DOCUMENT_COLUMNS", "Edge", "Link", "PackedDocument", "SiteCounts", "SiteDelta", "Store",
           "StoredDocument", "open_store", "pack_text", "stored_document", "unpack_text"]
