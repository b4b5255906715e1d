"""What a store keeps and hands back: stored documents, edges, site statistics, packed text.

These are the types every backend reads and writes; :mod:`dedup.store.base` says what a backend
does with them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup.sites import SiteCounts, most_credited


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
class CommonSet:
    """The common shingles and the number of stored documents when they were learned (their version)."""

    hashes: np.ndarray
    version: int


__all__ = ["CommonSet", "DOCUMENT_COLUMNS", "Edge", "Link", "PackedDocument", "SiteCounts", "StoredDocument",
           "most_credited", "pack_text", "stored_document", "unpack_text"]
