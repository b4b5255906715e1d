"""Which files dedup reads, and how: one :class:`InputFormat` per kind of file, asked by suffix.

A format says which file names it takes, whether its records can be read as a stream in parts
(JSON Lines: the local engine's workers each read about a mebibyte of the file), and how a whole
file's bytes become documents. Every engine asks this registry: ``walk`` lists the files it
knows, ``read_file`` and ``read_data`` read one. Adding a format is one entry in :data:`FORMATS`.

>>> format_of("news/2024/a.jsonl.gz").name, format_of("a.HTML").name, format_of("a.csv") is None
('jsonl', 'page', True)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dedup.document import Document
from dedup.errors import InputError
from dedup.io.readers import (
    read_bytes,
    read_json_records,
    read_page,
    record_document,
    streamed_records,
    whole_file_records,
)

log = logging.getLogger("dedup")

READER_FIELDS = ("id", "url", "site", "title", "text", "published_at")
"""The Parquet columns a document is read from (the JSON Lines reader's fields); others are ignored."""


def read_parquet(data: bytes, relpath: str) -> Iterator[Document | InputError]:
    """The rows of a Parquet file as documents, through the JSON reader's rule for a record
    (:func:`~dedup.io.readers.record_document`); rows in the order of their ids (then of their
    content), as the Spark engine numbers them, so the way a dataset was cut into row groups
    changes nothing. Needs pyarrow (``pip install "dedup[parquet]"``)."""
    try:
        import pyarrow.parquet as parquet  # an optional extra: the import is deferred to its first use
    except ImportError:
        yield InputError(relpath, 'reading Parquet needs pyarrow: pip install "dedup[parquet]"', kind="unsupported")
        return
    try:
        table = parquet.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises its own errors for a damaged file
        yield InputError(relpath, f"not a readable Parquet file: {exc}", kind="malformed")
        return
    columns = [name for name in READER_FIELDS if name in table.column_names]
    rows = [{name: value for name, value in row.items() if value is not None}
            for row in table.select(columns).to_pylist()]
    keyed = sorted(((str(row.get("id")), hashlib.sha1(repr(sorted(row.items())).encode("utf-8", "surrogatepass"))
                     .hexdigest()), position) for position, row in enumerate(rows))
    for _, position in keyed:
        row = rows[position]
        try:
            yield record_document(row, relpath, None)
        except InputError as exc:
            exc.doc_id = str(row.get("id"))
            yield exc


@dataclass(frozen=True)
class InputFormat:
    """A kind of input file: its suffixes (lower case), whether its records stream by line, and
    the reader of a whole file's bytes."""

    name: str
    suffixes: tuple[str, ...]
    streams: bool
    read: Callable[[bytes, str], Iterator[Document | InputError]]


def _one_page(data: bytes, relpath: str) -> Iterator[Document | InputError]:
    yield read_page(data, relpath)


FORMATS: tuple[InputFormat, ...] = (
    InputFormat("page", (".txt", ".html", ".htm"), streams=False, read=_one_page),
    InputFormat("jsonl", (".jsonl", ".jsonl.gz"), streams=True, read=read_json_records),
    InputFormat("json", (".json",), streams=False, read=read_json_records),
    InputFormat("parquet", (".parquet",), streams=False, read=read_parquet),
)
"""Every format dedup reads, asked in order by suffix."""

SUPPORTED_SUFFIXES = tuple(suffix for fmt in FORMATS for suffix in fmt.suffixes)


def format_of(relpath: str) -> InputFormat | None:
    """The format a file name says its content is in, or None."""
    lower = relpath.lower()
    return next((fmt for fmt in FORMATS if lower.endswith(fmt.suffixes)), None)


def supported(path: str) -> bool:
    return format_of(path) is not None


def streams(path: Path | bytes, relpath: str) -> bool:
    """Whether a file's records are read as a stream of lines (JSON Lines that is not UTF-16/32)."""
    fmt = format_of(relpath)
    return fmt is not None and fmt.streams and not whole_file_records(path, relpath)


@dataclass
class Walk:
    """Files found under the corpus roots, and what the walk itself could not use."""

    files: list[tuple[Path, str]]
    """(absolute path, id prefix relative to its root)"""
    unsupported: int
    errors: list[InputError]

    def total_bytes(self) -> int:
        """The summed size of the files found (those that vanished since count nothing)."""
        total = 0
        for path, _ in self.files:
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total


def walk(roots: Iterable[str | os.PathLike[str]], suffixes: tuple[str, ...] | None = None) -> Walk:
    """List files under each root whose names end in ``suffixes``, sorted (a directory's files,
    then its subdirectories), following no symlinked directory twice."""
    suffixes = suffixes or SUPPORTED_SUFFIXES
    files: list[tuple[Path, str]] = []
    unsupported = 0
    errors: list[InputError] = []
    for root_arg in roots:
        root = Path(root_arg)
        if root.is_file():
            if root.name.lower().endswith(suffixes):
                files.append((root, root.name))
            else:
                unsupported += 1
            continue
        if not root.is_dir():
            errors.append(InputError(str(root), "no such directory", kind="unreadable"))
            continue
        seen_dirs: set[tuple[int, int]] = set()

        def onerror(exc: OSError, root: Path = root) -> None:
            errors.append(InputError(str(exc.filename or root), f"cannot list: {exc.strerror}", kind="unreadable"))

        for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=True):
            try:
                st = os.stat(dirpath)
            except OSError as exc:
                errors.append(InputError(dirpath, f"cannot stat: {exc.strerror}", kind="unreadable"))
                dirnames[:] = []
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                errors.append(InputError(dirpath, "directory visited twice (symlink loop)", kind="unreadable"))
                dirnames[:] = []
                continue
            seen_dirs.add(key)
            dirnames.sort()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                rel = full.relative_to(root).as_posix()
                if name.lower().endswith(suffixes):
                    files.append((full, rel))
                else:
                    unsupported += 1
    return Walk(files=files, unsupported=unsupported, errors=errors)


