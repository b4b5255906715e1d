"""The local engine: scan a corpus on all cores in bounded memory (``dedup scan``, ``dedup explain
DIR``, ``dedup.scan``).

Stages, each run by worker processes over small units of work, results taken in input order:

1. read and clean every document; sketch it (shingles, MinHash, band keys, figures); count its
   body lines under site-salted keys. Bodies, sketches and the cleaned records go to per-process
   scratch files; the coordinator keeps only compact columns and the band keys.
2. from the line counts, find each site's template lines; documents that carry one are cleaned of
   them and sketched again (usually a minority: pages of aggregator and portal sites).
3. LSH over the band keys, in runs of bands; verification of candidates on the exact shingle
   sets read back from scratch (both on the workers from ``MATCH_POOL_MIN_DOCS`` documents up);
   clustering and the choice of canonical copy and origin (in the coordinator).

The same engine runs with one process (everything in this one) or N (the stages above shared
among N workers), over files (:func:`scan_corpus`) or over documents given in memory
(:func:`scan_documents`, :func:`scan`); :func:`stream` is its first stage alone (``dedup extract``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.engines.pools import Progress, default_workers, ordered, start_pool
from dedup.engines.spool import Spool, SpoolReader
from dedup.errors import InputError
from dedup.io.formats import Walk, read_file, streams, walk
from dedup.io.readers import (
    parse_record_line,
    record_lines,
    record_parts,
    streamed_records,
)
from dedup.sites import SiteCounts
from dedup.stages.candidates import (
    CandidateCounts,
    DocumentSketch,
    band_pairs,
    decode_pairs,
    merge_pairs,
)
from dedup.stages.common_shingles import (
    CommonShingles,
    EvidenceReader,
    sample_positions,
)
from dedup.stages.partners import PartnerHeaps, PartnerOffers, part_partners, passage_rows_of
from dedup.stages.prepare import (
    PreparedDocument,
    clean_options,
    duplicate_id,
    prepare,
    prepare_document,
    rejected_after_cleaning,
    rejected_after_templates,
    resketch,
)
from dedup.stages.result import LazySequence, ScanResult, build_clusters, lone_cluster_maker, scan_result
from dedup.stages.sketch import shingles_of
from dedup.stages.templates import (
    SiteProfiles,
    template_lines,
)
from dedup.stages.verify import Packed, VerifiedPairs, verify_packed, warm
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")

Keep = bool | frozenset[str]
"""Which documents a scan keeps whole: all (``True``), none (``False``) or those with these ids."""


LINES_PER_UNIT = 256
RECORD_PART_BYTES = 1 << 20
"""A worker reads an uncompressed JSON Lines file this many bytes at a time (to the next line break)."""
PAGES_PER_UNIT = 32
DOCS_PER_REDO_UNIT = 128

T = TypeVar("T")
R = TypeVar("R")


# --- work units ------------------------------------------------------------------------------

@dataclass
class _Unit:
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
class _Source:
    """What a scan reads: its units of work in input order, the total of their sizes (for
    progress), and what finding them met (errors, files, files of no supported kind)."""

    units: Iterator[_Unit]
    total: int
    errors: list[InputError]
    files: int = 0
    unsupported: int = 0


def _walk_source(walked: Walk, max_bytes: int) -> _Source:
    return _Source(_units(walked, max_bytes), walked.total_bytes(), list(walked.errors), len(walked.files),
                   walked.unsupported)


def _document_source(docs: Iterable[Document | dict[str, Any]]) -> _Source:
    def units() -> Iterator[_Unit]:
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc if isinstance(doc, Document) else Document.from_dict(doc))
            if len(batch) >= LINES_PER_UNIT:
                yield _Unit("docs", docs=batch, size=len(batch))
                batch = []
        if batch:
            yield _Unit("docs", docs=batch, size=len(batch))

    return _Source(units(), len(docs) if isinstance(docs, Sized) else 0, [])


def _units(walked: Walk, max_bytes: int) -> Iterator[_Unit]:
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
                yield _Unit("pages", files=pages, size=pages_size)
                pages, pages_size = [], 0
            continue
        if pages:  # documents keep walk order
            yield _Unit("pages", files=pages, size=pages_size)
            pages, pages_size = [], 0
        if not rel.lower().endswith(".gz"):  # the workers read parts of the file themselves
            for part in record_parts(path, rel, RECORD_PART_BYTES):
                if isinstance(part, InputError):
                    yield _Unit("error", error=part)
                else:
                    yield _Unit("part", files=[(str(path), rel)], part=part, size=part[1] - part[0])
            continue
        batch: list[tuple[int, bytes]] = []
        batch_size = 0
        for item in record_lines(path, rel, max_bytes):
            if isinstance(item, InputError):
                yield _Unit("error", error=item)
                continue
            batch.append(item)
            batch_size += len(item[1])
            if len(batch) >= LINES_PER_UNIT:
                yield _Unit("lines", relpath=rel, lines=batch, size=batch_size)
                batch, batch_size = [], 0
        yield _Unit("lines", relpath=rel, lines=batch, size=batch_size)
    if pages:
        yield _Unit("pages", files=pages, size=pages_size)


def _documents(unit: _Unit, max_bytes: int) -> Iterator[Document | InputError]:
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


# --- worker side -----------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _init_worker(config: Config, outlets: OutletTable, scratch: str | None = None, keep: Keep = False,
                 for_index: bool = False) -> None:
    _STATE.clear()
    _STATE.update(config=config, outlets=outlets, options=clean_options(config), keep=keep, for_index=for_index,
                  spool=Spool(Path(scratch) / f"{os.getpid()}.spool") if scratch else None, reader=SpoolReader())


def _cleaned(unit: _Unit) -> Iterator[CleanDocument | InputError]:
    """Every document of a unit, read and cleaned, or the reason it could not be."""
    config: Config = _STATE["config"]
    for item in _documents(unit, config.max_file_bytes):
        yield item if isinstance(item, InputError) else prepare(item, config, _STATE["outlets"], _STATE["options"])


def _kept_whole(doc_id: str) -> bool:
    keep: Keep = _STATE["keep"]
    return keep if isinstance(keep, bool) else doc_id in keep


@dataclass
class _Sketched:
    n_shingles: int
    n_numbers: int
    where: tuple[int, int]
    keys: np.ndarray


def _spooled(sketched: DocumentSketch, spool: Spool) -> _Sketched:
    where = spool.append(sketched.shingles.tobytes() + sketched.figures.tobytes())
    return _Sketched(len(sketched.shingles), len(sketched.figures), where, sketched.keys)


@dataclass
class _UnitOut:
    """One unit's documents as columns (cheap to pass between processes) and its rejects."""

    spool: str
    rejects: list[InputError] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    names: list[tuple[str, ...]] = field(default_factory=list)
    line_keys: list[np.ndarray] = field(default_factory=list)
    numbers: array = field(default_factory=lambda: array("q"))
    """per document: body offset, body length, entry offset, entry length, sketch offset, shingles, figures,
    sample rank"""
    band_keys: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.uint64))
    digests: bytearray = field(default_factory=bytearray)
    """each document's :meth:`~dedup.document.Document.digest` (16 bytes each; only for an index)"""
    whole: list[CleanDocument] = field(default_factory=list)
    """the documents asked for whole (texts and removals, for explanations and in-memory results)"""


