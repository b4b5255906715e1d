"""Where an index keeps what it knows: the store protocol, and its backends.

The incremental engine (:class:`dedup.engines.incremental.index.Index`) decides everything: what to clean, which
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

from dedup.store import postgres, sqlite
from dedup.store.base import Backend, Store, StoreBase
from dedup.store.records import (
    DOCUMENT_COLUMNS,
    CommonSet,
    Edge,
    Link,
    PackedDocument,
    SiteCounts,
    StoredDocument,
    pack_text,
    stored_document,
    unpack_text,
)

BACKENDS: tuple[Backend, ...] = (postgres.BACKEND, sqlite.BACKEND)
"""The kinds of store, asked in order: the first that claims a location opens it."""


def backend_for(location: str) -> Backend:
    """The backend that claims ``location``.

    >>> backend_for("postgresql://u@h:5432/db").name, backend_for("news.db").name
    ('postgres', 'sqlite')
    """
    return next(backend for backend in BACKENDS if backend.claims(location))


def open_store(location: str, readonly: bool = False, timeout: float = 30.0) -> Store:
    """The store at ``location``: ``postgresql://user@host:port/db`` opens a PostgreSQL database
    (many writers at once), a path (or ``sqlite:///path``) a SQLite file (one writer at a time)."""
    return backend_for(location).open(location, readonly, timeout)


def store_exists(location: str) -> bool:
    """Whether there is an index to read at ``location`` (a database is asked when it is opened)."""
    return backend_for(location).exists(location)


__all__ = ["BACKENDS", "Backend", "CommonSet", "DOCUMENT_COLUMNS", "Edge", "Link", "PackedDocument", "SiteCounts",
           "Store", "StoreBase", "StoredDocument", "backend_for", "open_store", "pack_text",
           "store_exists", "stored_document", "unpack_text"]
