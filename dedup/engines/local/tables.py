"""What the local engine's coordinator keeps of the documents read: compact columns, the
sites, line keys with their owners, band key chunks and rejects; and what a scan returns."""

from __future__ import annotations

import shutil
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dedup.document import CleanDocument, Document
from dedup.engines.local.worker import PER_DOC, Sketched, UnitOut
from dedup.engines.scratch import Scratch
from dedup.engines.spool import SpoolReader
from dedup.errors import InputError
from dedup.sites import SiteCounts
from dedup.stages.common_shingles import (
    CommonShingles,
)
from dedup.stages.prepare import (
    duplicate_id,
)
from dedup.stages.result import ScanResult, lone_cluster_maker
from dedup.stages.templates import (
    SiteProfiles,
)
from dedup.text.outlets import OutletTable

# --- coordinator side ------------------------------------------------------------------------

class Columns:
    """Per-document facts the coordinator keeps, as compact typed arrays."""

    def __init__(self) -> None:
        self.site = array("i")
        self.body_file, self.body_off, self.body_len = array("i"), array("q"), array("i")
        self.entry_file, self.entry_off, self.entry_len = array("i"), array("q"), array("i")
        self.sketch_file, self.sketch_off = array("i"), array("q")
        self.n_shingles, self.n_numbers = array("i"), array("i")
        self.rank = array("q")

    def extend(self, file: int, numbers: np.ndarray) -> None:
        """Append documents from rows of a unit's numbers (see :class:`UnitOut`) in scratch file ``file``."""
        count = len(numbers)
        for column, values in ((self.body_off, numbers[:, 0]), (self.body_len, numbers[:, 1]),
                               (self.entry_off, numbers[:, 2]), (self.entry_len, numbers[:, 3]),
                               (self.sketch_off, numbers[:, 4]), (self.n_shingles, numbers[:, 5]),
                               (self.n_numbers, numbers[:, 6]), (self.rank, numbers[:, 7])):
            column.extend(values.tolist())
        for column in (self.body_file, self.entry_file, self.sketch_file):
            column.extend([file] * count)

    def set_sketch(self, index: int, file: int, sketched: Sketched) -> None:
        self.sketch_file[index] = file
        self.sketch_off[index] = sketched.where[0]
        self.n_shingles[index] = sketched.n_shingles
        self.n_numbers[index] = sketched.n_numbers


@dataclass
class IndexTables:
    """What building an index from a scan needs beyond its result, per document by scan index
    (``scan_corpus(..., for_index=True)``; read them before the scan is closed)."""

    digests: np.ndarray
    """``(n, 16)`` bytes: each document's :meth:`~dedup.document.Document.digest`"""
    line_keys: np.ndarray
    """every document's distinct site line keys, document after document"""
    line_owners: np.ndarray
    """the document of each of ``line_keys`` (increasing)"""
    redone: np.ndarray
    """the documents whose site template lines were cut (their stored body is cut too)"""
    valid: np.ndarray
    """False for the documents site templates left too short (rejected)"""
    ranks: np.ndarray
    shingle_counts: np.ndarray
    """the size of each document's shingle set as compared (after its template lines were cut)"""
    common: CommonShingles
    keys_path: Path | None
    """the band keys, ``(config.total_keys, n)`` uint64 in this file (None below two documents)"""
    columns: Columns
    files: list[str]
    site_counts: SiteCounts
    """the site statistics of every document read (those rejected after templates included)"""

    def texts(self, index: int) -> tuple[str, int, int, str, int, int]:
        """Where document ``index``'s cleaned body and its record (``CleanDocument.to_record``)
        lie in the scratch files: ``(file, offset, length)`` for each."""
        c = self.columns
        return (self.files[c.body_file[index]], c.body_off[index], c.body_len[index],
                self.files[c.entry_file[index]], c.entry_off[index], c.entry_len[index])

    def band_keys(self) -> np.ndarray:
        """The band key table, mapped from its scratch file (``(config.total_keys, n)``)."""
        if self.keys_path is None:
            raise ValueError("a scan of fewer than two documents keeps no band key table")
        return np.memmap(self.keys_path, dtype=np.uint64, mode="r").reshape(-1, len(self.valid))