_PER_DOC = 8


def _keys(keys: list[np.ndarray], config: Config) -> np.ndarray:
    """The documents' keys (:func:`dedup.stages.candidates.keys_of`, made as each is sketched) as one table."""
    return np.stack(keys) if keys else np.zeros((0, config.total_keys), dtype=np.uint64)


def _prepared(unit: _Unit) -> Iterator[PreparedDocument | InputError]:
    """Every document of a unit, read, cleaned and sketched, or the reason it could not be."""
    config: Config = _STATE["config"]
    for item in _documents(unit, config.max_file_bytes):
        yield item if isinstance(item, InputError) else prepare_document(item, config, _STATE["outlets"],
                                                                         _STATE["options"])


def _clean_unit(unit: _Unit) -> _UnitOut:
    config: Config = _STATE["config"]
    spool: Spool = _STATE["spool"]
    out = _UnitOut(str(spool.path))
    keys: list[np.ndarray] = []
    for ready in _prepared(unit):
        if isinstance(ready, InputError):
            out.rejects.append(ready)
            continue
        cleaned = ready.doc
        sketched = _spooled(ready.sketch, spool)
        body = spool.append(cleaned.body.encode("utf-8", "surrogatepass"))
        entry = spool.append(cleaned.to_record().encode("utf-8", "surrogatepass"))
        if _kept_whole(cleaned.id):
            out.whole.append(cleaned)
        if _STATE["for_index"]:
            out.digests += cleaned.doc.digest()
        out.ids.append(cleaned.id)
        out.sites.append(cleaned.site)
        out.names.append(ready.names)
        out.line_keys.append(ready.line_keys)
        out.numbers.extend((body[0], body[1], entry[0], entry[1], sketched.where[0], sketched.n_shingles,
                            sketched.n_numbers, ready.rank))
        keys.append(sketched.keys)
    spool.flush()
    out.band_keys = _keys(keys, config)
    return out


_NO_KEYS = np.zeros(0, dtype=np.uint64)


@dataclass
class _Redo:
    index: int
    site: str
    body_path: str
    body: tuple[int, int]
    drop: frozenset[int]


