"""The Spark engine: the local engine's stages, orchestrated on Spark executors.

Every rule is the one the local engine runs, imported from its module: reading
(:mod:`dedup.io.readers`), cleaning (:func:`dedup.stages.prepare.prepare`), sketching and keying
(:func:`dedup.stages.candidates.sketch_document`), site templates
(:mod:`dedup.stages.templates`), bucket caps (:func:`dedup.stages.candidates.owner_pairs`), the common set
(:mod:`dedup.stages.common_shingles`), verification (:func:`dedup.stages.verify.check_pair`) and star clusters with the
canonical choice (:func:`dedup.stages.result.build_clusters`). Spark only moves the data: documents are
numbered by their input order (file order of the walk, then position in the file; Parquet rows
by id), never by partition, so the output does not depend on how the input is split.

Inputs are local paths (read by Python on the executors), Hadoop paths (``hdfs://``, ``s3a://``,
``file://``: listed by Hadoop's file system, read by ``binaryFiles``) and Parquet files. Every
stage runs on the executors; the driver holds only what grows with the sites (template keys,
source names), the common-shingle sample, duplicate ids and rejects. Connected components of the
verified edges come from the large-star/small-star iteration. ``dedup/spark_job.py`` is the file
``spark-submit`` runs.

>>> from dedup.engines.spark.scan import SPARK_STAGES
>>> SPARK_STAGES[0]
'read_clean_sketch'
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.engines.spark.blocks import (
    best_of,
    checked,
    cluster_component,
    first_side,
    key_chunks,
    lean,
    lone_rows,
    member_row,
    merged,
    named_evidence,
    pack_pieces,
    part_pairs,
    sample_rows,
    site_sums,
    site_template,
)
from dedup.engines.spark.inputs import (
    PARTITION_BYTES,
    file_key,
    is_hadoop_path,
    list_inputs,
    read_hadoop_bytes,
    read_local,
    read_parquet,
)
from dedup.engines.spark.java import ensure_java
from dedup.engines.spark.joins import aligned, components, keep, map_side_join, numbered, with_blocks
from dedup.errors import InputError
from dedup.outputs.files import output_file
from dedup.sites import SiteCounts
from dedup.stages.common_shingles import CommonShingles
from dedup.stages.prepare import (
    duplicate_id,
    rejected_after_templates,
)
from dedup.stages.templates import (
    SiteProfiles,
)
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")

SPARK_STAGES = ("read_clean_sketch", "templates", "candidates", "common", "verify", "components", "cluster")


@dataclass
class SparkScan:
    """What a Spark scan gives back: the cluster records (the scan contract, in order), the
    rejects, counts and the seconds of each stage."""

    records: list[dict[str, Any]]
    rejects: list[InputError]
    documents: int
    seconds: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
EDGES_PER_PARTITION = 1 << 20
"""Verified edges per partition of the connected-components iteration."""


def scan_spark(roots: Sequence[str], config: Config | None = None, outlets: OutletTable | None = None,
               master: str | None = "local[2]", partitions: int | None = None, spark: Any = None,
               min_size: int = 2, spark_conf: dict[str, str] | None = None, output: str | TextIO | None = None,
               output_format: str = "jsonl") -> SparkScan:
    """Scan ``roots`` (local paths or Hadoop paths: directories, files, Parquet) on Spark and
    write the cluster records of ``dedup scan``.

    ``spark`` is an active ``SparkSession`` to use (else one is started on ``master`` with the
    settings ``spark_conf``, such as ``spark.driver.memory``, and stopped at the end; ``master``
    None leaves it to ``spark-submit``); ``partitions`` the number of partitions (default: Spark's).
    ``output``: None returns the records in :attr:`SparkScan.records` (small corpora); an open
    text file or a file path gets JSON Lines streamed by the driver; a directory (see
    :func:`writes_part_files`) gets part files written by the executors, as JSON Lines or, with
    ``output_format="parquet"``, Parquet.

    >>> scan_spark(["news/"], output_format="csv")
    Traceback (most recent call last):
    ...
    ValueError: output_format must be 'jsonl' or 'parquet', not 'csv'
    """
    if output_format not in ("jsonl", "parquet"):
        raise ValueError(f"output_format must be 'jsonl' or 'parquet', not {output_format!r}")
    if output_format == "parquet" and not isinstance(output, str):
        raise ValueError("output_format='parquet' needs an output directory")
    if min_size < 1:
        raise ValueError(f"min_size must be at least 1, not {min_size}")
    import os
    import sys

    from pyspark.sql import SparkSession

    config = config or Config()
    outlets = outlets or OutletTable.default()
    own = spark is None
    if own:
        ensure_java()
        if master is not None and master.startswith("local"):
            # Local executors run the driver's interpreter (and so its dedup) unless told otherwise.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder if master is None else SparkSession.builder.master(master)
        builder = (builder.appName("dedup scan")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false"))
        settings = dict(spark_conf or {})
        if master is not None and master.startswith("local"):
            # In local mode the driver's JVM is the executors too: Spark's default of 1 GiB runs
            # out of heap while a 100k-document corpus is cached; give it a quarter of the memory.
            settings.setdefault("spark.driver.memory", local_driver_memory())
        for key, value in settings.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    seconds: dict[str, float] = {}
    try:
        return _scan(spark, roots, config, outlets, partitions, seconds, min_size, output, output_format)
    finally:
        if own:
            spark.stop()


def local_driver_memory() -> str:
    """The driver memory a local-mode scan asks for when none is given: a quarter of the machine's
    memory, between 1 and 16 GiB.

    >>> local_driver_memory()[-1]
    'g'
    """
    import os

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2g"
    return f"{max(1, min(16, total // 4 >> 30))}g"


@dataclass
class _Run:
    """What every stage of one Spark scan shares: the session, the settings, the partition count,
    the rejects found so far and the figures and seconds of each stage."""

    spark: Any
    config: Config
    outlets: OutletTable
    slices: int
    seconds: dict[str, float]
    stats: dict[str, int] = field(default_factory=dict)
    rejects: list[InputError] = field(default_factory=list)

    @property
    def sc(self) -> Any:
        return self.spark.sparkContext

    def done(self, stage: str, mark: float) -> None:
        _stage_done(self.seconds, stage, mark, self.stats)


def _scan(spark: Any, roots: Sequence[str], config: Config, outlets: OutletTable, partitions: int | None,
          seconds: dict[str, float], min_size: int, output: str | TextIO | None, output_format: str) -> SparkScan:
    """Every stage of a Spark scan, one function each (:data:`SPARK_STAGES`)."""
    sc = spark.sparkContext
    listing = list_inputs(sc, roots)
    # Partitions of about 32 MiB of input each, a multiple of the cores: small enough that a
    # stage's cached data spills in pieces, big enough that per-task costs stay small.
    cores = max(sc.defaultParallelism, 1)
    slices = partitions or cores * max(1, -(-listing.bytes // (PARTITION_BYTES * cores)))
    run = _Run(spark, config, outlets, slices, seconds, rejects=list(listing.errors))
    found, packed, duplicates_b = _read_stage(run, listing)
    blocks, profiles = _template_stage(run, found, packed, duplicates_b)
    candidates = _candidate_stage(run, blocks)
    common_b = _common_stage(run, blocks)
    evidence, verified = _verify_stage(run, blocks, candidates, common_b, min_size)
    component = _component_stage(run, verified)
    ordered = _cluster_stage(run, evidence, verified, component, profiles, min_size)
    mark = time.perf_counter()
    records = _write(spark, ordered, output, output_format)
    run.done("write", mark)
    return SparkScan(records, run.rejects, run.stats["documents"], seconds, run.stats)


def _read_stage(run: _Run, listing: Any) -> tuple[Any, Any, Any]:
    """Read, clean and sketch on the executors; returns the read pieces, the persisted rows they
    came in with, and the broadcast numbers of documents whose id was seen before."""
    mark = time.perf_counter()
    sc, config, outlets, slices = run.sc, run.config, run.outlets, run.slices
    pieces = []
    total_keys = config.total_keys

    def pack(rows: Iterable[tuple]) -> Iterator[tuple]:
        return pack_pieces(rows, slices, total_keys)

    if listing.local:
        pieces.append(sc.parallelize(listing.local, min(slices, len(listing.local))).flatMap(
            lambda item: read_local(item, config, outlets)).mapPartitions(pack))
    if listing.hadoop:
        names_b = sc.broadcast({file_key(uri): (number, relpath) for number, uri, relpath in listing.hadoop})
        pieces.append(sc.binaryFiles(",".join(uri for _, uri, _ in listing.hadoop), slices).map(
            lambda kv: (*names_b.value[file_key(kv[0])], kv[1])).flatMap(
            lambda item: read_hadoop_bytes(item, config, outlets)).mapPartitions(pack))
    if listing.parquet:
        pieces.append(read_parquet(run.spark, listing.parquet, listing.count, config, outlets).mapPartitions(pack))
    log.info("spark: %d files (%d local, %d Hadoop, %d Parquet), %d partitions", listing.count, len(listing.local),
             len(listing.hadoop), len(listing.parquet), slices)
    # Each read partition hands over its rejects and, for every partition its documents go to,
    # one block of them (columns, not one object per document).
    packed = (sc.union(pieces) if pieces else sc.parallelize([], 1)).persist(keep())
    run.rejects += [error for _, error in sorted(packed.filter(lambda row: row[0] == "reject").map(
        lambda row: (row[1], row[2])).collect(), key=lambda item: item[0])]
    found = packed.filter(lambda row: row[0] == "piece")
    # A document's number is its place in the input (file order, then position in the file), so
    # numbers order documents as the local engine does, whatever the partitioning; only (id,
    # number) pairs are shuffled to find a second document with an id already seen.
    later = found.flatMap(lambda row: row[2].named()).groupByKey(slices).flatMap(
        lambda kv: [(number, kv[0]) for number in sorted(kv[1])[1:]])
    duplicated = sorted(later.collect())
    run.rejects += [duplicate_id(doc_id) for _, doc_id in duplicated]
    duplicates_b = sc.broadcast(frozenset(number for number, _ in duplicated))
    run.done("read_clean_sketch", mark)
    return found, packed, duplicates_b


def _template_stage(run: _Run, found: Any, packed: Any, duplicates_b: Any) -> tuple[Any, SiteProfiles]:
    """Site templates: each partition sums its documents per site (their count, the counts of their
    line keys, the names they give as source); the partial sums of a site meet on one executor,
    which keeps the lines frequent enough to be template. Only those and the per-site counts reach
    the driver, to be broadcast: what grows with the corpus (every line key) never leaves the
    executors. Returns the blocks (one per partition, cached) and the site profiles."""
    mark = time.perf_counter()
    sc, config, slices = run.sc, run.config, run.slices
    profiles = SiteProfiles()
    min_count, min_share = profiles.min_count, profiles.min_share
    sites = found.mapPartitions(lambda rows: site_sums((row[2] for row in rows), duplicates_b.value)).reduceByKey(
        SiteCounts.merge, slices).map(lambda kv: (kv[0], site_template(kv[1], kv[0], min_count, min_share))).collect()
    profiles = SiteProfiles(Counter({site: count for site, (count, _, _) in sites}), Counter(),
                            {site: names for site, (_, _, names) in sites})
    template_b = sc.broadcast(frozenset(key for _, (_, keys, _) in sites for key in keys))
    # Pages carrying template lines are sketched again and what only this stage needed (bodies,
    # line keys) goes before the pieces meet in their partition as one block. Pages emptied by the
    # cut are reported through an accumulator in the same pass (a task run twice reports a page
    # twice: they are told apart by number).
    emptied = sc.accumulator([], _ListParam())
    blocks = found.map(lambda row: (row[1], lean(row[2], template_b.value, duplicates_b.value, config, emptied))) \
        .partitionBy(slices).mapPartitions(merged, preservesPartitioning=True).persist(keep())
    run.stats["documents"] = blocks.map(lambda kv: len(kv[1])).sum()
    for _, (record, size) in sorted({number: (record, size) for number, record, size in emptied.value}.items()):
        run.rejects.append(rejected_after_templates(CleanDocument.from_record(record), size, config.min_shingles))
    packed.unpersist()
    run.done("templates", mark)
    return blocks, profiles


def _candidate_stage(run: _Run, blocks: Any) -> Any:
    """Candidates: every key is shuffled, as numpy chunks, to the part of the key space it falls
    in; each part groups its keys (a band's keys never meet another band's, nor a passage's) with
    the same caps as the local engine. Two parts of the key space can propose one pair: pairs go
    to their first document's partition (where verification needs them) and are made distinct there."""
    mark = time.perf_counter()
    config, slices = run.config, run.slices
    proposed = blocks.mapPartitions(lambda rows: key_chunks(rows, config, slices)).partitionBy(slices).mapPartitions(
        lambda chunks: part_pairs(chunks, config)).persist(keep())
    partnered = proposed.filter(lambda item: item[0] == "partners").map(
        lambda item: (item[1][0], (item[1][1], item[1][2]))).groupByKey(slices).flatMap(
        lambda kv: [(min(kv[0], other), max(kv[0], other)) for other in best_of(kv[1], config)])
    candidates = proposed.filter(lambda item: item[0] == "pair").map(lambda item: item[1]).union(partnered) \
        .partitionBy(slices).mapPartitions(lambda pairs: iter(set(pairs)), preservesPartitioning=True).persist(keep())
    run.stats["candidates"] = candidates.count()
    proposed.unpersist()
    run.done("candidates", mark)
    return candidates


def _common_stage(run: _Run, blocks: Any) -> Any:
    """The common set from the same order-independent sample as the local engine's, broadcast.
    First the sample's numbers (the lowest id hashes: small rows from every partition), then their
    sketches alone: what reaches the driver is the sample's size, whatever the corpus's."""
    mark = time.perf_counter()
    config = run.config
    chosen = blocks.flatMap(lambda kv: kv[1].ranked()).takeOrdered(config.common_sample)
    chosen_b = run.sc.broadcast(frozenset(number for _, number in chosen))
    sample = sorted(blocks.flatMap(lambda kv: sample_rows(kv[1], chosen_b.value)).collect(), key=lambda row: row[1])
    common = CommonShingles.from_sample([row[2] for row in sample], np.array([row[3] for row in sample]), config)
    common_b = run.sc.broadcast(common)
    run.done("common", mark)
    return common_b


def _verify_stage(run: _Run, blocks: Any, candidates: Any, common_b: Any, min_size: int) -> tuple[Any, Any]:
    """Verification next to the sketches: pairs are in their first document's partition, so its
    evidence is at hand; the pair travels with it to the second document's partition: evidence
    crosses the network once per pair. Returns the evidence blocks and the verified pairs."""
    mark = time.perf_counter()
    slices = run.slices
    if min_size <= 1:
        evidence = blocks.mapValues(lambda block: block.evidence(common_b.value)).persist(keep())
    else:
        # Only documents a candidate pair names are compared and clustered: the others go here.
        named = candidates.flatMap(lambda pair: pair).map(lambda number: (number, None)).partitionBy(slices)
        evidence = aligned(blocks, named).mapPartitions(lambda items: named_evidence(items, common_b.value),
                                                     preservesPartitioning=True).persist(keep())
    evidence.count()
    blocks.unpersist()
    left = with_blocks(evidence, candidates, first_side)
    verified = with_blocks(evidence, left.partitionBy(slices), checked(run.config)).persist(keep())
    run.stats["verified"] = verified.count()
    run.done("verify", mark)
    return evidence, verified


def _component_stage(run: _Run, verified: Any) -> Any:
    """Connected components of the verified edges (the graph is far smaller than the documents:
    partitions for about a million edges each)."""
    mark = time.perf_counter()
    stats = run.stats
    cores = max(run.sc.defaultParallelism, 1)
    edge_parts = cores * max(1, -(-stats["verified"] // (EDGES_PER_PARTITION * cores)))
    component = components(verified.map(lambda row: (row[0], row[1])), edge_parts).partitionBy(run.slices) \
        .persist(keep())
    sizes = component.map(lambda kv: (kv[1], 1)).reduceByKey(lambda a, b: a + b, edge_parts).values()
    stats["components"], stats["largest_component"] = sizes.count(), sizes.max() if stats["verified"] else 0
    run.done("components", mark)
    return component


def _cluster_stage(run: _Run, evidence: Any, verified: Any, component: Any, profiles: SiteProfiles,
                   min_size: int) -> Any:
    """Star clusters and the choice in each component, on one executor per component; the records
    sorted and numbered in the local engine's order (size, then canonical id): a sort and an
    index, on the executors. The records are kept, since the sort reads them twice."""
    mark = time.perf_counter()
    config, outlets, slices = run.config, run.outlets, run.slices
    members = with_blocks(evidence, component, member_row)
    edges_by_component = map_side_join(verified.map(lambda row: (row[0], row)).partitionBy(slices), component).map(
        lambda kv: (kv[1][1], kv[1][0]))
    profiles_b = run.sc.broadcast(profiles)
    lone = min_size <= 1
    clustered = members.cogroup(edges_by_component).flatMap(
        lambda kv: cluster_component(list(kv[1][0]), list(kv[1][1]), config, outlets, profiles_b.value, lone))
    if lone:
        # every document no verified pair touches is a cluster of one, after the clusters, in input order
        clustered = clustered.union(aligned(evidence, component).mapPartitions(
            lambda items: lone_rows(items, config, outlets, profiles_b.value)))
    clustered = clustered.filter(lambda item: item[1]["size"] >= min_size).persist(keep())
    ordered = clustered.sortByKey(numPartitions=slices).values().zipWithIndex().map(numbered).persist(keep())
    run.stats["clusters"] = ordered.count()
    run.done("cluster", mark)
    return ordered


class _ListParam:
    """An accumulator of lists (Spark's ``AccumulatorParam`` protocol)."""

    def zero(self, value: list[Any]) -> list[Any]:
        return []

    def addInPlace(self, value1: list[Any], value2: list[Any]) -> list[Any]:  # noqa: N802 - Spark's name
        value1.extend(value2)
        return value1


def _stage_done(seconds: dict[str, float], stage: str, mark: float, stats: dict[str, int]) -> None:
    """Record a stage's seconds and say so in the driver's log, with the counts known so far."""
    seconds[stage] = time.perf_counter() - mark
    log.info("spark: %s done in %.1f s (%s)", stage, seconds[stage],
             ", ".join(f"{name} {value:,}" for name, value in stats.items()) or "-")


def writes_part_files(output: str, output_format: str = "jsonl") -> bool:
    """Whether ``output`` gets a directory of part files written by the executors (Parquet, a
    Hadoop path, an existing directory or a path ending in ``/``) rather than one file from the driver.

    >>> writes_part_files("clusters.jsonl"), writes_part_files("hdfs://nn/out/clusters"), writes_part_files("out/")
    (False, True, True)
    """
    return (output_format == "parquet" or is_hadoop_path(output) or output.endswith("/")
            or Path(output).is_dir())


def _write(spark: Any, ordered: Any, output: str | TextIO | None, output_format: str) -> list[dict[str, Any]]:
    """Write the numbered records: returned (no ``output``), streamed by the driver one partition
    at a time into one file, or written as part files (JSON Lines or Parquet) by the executors."""
    if output is None:
        return list(ordered.collect())
    if not isinstance(output, str):
        for record in ordered.toLocalIterator():
            output.write(json.dumps(record, ensure_ascii=False) + "\n")
        return []
    lines = ordered.map(lambda record: json.dumps(record, ensure_ascii=False))
    if output_format == "parquet":
        spark.read.json(lines).write.parquet(output)
    elif writes_part_files(output):
        lines.saveAsTextFile(output)
    else:
        with output_file(output) as handle:
            for line in lines.toLocalIterator():
                handle.write(line + "\n")
    return []


__all__ = ["SparkScan", "scan_spark", "SPARK_STAGES", "is_hadoop_path", "writes_part_files"]