@dataclass
class CorpusScan:
    """The outcome of :func:`scan_corpus`; close it (or use ``with``) to delete the scratch files.

    ``result.docs`` and ``result.shingles`` are read from the scratch files on demand, so write
    the output before closing.
    """

    result: ScanResult
    rejects: list[InputError]
    files: int
    unsupported: int
    documents: int
    duplicate_ids: int
    seconds: dict[str, float]
    scratch: Path
    reader: SpoolReader
    sizes: np.ndarray
    """every document's evidence size (its full shingle count where it was never read)"""
    outlets: OutletTable
    whole: dict[str, CleanDocument] = field(default_factory=dict)
    """the documents asked for whole (``keep``), as compared: template lines out, own name marked"""
    body_of: Callable[[int], str] | None = None
    tables: IndexTables | None = None
    """what an index built from the scan needs (only with ``for_index``)"""

    def body(self, index: int) -> str:
        """Document ``index``'s cleaned body (before its site's template lines were cut)."""
        doc = self.result.docs[index]
        if doc.body or self.body_of is None:
            return doc.body
        return self.body_of(index)

    def in_memory(self) -> ScanResult:
        """The result with every document and shingle set read into memory, so that it outlives
        the scratch files (documents asked for whole come whole)."""
        result = self.result
        docs = list(result.docs)
        return replace(result, docs=docs, shingles=list(result.shingles),
                       lone_cluster=lone_cluster_maker(docs.__getitem__, self.sizes, self.outlets))

    owner: Scratch | None = None
    """the scratch folder's owner: removes it on :meth:`close`, or when this outcome is collected"""

    def close(self) -> None:
        """Close the scratch files and remove their folder (also done when the outcome is collected)."""
        if self.owner is not None:
            self.owner.remove()
            return
        self.reader.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> CorpusScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def duplicate(doc_id: str, doc: Document | None = None) -> InputError:
    return duplicate_id(doc_id, doc.where() if doc is not None else None)


class Collected:
    """What the coordinator keeps of the documents read (stage 1): compact columns, site numbers
    and statistics, band keys by unit, site line keys with their owners, rejects."""

    def __init__(self, rejects: Rejects, reader: SpoolReader, for_index: bool = False) -> None:
        self.rejects = rejects
        self.reader = reader
        self.for_index = for_index
        self.files: list[str] = []
        self._file_number: dict[str, int] = {}
        self.columns = Columns()
        self.sites: list[str] = []
        self._site_number: dict[str, int] = {}
        self.profiles = SiteProfiles()
        """filled from :attr:`site_counts` once every document is read"""
        self.sources: Counter[tuple[str, str]] = Counter()
        self.site_counts = SiteCounts()
        self._seen: set[str] = set()
        self.duplicate_ids = 0
        self.key_chunks: list[np.ndarray] = []
        self.line_keys: list[np.ndarray] = []
        self.line_owners: list[np.ndarray] = []
        self.whole: dict[str, CleanDocument] = {}
        self.digests: list[np.ndarray] = []
        self.all_lines = (np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
        """every document's site line keys and the document of each (kept for an index)"""
        self.redone = np.zeros(0, dtype=np.int64)
        """the documents whose site template lines were cut"""

    def __len__(self) -> int:
        return len(self.columns.site)

    def file(self, path: str) -> int:
        """The number of a scratch file (numbered as first seen)."""
        if path not in self._file_number:
            self._file_number[path] = len(self.files)
            self.files.append(path)
        return self._file_number[path]

    def take(self, outcome: UnitOut) -> None:
        """Keep one unit's documents (a second document with an id already seen is a reject)."""
        file = self.file(outcome.spool)
        self.rejects.extend(outcome.rejects)
        for doc in outcome.whole:
            self.whole.setdefault(doc.id, doc)
        numbers = np.frombuffer(outcome.numbers, dtype=np.int64).reshape(-1, PER_DOC) if len(outcome.ids) \
            else np.zeros((0, PER_DOC), dtype=np.int64)
        accepted = np.ones(len(outcome.ids), dtype=bool)
        index_of = np.full(len(outcome.ids), -1, dtype=np.int64)
        for row, (doc_id, site, names) in enumerate(zip(outcome.ids, outcome.sites, outcome.names, strict=True)):
            if doc_id in self._seen:
                self.duplicate_ids += 1
                accepted[row] = False
                # its record says which file and line it came from
                entry = self.reader.read(outcome.spool, int(numbers[row, 2]), int(numbers[row, 3]))
                self.rejects.append(duplicate(doc_id, CleanDocument.from_record(entry).doc))
                continue
            self._seen.add(doc_id)
            index_of[row] = len(self)
            if site not in self._site_number:
                self._site_number[site] = len(self.sites)
                self.sites.append(site)
            self.columns.site.append(self._site_number[site])
            self.sources.update((site, name) for name in names)
        kept_keys = [keys for keys, ok in zip(outcome.line_keys, accepted.tolist(), strict=True) if ok]
        if kept_keys:
            counts = np.fromiter((len(keys) for keys in kept_keys), dtype=np.int64, count=len(kept_keys))
            if counts.sum():
                self.line_keys.append(np.concatenate(kept_keys))
                self.line_owners.append(np.repeat(index_of[accepted], counts))
        self.columns.extend(file, numbers[accepted])
        self.key_chunks.append(outcome.band_keys[accepted])
        if outcome.digests:
            self.digests.append(np.frombuffer(bytes(outcome.digests), dtype=np.uint8).reshape(-1, 16)[accepted])

    def done_reading(self) -> None:
        self._seen.clear()


class Rejects(list[InputError]):
    """The rejected inputs; in strict mode the first real one is raised."""

    def __init__(self, strict: bool) -> None:
        super().__init__()
        self.strict = strict

    def append(self, error: InputError) -> None:
        if self.strict:
            raise error
        super().append(error)

    def extend(self, errors: Iterable[InputError]) -> None:
        for error in errors:
            self.append(error)
