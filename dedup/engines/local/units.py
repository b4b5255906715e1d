"""The local engine's units of work: files (a JSON Lines file in parts of about a mebibyte, pages
in groups) or documents in memory, and the documents each holds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dedup.document import Document
from dedup.errors import InputError
from dedup.io.formats import Walk, read_file, streams
from dedup.io.readers import (
    parse_record_line,
    record_lines,
    record_parts,
    streamed_records,
)

Keep = bool | frozenset[str]
"""Which documents a scan keeps whole: all (``True``), none (``False``) or those with these ids."""


LINES_PER_UNIT = 256
RECORD_PART_BYTES = 1 << 20
"""A worker reads an uncompressed JSON Lines file this many bytes at a time (to the next line break)."""
PAGES_PER_UNIT = 32


# --- work units ------------------------------------------------------------------------------

@dataclass
class Unit:
    kind: str  # "pages" (files read by the worker), "part" (of a JSON Lines file, read by the worker),
    # "lines" (raw JSON lines, of a compressed file), "docs" (documents), "error"
    files: list[tuple[str, str]] = field(default_factory=list)
    part: tuple[int, int, int] = (0, 0, 1)
    relpath: str = ""
    lines: list[tuple[int, bytes]] = field(default_factory=list)
    docs: list[Document] = field(default_factory=list)
    size: int = 0
    error: InputError | None = None


@dataclass
class Source:
    """What a scan reads: its units of work in input order, the total of their sizes (for
    progress), and what finding them met (errors, files, files of no supported kind)."""

    units: Iterator[Unit]
    total: int
    errors: list[InputError]
    files: int = 0
    unsupported: int = 0


def walk_source(walked: Walk, max_bytes: int) -> Source:
    return Source(units(walked, max_bytes), walked.total_bytes(), list(walked.errors), len(walked.files),
                   walked.unsupported)


def document_source(docs: Iterable[Document | dict[str, Any]]) -> Source:
    def units() -> Iterator[Unit]:
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc if isinstance(doc, Document) else Document.from_dict(doc))
            if len(batch) >= LINES_PER_UNIT:
                yield Unit("docs", docs=batch, size=len(batch))
                batch = []
        if batch:
            yield Unit("docs", docs=batch, size=len(batch))

    return Source(units(), len(docs) if isinstance(docs, Sized) else 0, [])


def units(walked: Walk, max_bytes: int) -> Iterator[Unit]:
    pages: list[tuple[str, str]] = []
    pages_size = 0
    for path, rel in walked.files:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        streamed = streams(path, rel)
        if not streamed:
            pages.append((str(path), rel))
            pages_size += size
            if len(pages) >= PAGES_PER_UNIT or rel.lower().endswith(".json"):
                yield Unit("pages", files=pages, size=pages_size)
                pages, pages_size = [], 0
            continue
        if pages:  # documents keep walk order
            yield Unit("pages", files=pages, size=pages_size)
            pages, pages_size = [], 0
        if not rel.lower().endswith(".gz"):  # the workers read parts of the file themselves
            for part in record_parts(path, rel, RECORD_PART_BYTES):
                if isinstance(part, InputError):
                    yield Unit("error", error=part)
                else:
                    yield Unit("part", files=[(str(path), rel)], part=part, size=part[1] - part[0])
            continue
        batch: list[tuple[int, bytes]] = []
        batch_size = 0
        for item in record_lines(path, rel, max_bytes):
            if isinstance(item, InputError):
                yield Unit("error", error=item)
                continue
            batch.append(item)
            batch_size += len(item[1])
            if len(batch) >= LINES_PER_UNIT:
                yield Unit("lines", relpath=rel, lines=batch, size=batch_size)
                batch, batch_size = [], 0
        yield Unit("lines", relpath=rel, lines=batch, size=batch_size)
    if pages:
        yield Unit("pages", files=pages, size=pages_size)


def documents(unit: Unit, max_bytes: int) -> Iterator[Document | InputError]:
    if unit.kind == "pages":
        for path, rel in unit.files:
            yield from read_file(Path(path), rel, max_bytes)
    elif unit.kind == "docs":
        yield from unit.docs
    elif unit.kind == "part":
        (path, rel), = unit.files
        yield from streamed_records(Path(path), rel, max_bytes, unit.part)
    else:
        for number, raw in unit.lines:
            item = parse_record_line(raw, unit.relpath, number)
            if item is not None:
                yield item
