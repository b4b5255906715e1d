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
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.engines.local.coordinator import learn_templates, match_documents
from dedup.engines.local.tables import Collected, CorpusScan, Rejects, duplicate
from dedup.engines.local.units import Keep, Source, document_source, units, walk_source
from dedup.engines.local.worker import clean_unit_or_skip, extract_unit, init_worker
from dedup.engines.pools import Progress, default_workers, ordered, start_pool
from dedup.engines.scratch import Scratch
from dedup.engines.spool import SpoolReader
from dedup.errors import InputError, OutOfSpaceError, is_out_of_space
from dedup.io.formats import Walk, walk
from dedup.stages.result import ScanResult
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")
MATCH_POOL_MIN_DOCS = 50_000
"""Below this many documents banding and verification take a second or two: done in-process."""


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
    return _run(walk_source(walked, config.max_file_bytes), config, _outlet_table(outlets, outlet_file), workers,
                progress, scratch_dir, strict, keep, started, for_index)


def scan_documents(docs: Iterable[Document | dict[str, Any]], config: Config | None = None,
                   outlets: OutletTable | None = None, workers: int | None = 1, progress: Progress | None = None,
                   scratch_dir: str | None = None, strict: bool = False, keep: Keep = False,
                   for_index: bool = False) -> CorpusScan:
    """:func:`scan_corpus` over documents given one by one (``Document`` or its dict form)
    instead of files: the same engine, the same result."""
    config = config or Config()
    return _run(document_source(docs), config, _outlet_table(outlets, None), workers, progress, scratch_dir,
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


def _run(source: Source, config: Config, outlets: OutletTable, workers: int | None, progress: Progress | None,
         scratch_dir: str | None, strict: bool, keep: Keep, started: float, for_index: bool = False) -> CorpusScan:
    workers = workers if workers is not None else default_workers()
    scratch = Scratch.create("scan", scratch_dir)
    reader = SpoolReader()
    scratch.on_remove(reader.close)
    try:
        outcome = _scan(source, config, outlets, workers, progress, scratch.path, reader, started, strict, keep,
                        for_index)
    except BaseException as error:
        scratch.remove()
        if is_out_of_space(error):  # raised here, or by a worker (as OutOfSpaceError)
            code = error.errno if isinstance(error, (OSError, OutOfSpaceError)) else None
            cause = OSError(code, os.strerror(code)) if code is not None else None
            raise OutOfSpaceError(f"writing scratch in {scratch.path.parent}", cause) from error
        raise
    outcome.owner = scratch  # the folder goes when the outcome is closed or collected
    return outcome


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
    pool = start_pool(workers, init_worker, (config, outlets)) if workers > 1 else None
    if pool is None:
        init_worker(config, outlets)
    seen: set[str] = set()
    try:
        for unit, items in ordered(pool, extract_unit, units(walked, config.max_file_bytes), 4 * max(workers, 1)):
            for item in items:
                if isinstance(item, CleanDocument):
                    if item.id in seen:
                        item = duplicate(item.id, item.doc)
                    else:
                        seen.add(item.id)
                yield item
            if progress:
                progress(unit.size)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _scan(source: Source, config: Config, outlets: OutletTable, workers: int,
          progress: Progress | None, scratch: Path, reader: SpoolReader, started: float,
          strict: bool, keep: Keep, for_index: bool) -> CorpusScan:
    report = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    rejects = Rejects(strict)
    rejects.extend(source.errors)
    collected = Collected(rejects, reader, for_index)
    pool: ProcessPoolExecutor | None = None
    if workers > 1:
        pool = start_pool(workers, init_worker, (config, outlets, str(scratch), keep, for_index))
    else:
        init_worker(config, outlets, str(scratch), keep, for_index)
    try:
        # Stage 1: read, clean, sketch.
        done = 0
        for unit, outcome in ordered(pool, clean_unit_or_skip, source.units, 4 * max(workers, 1)):
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
        redo_index, redo_keys = learn_templates(collected, pool, workers, config, report)
        for doc in collected.whole.values():
            collected.profiles.apply(doc)
        seconds["templates"] = time.perf_counter() - mark
        # Banding and verification stay on the same workers when the corpus is large enough to
        # repay passing work to them; below that they run here.
        if pool is not None and len(collected) < MATCH_POOL_MIN_DOCS:
            pool.shutdown()
            pool = None
            init_worker(config, outlets, str(scratch))
        return match_documents(source, collected, config, outlets, workers if pool is not None else 1, pool, report, scratch,
                      reader, started, seconds, redo_index, redo_keys)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


__all__ = ["scan", "scan_corpus", "scan_documents", "stream"]