def read_file(path: Path, relpath: str, max_bytes: int = 64 * 1024 * 1024) -> Iterator[Document | InputError]:
    """Every document in one file, and an error for every part that could not be read.

    Files larger than ``max_bytes`` are rejected, but for a format that streams (JSON Lines):
    then the limit applies to each record.
    """
    if streams(path, relpath):
        yield from streamed_records(path, relpath, max_bytes)
        return
    try:
        data = read_bytes(path, relpath, max_bytes)
    except InputError as exc:
        yield exc
        return
    yield from _whole_file(data, relpath)


def read_data(data: bytes, relpath: str, max_bytes: int = 64 * 1024 * 1024) -> Iterator[Document | InputError]:
    """:func:`read_file` for a file already in memory (as Spark's ``binaryFiles`` hands it over).

    >>> [doc.id for doc in read_data(b'{"id": "a", "text": "x"}\\n{"id": "b", "text": "y"}\\n', "f.jsonl")]
    ['a', 'b']
    """
    if streams(data, relpath):
        yield from streamed_records(io.BytesIO(data), relpath, max_bytes)
        return
    if len(data) > max_bytes:
        yield InputError(relpath, f"too large: {len(data)} bytes > limit {max_bytes} (see --max-file-bytes)",
                         kind="too_large")
        return
    yield from _whole_file(data, relpath)


def _whole_file(data: bytes, relpath: str) -> Iterator[Document | InputError]:
    fmt = format_of(relpath)
    try:
        # bytes handed over under a name no format claims are read as a page, as they always were
        yield from (fmt.read if fmt is not None else _one_page)(data, relpath)
    except InputError as exc:
        yield exc
    except Exception as exc:  # a reader bug must not end the run: the file is reported
        log.exception("reading failed for %s", relpath)
        yield InputError(relpath, f"could not be read: {exc!r}", kind="internal")


__all__ = ["FORMATS", "READER_FIELDS", "InputFormat", "SUPPORTED_SUFFIXES", "Walk", "format_of", "read_data", "read_file",
           "read_parquet", "streams", "supported", "walk"]