def _redo_unit(tasks: list[_Redo]) -> tuple[str, list[tuple[int, _Sketched]], np.ndarray]:
    """Drop the given template lines from each body and sketch it again."""
    config: Config = _STATE["config"]
    spool: Spool = _STATE["spool"]
    reader: SpoolReader = _STATE["reader"]
    out = []
    keys: list[np.ndarray] = []
    for task in tasks:
        body = reader.read(task.body_path, *task.body).decode("utf-8", "surrogatepass")
        sketched = _spooled(resketch(body, task.site, task.drop, config), spool)
        keys.append(sketched.keys)
        sketched.keys = _NO_KEYS
        out.append((task.index, sketched))
    spool.flush()
    return str(spool.path), out, _keys(keys, config)


VERIFY_CHUNK = 50_000
MATCH_POOL_MIN_DOCS = 50_000
"""Below this many documents banding and verification take a second or two: done in-process."""


@dataclass
class _BandTask:
    keys: str
    rows: int
    n: int
    first: int
    last: int
    index: str
    max_bucket: int


def _band_unit(task: _BandTask) -> np.ndarray:
    """The distinct candidate pairs of bands ``first`` to ``last`` (excluded), encoded, from the
    key table in the scratch folder."""
    table = np.memmap(task.keys, dtype=np.uint64, mode="r", shape=(task.rows, task.n))
    index = np.load(task.index)
    found = [band_pairs(np.asarray(table[band]), index, task.n, task.max_bucket)
             for band in range(task.first, task.last)]
    return merge_pairs([pairs for pairs in found if pairs.size])


@dataclass
class _PassageTask:
    passages: str
    """the documents' passage rows, ``(n, config.passage_keys)`` (see :func:`dedup.stages.partners.passage_rows`)"""
    n: int
    part: int
    parts: int
    index: str
    config: Config


PASSAGE_DOCS_PER_STEP = 200_000


def _passage_unit(task: _PassageTask) -> PartnerOffers:
    """The passage partners of every document, from the passage keys of one part of the key
    space (``key % parts == part``)."""
    width = task.config.passage_keys
    rows = np.memmap(task.passages, dtype=np.uint64, mode="r", shape=(task.n, width))
    index = np.load(task.index)
    keys, owners = [], []
    for start in range(0, len(index), PASSAGE_DOCS_PER_STEP):  # a slice of the documents at a time
        docs = index[start : start + PASSAGE_DOCS_PER_STEP]
        block = np.asarray(rows[docs])
        mine = (block % np.uint64(task.parts) == np.uint64(task.part)) & (block != 0)
        keys.append(block[mine])
        owners.append(np.repeat(docs, width).reshape(block.shape)[mine])
    heaps = part_partners(np.concatenate(keys), np.concatenate(owners), rows, task.config,
                          PartnerHeaps(task.n, task.config.passage_partners))
    return heaps.offers()


@dataclass
class _VerifyTask:
    pairs: np.ndarray
    columns: str
    files: list[str]


def _sketch_columns(path: str) -> dict[str, np.ndarray]:
    cached = _STATE.get("sketch_columns")
    if cached is None or cached[0] != path:
        with np.load(path) as data:
            cached = (path, {name: data[name] for name in data.files})
        _STATE["sketch_columns"] = cached
    return cached[1]


def _warm_unit() -> None:
    warm(_STATE["config"])


