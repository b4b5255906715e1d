"""The local engine's coordinator after reading: site templates, candidates, the common set,
verification, and clustering with the choice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.engines.local.tables import Collected, Columns, CorpusScan, IndexTables
from dedup.engines.local.units import Source
from dedup.engines.local.worker import (
    BandTask,
    PassageTask,
    Redo,
    VerifyTask,
    key_unit,
    redo_unit,
    verify_unit,
    warm_unit,
)
from dedup.engines.pools import Progress, ordered
from dedup.engines.spool import SpoolReader
from dedup.errors import InputError
from dedup.sites import SiteCounts
from dedup.stages.candidates import (
    CandidateCounts,
    decode_pairs,
    merge_pairs,
)
from dedup.stages.common_shingles import (
    CommonShingles,
    EvidenceReader,
    sample_positions,
)
from dedup.stages.partners import PartnerHeaps, PartnerOffers, passage_rows_of
from dedup.stages.prepare import (
    rejected_after_templates,
)
from dedup.stages.result import LazySequence, build_clusters, scan_result
from dedup.stages.templates import (
    SiteProfiles,
    template_lines,
)
from dedup.stages.verify import VerifiedPairs
from dedup.text.outlets import OutletTable

DOCS_PER_REDO_UNIT = 128

log = logging.getLogger("dedup")


VERIFY_CHUNK = 50_000


def match_documents(source: Source, collected: Collected, config: Config, outlets: OutletTable, workers: int,
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
            pool.submit(warm_unit)

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


def _emptied(collected: Collected, reader: SpoolReader, n_shingles: np.ndarray, valid: np.ndarray,
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
    tasks: list[BandTask | PassageTask] = [
        BandTask(str(keys_path), rows, n, first, min(first + per_task, bands), str(index_path),
                  config.bucket_cap(passage=False))
        for first in range(0, bands, per_task)]
    # Passage keys match across slots: each task groups one share of the key space over all slots.
    parts = 2 * max(workers, 1) if config.passage_keys else 0
    tasks += [PassageTask(str(passages_path), n, part, parts, str(index_path), config)
              for part in range(parts)]
    encoded: list[np.ndarray] = []
    heaps = PartnerHeaps(n if parts else 0, config.passage_partners)
    for done, (_, found) in enumerate(ordered(pool, key_unit, tasks, 2 * max(workers, 1)), 1):
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


def _verify(candidates: np.ndarray, common: CommonShingles, columns: Columns, files: list[str], sizes: np.ndarray,
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
    tasks = [VerifyTask(candidates[start : start + size], str(where), files)
             for start in range(0, len(candidates), size)]
    ends: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    done = 0
    for task, (kept, figures, touched, evidence_sizes) in ordered(pool, verify_unit, tasks, 2 * max(workers, 1)):
        ends.append(kept)
        scores.append(figures)
        sizes[touched] = evidence_sizes
        done += len(task.pairs)
        report("verifying", done, len(candidates))
    return VerifiedPairs.from_arrays(np.concatenate(ends), np.concatenate(scores))


def learn_templates(collected: Collected, pool: ProcessPoolExecutor | None, workers: int, config: Config,
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
        Redo(int(doc), sites[columns.site[doc]], files[columns.body_file[doc]],
              (columns.body_off[doc], columns.body_len[doc]), frozenset(keys[bounds[k]:bounds[k + 1]].tolist()))
        for k, doc in enumerate(docs.tolist())
    ]
    units = [tasks[i : i + DOCS_PER_REDO_UNIT] for i in range(0, len(tasks), DOCS_PER_REDO_UNIT)]
    new_keys = np.zeros((len(tasks), config.total_keys), dtype=np.uint64)
    position = 0
    for _, (spool_path, items, band) in ordered(pool, redo_unit, units, 4 * max(workers, 1)):
        file = collected.file(spool_path)
        for index, sketched in items:
            columns.set_sketch(index, file, sketched)
        new_keys[position : position + len(items)] = band
        position += len(items)
        report("site templates", position, len(tasks))
    log.info("templates: %d documents carried site template lines and were sketched again", len(tasks))
    collected.redone = docs.astype(np.int64)
    return collected.redone, new_keys
