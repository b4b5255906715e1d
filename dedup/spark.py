"""The Spark engine: the local engine's stages, orchestrated on Spark executors.

Every rule is the one the local engine runs, imported from its module: reading
(:mod:`dedup.io.readers`), cleaning (:func:`dedup.prepare.prepare`), sketching and keying
(:func:`dedup.sketch.sketch_with_figures`, :func:`dedup.lsh.keys_of`), site templates
(:mod:`dedup.templates`), bucket caps (:func:`dedup.lsh.pairs_in_groups`), the common set
(:mod:`dedup.common`), verification (:func:`dedup.verify.check_pair`) and star clusters with the
canonical choice (:func:`dedup.result.build_clusters`). Spark only moves the data: documents are
numbered by their input order (file order of the walk, then position in the file), never by
partition, so the output does not depend on how the input is split.

This first version reads local paths (directories and files, as ``dedup scan`` does) and runs
every stage but the walk on the executors; connected components of the verified edges are found
with the large-star/small-star iteration.

>>> from dedup.spark import SPARK_STAGES
>>> SPARK_STAGES[0]
'read_clean_sketch'
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dedup.clean import duplicate_id, rejected_after_cleaning, rejected_after_templates
from dedup.common import CommonShingles, sample_pairs, sample_rank
from dedup.config import Config
from dedup.document import CleanDocument
from dedup.errors import InputError
from dedup.io.readers import read_file, walk
from dedup.lsh import keys_of, owner_pairs
from dedup.outlets import OutletTable
from dedup.prepare import clean_options, prepare
from dedup.report import cluster_record
from dedup.result import LazySequence, ScanResult, build_clusters, lone_cluster_maker
from dedup.sketch import sketch_with_figures
from dedup.templates import (
    SiteProfiles,
    compared_without,
    document_line_keys,
    source_names,
    template_threshold,
)
from dedup.verify import Pair, VerifiedPairs, check_pair

log = logging.getLogger("dedup")

SPARK_STAGES = ("read_clean_sketch", "templates", "candidates", "common", "verify", "components", "cluster")


@dataclass
class _Doc:
    """One document as the executors pass it between stages."""

    number: int
    doc_id: str
    record: str
    site: str
    names: tuple[str, ...]
    line_keys: np.ndarray
    shingles: np.ndarray
    figures: np.ndarray
    keys: np.ndarray
    rank: int
    body: str


@dataclass
class SparkScan:
    """What a Spark scan gives back: the cluster records (the scan contract, in order), the
    rejects, counts and the seconds of each stage."""

    records: list[dict[str, Any]]
    rejects: list[InputError]
    documents: int
    seconds: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)


def _read_file(item: tuple[int, str, str], config: Config, outlets: OutletTable) -> Iterator[tuple]:
    """Read and clean one file on an executor: ``(("doc", (file, position)), _Doc-fields)`` rows or rejects."""
    file_number, path, relpath = item
    options = clean_options(config)
    for position, found in enumerate(read_file(Path(path), relpath, config.max_file_bytes)):
        order = (file_number, position)
        if isinstance(found, InputError):
            yield ("reject", order, found)
            continue
        cleaned = prepare(found, config, outlets, options)
        if isinstance(cleaned, InputError):
            yield ("reject", order, cleaned)
            continue
        shingles, signature, figures = sketch_with_figures(cleaned.compared, config.shingle_size, config.num_perm,
                                                           config.seed, config.tokens)
        refused = rejected_after_cleaning(cleaned, len(shingles), config.min_shingles)
        if refused is not None:
            yield ("reject", order, refused)
            continue
        yield ("doc", order, _Doc((file_number << 32) | position, cleaned.id, cleaned.to_record(),
                                  cleaned.site, tuple(sorted(source_names(cleaned))),
                                  np.fromiter(document_line_keys(cleaned), dtype=np.uint64), shingles, figures,
                                  keys_of(cleaned.compared, signature, config), sample_rank(cleaned.id), cleaned.body))


def _redo(doc: _Doc, drop: frozenset[int], config: Config) -> _Doc:
    """Drop a document's template lines and sketch it again (the local engine's redo)."""
    if not drop:
        return doc
    compared = compared_without(doc.body, doc.site, drop)
    shingles, signature, figures = sketch_with_figures(compared, config.shingle_size, config.num_perm, config.seed,
                                                       config.tokens)
    return replace(doc, shingles=shingles, figures=figures, keys=keys_of(compared, signature, config))


def _key_chunks(rows: Iterable[tuple[int, _Doc]], config: Config,
                parts: int) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]:
    """One partition's keys as arrays, split by the part of the key space each key falls in:
    ``(part, (band keys, their documents, passage keys, their documents))``."""
    numbers, keys = [], []
    for number, doc in rows:
        numbers.append(number)
        keys.append(doc.keys)
    if not numbers:
        return
    table, owners = np.stack(keys), np.array(numbers, dtype=np.int64)
    bands = config.total_bands
    band_keys, band_owners = table[:, :bands].ravel(), np.repeat(owners, bands)
    passage_keys, passage_owners = table[:, bands:].ravel(), np.repeat(owners, table.shape[1] - bands)
    band_part, passage_part = band_keys % np.uint64(parts), passage_keys % np.uint64(parts)
    for part in range(parts):
        mine, theirs = band_part == part, passage_part == part
        yield part, (band_keys[mine], band_owners[mine], passage_keys[theirs], passage_owners[theirs])


def _part_pairs(chunks: Iterable[tuple[int, tuple[np.ndarray, ...]]], config: Config) -> Iterator[tuple[int, ...]]:
    """The distinct pairs one part of the key space proposes, through the shared bucket rule."""
    parts = [chunk for _, chunk in chunks]
    if not parts:
        return
    found = [owner_pairs(np.concatenate([chunk[keys_at] for chunk in parts]),
                         np.concatenate([chunk[owners_at] for chunk in parts]), cap)
             for keys_at, owners_at, cap in ((0, 1, config.max_bucket), (2, 3, config.max_passage_bucket))]
    yield from map(tuple, np.unique(np.concatenate(found), axis=0).tolist())


def _components(edges: Any, parts: int) -> Any:
    """``(node, component)`` for every node with an edge: large-star/small-star until nothing
    changes (Kiveris et al., "Connected components in MapReduce and beyond", 2014). Each
    component is labelled by its smallest node.
    """
    current = edges.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(parts).cache()
    while True:
        # large star: every node links its larger neighbours to the smallest of its neighbourhood and itself
        large = current.groupByKey(parts).flatMap(
            lambda kv: [(v, min(min(kv[1]), kv[0])) for v in kv[1] if v > kv[0]]).distinct(parts)
        # small star: every node links itself and its smaller neighbours to the smallest of them
        small = large.map(lambda e: (max(e), min(e))).groupByKey(parts).flatMap(
            lambda kv: [(v, min(min(kv[1]), kv[0])) for v in list(kv[1]) + [kv[0]] if v != min(min(kv[1]), kv[0])]
        ).distinct(parts).cache()
        previous = current.filter(lambda e: e[0] > e[1])
        changed = small.subtract(previous, parts).count() + previous.subtract(small, parts).count()
        current.unpersist()
        current = small.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(parts).cache()
        if not changed:
            break
    return current.filter(lambda e: e[0] > e[1]).union(
        current.map(lambda e: min(e)).distinct(parts).map(lambda n: (n, n))).coalesce(parts)


def _cluster_component(members: Sequence[tuple[int, _Doc, int]], pairs: Sequence[tuple[int, int, int, float, float]],
                       config: Config, outlets: OutletTable, profiles: SiteProfiles) -> list[tuple[tuple, dict]]:
    """Star clusters and the choice within one connected component; sort keys with the records."""
    members = sorted(members, key=lambda m: m[0])
    position = {number: k for k, (number, _, _) in enumerate(members)}
    docs = [profiles.mark_self(CleanDocument.from_record(doc.record)) for _, doc, _ in members]
    sizes = np.array([size for _, _, size in members], dtype=np.int64)
    evidence = [doc.shingles for _, doc, _ in members]
    verified = VerifiedPairs.of([Pair(position[a], position[b], inter, jac, cont)
                                 for a, b, inter, jac, cont in sorted(pairs)])
    _, clusters, _, _ = build_clusters(docs.__getitem__, evidence.__getitem__, sizes, verified, config, outlets)
    result = ScanResult(docs=LazySequence(len(docs), docs.__getitem__), shingles=evidence, labels=np.zeros(0),
                        clusters=clusters, candidates=np.zeros((0, 2), dtype=np.int64), pairs=verified,
                        profiles=profiles, config=config, lone_cluster=lone_cluster_maker(docs.__getitem__, sizes,
                                                                                          outlets))
    out = []
    for cluster in clusters:
        record = cluster_record(result, cluster, 0, outlets)
        out.append(((-len(cluster.members), record["canonical_id"], members[cluster.members[0]][0]), record))
    return out


def scan_spark(roots: Sequence[str], config: Config | None = None, outlets: OutletTable | None = None,
               master: str = "local[2]", partitions: int | None = None, spark: Any = None,
               min_size: int = 2, spark_conf: dict[str, str] | None = None) -> SparkScan:
    """Scan ``roots`` on Spark and return the cluster records of ``dedup scan``.

    ``spark`` is an active ``SparkSession`` to use (else one is started on ``master`` with the
    settings ``spark_conf``, such as ``spark.driver.memory``, and stopped at the end);
    ``partitions`` the number of partitions of the input (default: Spark's).
    """
    import os
    import sys

    from pyspark.sql import SparkSession

    # Executors run the same interpreter (and so the same dedup) as the driver unless told otherwise.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    config = config or Config()
    outlets = outlets or OutletTable.default()
    own = spark is None
    if own:
        builder = (SparkSession.builder.master(master).appName("dedup scan")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false"))
        for key, value in (spark_conf or {}).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    sc = spark.sparkContext
    seconds: dict[str, float] = {}
    try:
        return _scan(sc, roots, config, outlets, partitions, seconds, min_size)
    finally:
        if own:
            spark.stop()


def _scan(sc: Any, roots: Sequence[str], config: Config, outlets: OutletTable, partitions: int | None,
          seconds: dict[str, float], min_size: int) -> SparkScan:
    mark = time.perf_counter()
    walked = walk(roots)
    rejects: list[InputError] = list(walked.errors)
    files = [(k, str(path), rel) for k, (path, rel) in enumerate(walked.files)]
    slices = partitions or max(sc.defaultParallelism, 1)
    read = sc.parallelize(files, min(slices, max(len(files), 1))).flatMap(
        lambda item: _read_file(item, config, outlets)).cache()
    rejects += [row[2] for row in read.filter(lambda row: row[0] == "reject").sortBy(lambda row: row[1]).collect()]
    # A document's number is its place in the input (file order, then position in the file), so
    # numbers order documents as the local engine does, whatever the partitioning; only (id,
    # number) pairs are shuffled to find a second document with an id already seen.
    numbers = read.filter(lambda row: row[0] == "doc").map(lambda row: (row[2].doc_id, row[2].number))
    firsts = numbers.reduceByKey(min)
    later = numbers.join(firsts).filter(lambda kv: kv[1][0] != kv[1][1]).map(lambda kv: kv[1][0])
    duplicates_b = sc.broadcast(frozenset(later.collect()))
    # named by id, as the local engine names a duplicate it meets among its collected documents
    for _, doc_id in sorted(read.filter(lambda row: row[0] == "doc" and row[2].number in duplicates_b.value)
                            .map(lambda row: (row[2].number, row[2].doc_id)).collect()):
        rejects.append(duplicate_id(doc_id))
    docs = read.filter(lambda row: row[0] == "doc" and row[2].number not in duplicates_b.value).map(
        lambda row: (row[2].number, row[2])).cache()
    docs.count()  # each stage is materialised before the next, so that its time is its own
    read.unpersist()
    seconds["read_clean_sketch"] = time.perf_counter() - mark

    # Site templates: counts merged on the executors, the per-site thresholds small enough to broadcast.
    mark = time.perf_counter()
    site_docs = dict(docs.map(lambda kv: (kv[1].site, 1)).reduceByKey(lambda a, b: a + b).collect())
    profiles = SiteProfiles()
    needed = {site: template_threshold(count, profiles.min_count, profiles.min_share) for site, count in site_docs.items()}
    needed_b = sc.broadcast(needed)
    line_counts = docs.flatMap(lambda kv: [(int(key), (kv[1].site, 1)) for key in kv[1].line_keys.tolist()]) \
        .reduceByKey(lambda a, b: (a[0], a[1] + b[1]))
    template = set(line_counts.filter(lambda kv: kv[1][1] >= needed_b.value[kv[1][0]]).keys().collect())
    template_b = sc.broadcast(frozenset(template))
    docs = docs.mapValues(lambda doc: _redo(doc, frozenset(int(k) for k in doc.line_keys
                                                           if int(k) in template_b.value), config)).cache()
    sources: dict[str, Counter[str]] = {}
    for site, names in docs.map(lambda kv: (kv[1].site, Counter(kv[1].names))).reduceByKey(
            lambda a, b: a + b).collect():
        sources[site] = names
    profiles = SiteProfiles(Counter(site_docs), Counter(), sources)
    # The body was kept for the template stage only: later stages move documents without it.
    valid = docs.filter(lambda kv: len(kv[1].shingles) >= config.min_shingles).mapValues(_without_body).cache()
    valid.count()
    for _, doc in docs.filter(lambda kv: len(kv[1].shingles) < config.min_shingles).collect():
        rejects.append(rejected_after_templates(CleanDocument.from_record(doc.record), len(doc.shingles),
                                                config.min_shingles))
    seconds["templates"] = time.perf_counter() - mark

    # Candidates: every key is shuffled, as numpy chunks, to the part of the key space it falls in;
    # each part groups its keys (a band's keys never meet another band's, nor a passage's) with
    # the same caps as the local engine.
    mark = time.perf_counter()
    candidates = valid.mapPartitions(lambda rows: _key_chunks(rows, config, slices)).partitionBy(slices).mapPartitions(
        lambda chunks: _part_pairs(chunks, config)).distinct(slices).cache()
    stats = {"candidates": candidates.count()}
    seconds["candidates"] = time.perf_counter() - mark

    # The common set from the same order-independent sample as the local engine's.
    mark = time.perf_counter()
    sample = valid.map(lambda kv: (kv[1].rank, kv[0], kv[1].shingles, kv[1].keys)).takeOrdered(
        config.common_sample, key=lambda row: row[0])
    sample.sort(key=lambda row: row[1])
    sample_keys = np.array([row[3] for row in sample], dtype=np.uint64).reshape(len(sample), config.total_keys)
    common = CommonShingles.learn([row[2] for row in sample], sample_pairs(
        np.repeat(np.arange(len(sample)), config.total_keys), sample_keys.ravel(), config.max_bucket), config)
    common_b = sc.broadcast(common)
    seconds["common"] = time.perf_counter() - mark

    # Verification next to the sketches: each pair meets its two documents' evidence by joins.
    mark = time.perf_counter()
    evidence = valid.mapValues(lambda doc: (common_b.value.evidence(doc.shingles), doc.figures)).cache()
    left = candidates.map(lambda p: (p[0], p[1])).join(evidence).map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
    joined = left.join(evidence).map(lambda kv: (kv[1][0][0], kv[0], kv[1][0][1], kv[1][1]))
    verified = joined.flatMap(lambda row: _checked(row, config)).cache()
    stats["verified"] = verified.count()
    seconds["verify"] = time.perf_counter() - mark

    # Connected components of the verified edges, then star clusters and the choice in each.
    mark = time.perf_counter()
    component = _components(verified.map(lambda row: (row[0], row[1])), slices).cache()
    stats["components"] = component.map(lambda kv: kv[1]).distinct().count()
    seconds["components"] = time.perf_counter() - mark
    mark = time.perf_counter()
    members = component.join(valid).map(lambda kv: (kv[1][0], _member(kv[0], kv[1][1], common_b.value)))
    edges_by_component = verified.map(lambda row: (row[0], row)).join(component).map(lambda kv: (kv[1][1], kv[1][0]))
    profiles_b = sc.broadcast(profiles)
    clustered = members.cogroup(edges_by_component).flatMap(
        lambda kv: _cluster_component(list(kv[1][0]), list(kv[1][1]), config, outlets, profiles_b.value))
    records = [record for _, record in clustered.sortBy(lambda item: item[0]).collect()
               if record["size"] >= min_size]
    for number, record in enumerate(records, 1):
        record["cluster_id"] = f"c{number:06d}"
    seconds["cluster"] = time.perf_counter() - mark
    return SparkScan(records, rejects, valid.count(), seconds, stats)


def _without_body(doc: _Doc) -> _Doc:
    return replace(doc, body="")


def _member(number: int, doc: _Doc, common: CommonShingles) -> tuple[int, _Doc, int]:
    """A component member: its number, the document with its evidence set, and that set's size."""
    with_evidence = _with_evidence(doc, common)
    return number, with_evidence, len(with_evidence.shingles)


def _with_evidence(doc: _Doc, common: CommonShingles) -> _Doc:
    return replace(doc, shingles=common.evidence(doc.shingles))


def _checked(row: tuple[int, int, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
             config: Config) -> list[tuple[int, int, int, float, float]]:
    a, b, (shingles_a, figures_a), (shingles_b, figures_b) = row
    found = check_pair(shingles_a, shingles_b, figures_a, figures_b, config)
    return [] if found is None else [(a, b, *found)]


__all__ = ["SparkScan", "scan_spark", "SPARK_STAGES"]