def _verify_unit(task: _VerifyTask) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check a chunk of candidate pairs on the exact sets; returns the kept pairs ``(i, j, inter)``,
    their ``(jaccard, containment)``, and the evidence size of every document read."""
    config: Config = _STATE["config"]
    reader: SpoolReader = _STATE["reader"]
    columns = _sketch_columns(task.columns)
    common = CommonShingles(columns["common"], config.min_shingles)
    touched: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    sizes: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]

    def pack(docs: np.ndarray) -> Packed:
        # One read a document, laid end to end; the compiled unpacking leaves the common shingles out.
        n_shingles, n_numbers = columns["shingles"][docs].astype(np.int64), columns["numbers"][docs].astype(np.int64)
        records = reader.read_many([(task.files[spool], offset, length) for spool, offset, length in
                                    zip(columns["spool"][docs].tolist(), columns["offset"][docs].tolist(),
                                        (4 * n_shingles + 8 * n_numbers).tolist(), strict=True)])
        packed = common.unpack(np.frombuffer(records, dtype=np.uint32), n_shingles, n_numbers)
        touched.append(docs)
        sizes.append(packed.sizes())
        return packed

    ends, scores = verify_packed(task.pairs, pack, config)
    return ends, scores, np.concatenate(touched), np.concatenate(sizes)


# --- coordinator side ------------------------------------------------------------------------

class _Columns:
    """Per-document facts the coordinator keeps, as compact typed arrays."""

    def __init__(self) -> None:
        self.site = array("i")
        self.body_file, self.body_off, self.body_len = array("i"), array("q"), array("i")
        self.entry_file, self.entry_off, self.entry_len = array("i"), array("q"), array("i")
        self.sketch_file, self.sketch_off = array("i"), array("q")
        self.n_shingles, self.n_numbers = array("i"), array("i")
        self.rank = array("q")

    def extend(self, file: int, numbers: np.ndarray) -> None:
        """Append documents from rows of a unit's numbers (see :class:`_UnitOut`) in scratch file ``file``."""
        count = len(numbers)
        for column, values in ((self.body_off, numbers[:, 0]), (self.body_len, numbers[:, 1]),
                               (self.entry_off, numbers[:, 2]), (self.entry_len, numbers[:, 3]),
                               (self.sketch_off, numbers[:, 4]), (self.n_shingles, numbers[:, 5]),
                               (self.n_numbers, numbers[:, 6]), (self.rank, numbers[:, 7])):
            column.extend(values.tolist())
        for column in (self.body_file, self.entry_file, self.sketch_file):
            column.extend([file] * count)

    def set_sketch(self, index: int, file: int, sketched: _Sketched) -> None:
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
    columns: _Columns
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

    def close(self) -> None:
        self.reader.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> CorpusScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def scan_corpus(roots: Sequence[str | os.PathLike[str]], config: Config | None = None,
                outlets: OutletTable | None = None, outlet_file: str | None = None, workers: int | None = None,
                progress: Progress | None = None, scratch_dir: str | None = None,
                walked: Walk | None = None, strict: bool = False, keep: Keep = False,
                for_index: bool = False) -> CorpusScan:
    """Read, clean and cluster every supported file under ``roots`` on ``workers`` processes.

    Inputs that cannot be used (unreadable, undecodable, malformed, too large, empty or too short
    after cleaning) are collected in ``rejects`` and the scan goes on; with ``strict`` the first
    one is raised as an :class:`~dedup.errors.InputError` instead. Documents are kept as records
    in scratch files; those whose ids are in ``keep`` (all, with ``True``) are also kept whole,
    with their texts and what cleaning removed (for explanations). With ``for_index`` the outcome
    also carries what an index built from it needs (:class:`IndexTables`, ``outcome.tables``).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
    >>> for name in ("a", "b"):
    ...     _ = (folder / name).mkdir(), (folder / name / "1.txt").write_text("标题\\n" + text, encoding="utf-8")
    >>> with scan_corpus([folder], workers=1) as outcome:
    ...     [sorted(outcome.result.docs[m].id for m in c.members) for c in outcome.result.clusters]
    [['a/1.txt', 'b/1.txt']]
    """
    config = config or Config()
    started = time.perf_counter()
    walked = walked if walked is not None else walk(roots)
    return _run(_walk_source(walked, config.max_file_bytes), config, _outlet_table(outlets, outlet_file), workers,
                progress, scratch_dir, strict, keep, started, for_index)


def scan_documents(docs: Iterable[Document | dict[str, Any]], config: Config | None = None,
                   outlets: OutletTable | None = None, workers: int | None = 1, progress: Progress | None = None,
                   scratch_dir: str | None = None, strict: bool = False, keep: Keep = False,
                   for_index: bool = False) -> CorpusScan:
    """:func:`scan_corpus` over documents given one by one (``Document`` or its dict form)
    instead of files: the same engine, the same result."""
    config = config or Config()
    return _run(_document_source(docs), config, _outlet_table(outlets, None), workers, progress, scratch_dir,
                strict, keep, time.perf_counter(), for_index)


def scan(docs: Iterable[Document | dict[str, Any]], config: Config | None = None, outlets: OutletTable | None = None,
         workers: int | None = 1) -> ScanResult:
    """Run the whole detector over documents held in memory; the result holds them whole.

    >>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
    >>> r = scan([Document(id="a", text=text, site="a.cn"), Document(id="b", text=text, site="b.cn"),
    ...           Document(id="c", text="短讯一则。", site="c.cn")])
    >>> [sorted(r.docs[m].id for m in c.members) for c in r.clusters], [e.doc_id for e in r.rejects]
    ([['a', 'b']], ['c'])
    """
    with scan_documents(docs, config, outlets, workers, keep=True) as outcome:
        return outcome.in_memory()


def _outlet_table(outlets: OutletTable | None, outlet_file: str | None) -> OutletTable:
    if outlets is None:
        outlets = OutletTable.default()
        if outlet_file:
            outlets.extend_from_file(outlet_file)
    return outlets


def _run(source: _Source, config: Config, outlets: OutletTable, workers: int | None, progress: Progress | None,
         scratch_dir: str | None, strict: bool, keep: Keep, started: float, for_index: bool = False) -> CorpusScan:
    workers = workers if workers is not None else default_workers()
    scratch = Path(tempfile.mkdtemp(prefix="dedup-scan-", dir=scratch_dir))
    reader = SpoolReader()
    try:
        return _scan(source, config, outlets, workers, progress, scratch, reader, started, strict, keep, for_index)
    except BaseException:
        reader.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def stream(roots: Sequence[str | os.PathLike[str]], config: Config, workers: int | None = None,
           outlets: OutletTable | None = None, progress: Callable[[int], None] | None = None,
           walked: Walk | None = None) -> Iterator[CleanDocument | InputError]:
    """Every document under ``roots``, read and cleaned on ``workers`` processes, in input order,
    or the reason it was rejected (what ``dedup extract`` writes; nothing is compared).

    The walk's own errors come first; a second document with an id already seen is a reject.
    """
    walked = walked if walked is not None else walk(roots)
    workers = workers if workers is not None else default_workers()
    yield from walked.errors
    outlets = _outlet_table(outlets, None)
    pool = start_pool(workers, _init_worker, (config, outlets)) if workers > 1 else None
    if pool is None:
        _init_worker(config, outlets)
    seen: set[str] = set()
    try:
        for unit, items in ordered(pool, _extract_unit, _units(walked, config.max_file_bytes), 4 * max(workers, 1)):
            for item in items:
                if isinstance(item, CleanDocument):
                    if item.id in seen:
                        item = _duplicate(item.id, item.doc)
                    else:
                        seen.add(item.id)
                yield item
            if progress:
                progress(unit.size)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _duplicate(doc_id: str, doc: Document | None = None) -> InputError:
    return duplicate_id(doc_id, doc.where() if doc is not None else None)


def _extract_unit(unit: _Unit) -> list[CleanDocument | InputError]:
    if unit.kind == "error":
        assert unit.error is not None
        return [unit.error]
    config: Config = _STATE["config"]
    out: list[CleanDocument | InputError] = []
    for cleaned in _cleaned(unit):
        refused = None if isinstance(cleaned, InputError) else rejected_after_cleaning(
            cleaned, len(shingles_of(cleaned.compared, config.shingle_size, config.tokens)), config.min_shingles)
        out.append(refused or cleaned)
    return out


class _Collected:
    """What the coordinator keeps of the documents read (stage 1): compact columns, site numbers
    and statistics, band keys by unit, site line keys with their owners, rejects."""

    def __init__(self, rejects: _Rejects, reader: SpoolReader, for_index: bool = False) -> None:
        self.rejects = rejects
        self.reader = reader
        self.for_index = for_index
        self.files: list[str] = []
        self._file_number: dict[str, int] = {}
        self.columns = _Columns()
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

    def take(self, outcome: _UnitOut) -> None:
        """Keep one unit's documents (a second document with an id already seen is a reject)."""
        file = self.file(outcome.spool)
        self.rejects.extend(outcome.rejects)
        for doc in outcome.whole:
            self.whole.setdefault(doc.id, doc)
        numbers = np.frombuffer(outcome.numbers, dtype=np.int64).reshape(-1, _PER_DOC) if len(outcome.ids) \
            else np.zeros((0, _PER_DOC), dtype=np.int64)
        accepted = np.ones(len(outcome.ids), dtype=bool)
        index_of = np.full(len(outcome.ids), -1, dtype=np.int64)
        for row, (doc_id, site, names) in enumerate(zip(outcome.ids, outcome.sites, outcome.names, strict=True)):
            if doc_id in self._seen:
                self.duplicate_ids += 1
                accepted[row] = False
                # its record says which file and line it came from
                entry = self.reader.read(outcome.spool, int(numbers[row, 2]), int(numbers[row, 3]))
                self.rejects.append(_duplicate(doc_id, CleanDocument.from_record(entry).doc))
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


def _scan(source: _Source, config: Config, outlets: OutletTable, workers: int,
          progress: Progress | None, scratch: Path, reader: SpoolReader, started: float,
          strict: bool, keep: Keep, for_index: bool) -> CorpusScan:
    report = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    rejects = _Rejects(strict)
    rejects.extend(source.errors)
    collected = _Collected(rejects, reader, for_index)
    pool: ProcessPoolExecutor | None = None
    if workers > 1:
        pool = start_pool(workers, _init_worker, (config, outlets, str(scratch), keep, for_index))
    else:
        _init_worker(config, outlets, str(scratch), keep, for_index)
    try:
        # Stage 1: read, clean, sketch.
        done = 0
        for unit, outcome in ordered(pool, _clean_unit_or_skip, source.units, 4 * max(workers, 1)):
            done += unit.size
            report("reading", done, source.total)
            if outcome is None:
                assert unit.error is not None
                rejects.append(unit.error)
            else:
                collected.take(outcome)
        collected.done_reading()
        seconds["read_clean_sketch"] = time.perf_counter() - started

        # Stage 2: site templates.
        mark = time.perf_counter()
        redo_index, redo_keys = _templates(collected, pool, workers, config, report)
        for doc in collected.whole.values():
            collected.profiles.apply(doc)
        seconds["templates"] = time.perf_counter() - mark
        # Banding and verification stay on the same workers when the corpus is large enough to
        # repay passing work to them; below that they run here.
        if pool is not None and len(collected) < MATCH_POOL_MIN_DOCS:
            pool.shutdown()
            pool = None
            _init_worker(config, outlets, str(scratch))
        return _match(source, collected, config, outlets, workers if pool is not None else 1, pool, report, scratch,
                      reader, started, seconds, redo_index, redo_keys)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _match(source: _Source, collected: _Collected, config: Config, outlets: OutletTable, workers: int,
           pool: ProcessPoolExecutor | None, report: Progress, scratch: Path, reader: SpoolReader, started: float,
           seconds: dict[str, float], redo_index: np.ndarray, redo_keys: np.ndarray) -> CorpusScan:
    """Stage 3: candidates (runs of bands on the workers), common shingles, verification (pairs in
    chunks on the workers), clusters and the choice (here)."""
    columns, files, profiles, whole = collected.columns, collected.files, collected.profiles, collected.whole
    rejects, key_chunks = collected.rejects, collected.key_chunks
    n = len(columns.site)
    mark = time.perf_counter()
    n_shingles = np.frombuffer(columns.n_shingles, dtype=np.int32).astype(np.int64) if n else np.zeros(0, np.int64)
    valid = n_shingles >= config.min_shingles
    rejects += _emptied(collected, reader, n_shingles, valid, config)

    candidates, key_table, proposed = _candidates(config, pool, workers, scratch, n, valid, key_chunks, redo_index,
                                                  redo_keys, report)
    key_chunks.clear()
    seconds["lsh"] = time.perf_counter() - mark
    if pool is not None and len(candidates):  # the workers load verification's kernels while common shingles are learned here
        for _ in range(workers):
            pool.submit(_warm_unit)

    def raw_sketch(index: int) -> tuple[np.ndarray, np.ndarray]:
        ns, nn = columns.n_shingles[index], columns.n_numbers[index]
        data = reader.read(files[columns.sketch_file[index]], columns.sketch_off[index], 4 * ns + 8 * nn)
        return np.frombuffer(data, dtype=np.uint32, count=ns), np.frombuffer(data, dtype=np.uint64, offset=4 * ns)

    mark = time.perf_counter()
    ranks = np.frombuffer(columns.rank, dtype=np.int64) if n else np.zeros(0, np.int64)
    common = _learn_common(ranks, valid, key_table, raw_sketch, config)
    seconds["common"] = time.perf_counter() - mark
    # Clustering weighs the evidence each document has; documents never read keep their full size
    # (they are alone, and a document alone needs no size).
    sizes = n_shingles.copy()

    sketch_of = EvidenceReader(raw_sketch, common, sizes)

    mark = time.perf_counter()
    pairs = _verify(candidates, common, columns, files, sizes, config, pool, workers, scratch, report)
    seconds["verify"] = time.perf_counter() - mark
    if pool is not None:  # the workers' memory is not needed for clustering
        pool.shutdown()

    def doc_of(index: int) -> CleanDocument:
        data = reader.read(files[columns.entry_file[index]], columns.entry_off[index], columns.entry_len[index])
        record = CleanDocument.from_record(data)
        return whole.get(record.id) or profiles.mark_self(record)

    mark = time.perf_counter()
    labels, clusters, lone, digests = build_clusters(doc_of, sketch_of.shingles, sizes, pairs, config,
                                            outlets)
    lone = lone[valid[lone]]  # documents that site templates left too short are rejects, not singletons
    seconds["cluster"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    log.info("scan: %d documents, %d candidate pairs (%s), %d verified, %d clusters", n, len(candidates),
             proposed.describe(), len(pairs), len(clusters))
    result = scan_result(
        LazySequence(n, doc_of), LazySequence(n, sketch_of.shingles), sizes, (labels, clusters, lone, digests), pairs,
        config, outlets, candidates=candidates, profiles=profiles,
        stats={"candidates": float(len(candidates)), "verified": float(len(pairs)), **proposed.stats(),
               "too_short": float((~valid).sum()), "common_shingles": float(len(common))})
    result.rejects = list(rejects)

    def body_of(index: int) -> str:
        return reader.read(files[columns.body_file[index]], columns.body_off[index],
                           columns.body_len[index]).decode("utf-8", "surrogatepass")

    tables = None
    if collected.for_index:
        tables = IndexTables(
            digests=np.concatenate(collected.digests) if collected.digests else np.zeros((0, 16), dtype=np.uint8),
            line_keys=collected.all_lines[0], line_owners=collected.all_lines[1], redone=collected.redone, valid=valid,
            ranks=ranks, shingle_counts=n_shingles, common=common, keys_path=key_table, columns=columns, files=files,
            site_counts=collected.site_counts)
    return CorpusScan(result=result, rejects=result.rejects, files=source.files, unsupported=source.unsupported,
                      documents=n, duplicate_ids=collected.duplicate_ids, seconds=seconds, scratch=scratch, reader=reader,
                      sizes=sizes, outlets=outlets, whole=whole, body_of=body_of, tables=tables)


def _emptied(collected: _Collected, reader: SpoolReader, n_shingles: np.ndarray, valid: np.ndarray,
             config: Config) -> list[InputError]:
    """The rejects of the documents the site-template stage left too short (documents kept by
    cleaning are long enough)."""
    columns, files = collected.columns, collected.files
    out = []
    for index in np.flatnonzero(~valid).tolist():
        emptied = CleanDocument.from_record(reader.read(files[columns.entry_file[index]], columns.entry_off[index],
                                                        columns.entry_len[index]))
        out.append(rejected_after_templates(emptied, int(n_shingles[index]), config.min_shingles,
                                            collected.whole.get(emptied.id)))
    return out


def _learn_common(ranks: np.ndarray, valid: np.ndarray, key_table: Path | None,
                  raw_sketch: Callable[[int], tuple[np.ndarray, np.ndarray]], config: Config) -> CommonShingles:
    """The common set from the sample (the documents of lowest rank), their keys read from the key table."""
    n = len(ranks)
    sampled = sample_positions(ranks, valid, config.common_sample)
    sample_keys = np.asarray(np.memmap(key_table, dtype=np.uint64, mode="r", shape=(config.total_keys, n))[:, sampled]).T \
        if key_table is not None and len(sampled) else np.zeros((0, config.total_keys), dtype=np.uint64)
    return CommonShingles.from_sample([raw_sketch(k)[0] for k in sampled.tolist()], sample_keys, config)


def _candidates(config: Config, pool: ProcessPoolExecutor | None, workers: int, scratch: Path, n: int,
                valid: np.ndarray, key_chunks: list[np.ndarray], redo_index: np.ndarray, redo_keys: np.ndarray,
                report: Progress) -> tuple[np.ndarray, Path | None, CandidateCounts]:
    """Candidate pairs, the table of band keys, and how many pairs each kind of key proposed: the
    keys go to a scratch file, one row per band, and each band's buckets are grouped on a worker
    (:func:`dedup.stages.candidates.band_pairs`); each part of the passage key space gives every document's best
    passage partners (:mod:`dedup.stages.partners`); pairs and partners merge here."""
    index = np.flatnonzero(valid)
    if n < 2 or index.size < 2:
        return np.zeros((0, 2), dtype=np.int64), None, CandidateCounts()
    bands, rows = config.total_bands, config.total_keys
    keys_path, index_path, passages_path = scratch / "keys.u64", scratch / "valid.npy", scratch / "passages.u64"
    table = np.memmap(keys_path, dtype=np.uint64, mode="w+", shape=(rows, n))
    # Scoring passage partners reads a document's passage keys together: a second, document-major copy.
    passages = np.memmap(passages_path, dtype=np.uint64, mode="w+", shape=(n, config.passage_keys)) \
        if config.passage_keys else None
    start = 0
    for position, chunk in enumerate(key_chunks):  # each unit's keys are freed once written
        table[:, start : start + len(chunk)] = chunk.T
        if passages is not None:
            passages[start : start + len(chunk)] = passage_rows_of(chunk, bands)
        start += len(chunk)
        key_chunks[position] = chunk[:0]
    if len(redo_index):
        table[:, redo_index] = redo_keys.T
        if passages is not None:
            passages[redo_index] = passage_rows_of(redo_keys, bands)
    del passages
    # No flush: the workers map the same file, and a shared mapping is coherent through the page
    # cache; forcing the table to disk would cost the stage a write it never needs.
    del table
    np.save(index_path, index)
    # On workers, a few runs of bands each (a run's pairs are merged where they are found, and
    # little passes between processes); here, band by band.
    per_task = -(-bands // (2 * workers)) if pool is not None else 1
    tasks: list[_BandTask | _PassageTask] = [
        _BandTask(str(keys_path), rows, n, first, min(first + per_task, bands), str(index_path),
                  config.bucket_cap(passage=False))
        for first in range(0, bands, per_task)]
    # Passage keys match across slots: each task groups one share of the key space over all slots.
    parts = 2 * max(workers, 1) if config.passage_keys else 0
    tasks += [_PassageTask(str(passages_path), n, part, parts, str(index_path), config)
              for part in range(parts)]
    encoded: list[np.ndarray] = []
    heaps = PartnerHeaps(n if parts else 0, config.passage_partners)
    for done, (_, found) in enumerate(ordered(pool, _key_unit, tasks, 2 * max(workers, 1)), 1):
        if isinstance(found, PartnerOffers):
            heaps.merge(found)
        elif found.size:
            encoded.append(found)
        if len(encoded) > 8:
            encoded = [merge_pairs(encoded)]
        report("banding", done, len(tasks))
    banded = merge_pairs(encoded)
    passage = heaps.pairs()
    passage_encoded = passage[:, 0] * n + passage[:, 1]
    counts = CandidateCounts(bands=len(banded), passages=len(passage_encoded), scored=heaps.scored,
                             both=int(np.isin(passage_encoded, banded, assume_unique=True).sum()))
    return decode_pairs(merge_pairs([banded, passage_encoded]), n), keys_path, counts


def _key_unit(task: _BandTask | _PassageTask) -> np.ndarray | PartnerOffers:
    return _band_unit(task) if isinstance(task, _BandTask) else _passage_unit(task)


def _verify(candidates: np.ndarray, common: CommonShingles, columns: _Columns, files: list[str], sizes: np.ndarray,
            config: Config, pool: ProcessPoolExecutor | None, workers: int, scratch: Path,
            report: Progress) -> VerifiedPairs:
    """Verified pairs, in candidate order: chunks of candidates are checked on the workers, which
    read the sketches from the scratch files; the evidence sizes they saw come back with them."""
    if not len(candidates):
        return VerifiedPairs.of([])
    where = scratch / "sketch-columns.npz"
    np.savez(where, spool=np.frombuffer(columns.sketch_file, dtype=np.int32),
             offset=np.frombuffer(columns.sketch_off, dtype=np.int64),
             shingles=np.frombuffer(columns.n_shingles, dtype=np.int32),
             numbers=np.frombuffer(columns.n_numbers, dtype=np.int32), common=common.hashes)
    # Enough chunks to keep every worker busy, not so many that each re-reads the same sketches.
    size = max(2000, min(VERIFY_CHUNK, -(-len(candidates) // (4 * max(workers, 1)))))
    tasks = [_VerifyTask(candidates[start : start + size], str(where), files)
             for start in range(0, len(candidates), size)]
    ends: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    done = 0
    for task, (kept, figures, touched, evidence_sizes) in ordered(pool, _verify_unit, tasks, 2 * max(workers, 1)):
        ends.append(kept)
        scores.append(figures)
        sizes[touched] = evidence_sizes
        done += len(task.pairs)
        report("verifying", done, len(candidates))
    return VerifiedPairs.from_arrays(np.concatenate(ends), np.concatenate(scores))


class _Rejects(list[InputError]):
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


def _clean_unit_or_skip(unit: _Unit) -> _UnitOut | None:
    return None if unit.kind == "error" else _clean_unit(unit)


def _templates(collected: _Collected, pool: ProcessPoolExecutor | None, workers: int, config: Config,
               report: Progress) -> tuple[np.ndarray, np.ndarray]:
    """Learn the sites' template lines; clean and sketch again the documents that carry them.

    Returns the indices of the documents sketched again and their new band keys.
    """
    sites, columns, files = collected.sites, collected.columns, collected.files
    line_keys, line_owners = collected.line_keys, collected.line_owners
    empty = np.zeros(0, dtype=np.int64), np.zeros((0, config.total_keys), dtype=np.uint64)
    keys = np.concatenate(line_keys) if line_keys else np.zeros(0, dtype=np.uint64)
    owners = np.concatenate(line_owners) if line_owners else np.zeros(0, dtype=np.int64)
    line_keys.clear()  # the coordinator's largest lists while reading: free them now
    line_owners.clear()
    if collected.for_index:  # building an index: it keeps every document's line keys
        collected.all_lines = keys, owners
    doc_site = np.frombuffer(columns.site, dtype=np.int32) if len(collected) else np.zeros(0, dtype=np.int32)
    collected.site_counts = SiteCounts.of_columns(tuple(sites), doc_site, keys, doc_site[owners],
                                                  dict(collected.sources))
    collected.profiles = profiles = SiteProfiles.from_counts(collected.site_counts)
    template = np.isin(keys, template_lines(collected.site_counts, profiles.min_count, profiles.min_share))
    if not template.any():
        return empty
    owners, keys = owners[template], keys[template]
    order = np.argsort(owners, kind="stable")
    owners, keys = owners[order], keys[order]
    docs, starts = np.unique(owners, return_index=True)
    bounds = np.append(starts, len(owners))
    tasks = [
        _Redo(int(doc), sites[columns.site[doc]], files[columns.body_file[doc]],
              (columns.body_off[doc], columns.body_len[doc]), frozenset(keys[bounds[k]:bounds[k + 1]].tolist()))
        for k, doc in enumerate(docs.tolist())
    ]
    units = [tasks[i : i + DOCS_PER_REDO_UNIT] for i in range(0, len(tasks), DOCS_PER_REDO_UNIT)]
    new_keys = np.zeros((len(tasks), config.total_keys), dtype=np.uint64)
    position = 0
    for _, (spool_path, items, band) in ordered(pool, _redo_unit, units, 4 * max(workers, 1)):
        file = collected.file(spool_path)
        for index, sketched in items:
            columns.set_sketch(index, file, sketched)
        new_keys[position : position + len(items)] = band
        position += len(items)
        report("site templates", position, len(tasks))
    log.info("templates: %d documents carried site template lines and were sketched again", len(tasks))
    collected.redone = docs.astype(np.int64)
    return collected.redone, new_keys


__all__ = ["CorpusScan", "IndexTables", "scan", "scan_corpus", "scan_documents", "stream"]
