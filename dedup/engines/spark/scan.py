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

import contextlib
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlparse

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.errors import InputError
from dedup.io.formats import READER_FIELDS, SUPPORTED_SUFFIXES, format_of, read_data, read_file, walk
from dedup.io.readers import record_document
from dedup.outputs.records import cluster_record
from dedup.sites import SiteCounts
from dedup.stages.candidates import owner_pairs
from dedup.stages.common_shingles import CommonShingles
from dedup.stages.partners import PartnerHeaps, part_partners, passage_rows_of
from dedup.stages.prepare import (
    clean_options,
    duplicate_id,
    prepare_document,
    rejected_after_templates,
    resketch,
)
from dedup.stages.result import Clustered, LazySequence, ScanResult, build_clusters, scan_result
from dedup.stages.templates import (
    SiteProfiles,
    template_lines,
)
from dedup.stages.verify import Pair, VerifiedPairs, check_pair
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")


def _keep() -> Any:
    """How stages keep their data: in memory and on disk, so that blocks evicted from memory go to
    local disk rather than being computed again from the input."""
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK

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


@dataclass
class _Ragged:
    """Arrays of different lengths kept as one: ``flat[offsets[i]:offsets[i + 1]]`` is the i-th.
    A partition's sets pickle as two arrays, not as one object per document."""

    flat: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray], dtype: Any) -> _Ragged:
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=offsets[1:])
        flat = np.concatenate(arrays).astype(dtype, copy=False) if len(arrays) else np.zeros(0, dtype=dtype)
        return cls(flat, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> np.ndarray:
        return self.flat[self.offsets[index]:self.offsets[index + 1]]

    def rows(self) -> list[np.ndarray]:
        return [self[index] for index in range(len(self))]


@dataclass
class _Block:
    """The documents of one partition, in number order, as columns.

    Spark moves and caches a partition's documents as this one object: numpy columns pickle as
    their buffers, where one Python object per document would be pickled field by field at every
    pass. Columns go once their last stage has run: ``bodies``, ``sites``, ``names`` and
    ``line_keys`` after the templates, ``keys`` and ``ranks`` after the common set; then
    ``shingles`` holds the evidence (common shingles left out).
    """

    numbers: np.ndarray
    records: list[str]
    shingles: _Ragged
    figures: _Ragged
    keys: np.ndarray | None = None
    ranks: np.ndarray | None = None
    ids: list[str] | None = None
    sites: list[str] | None = None
    names: list[tuple[str, ...]] | None = None
    line_keys: _Ragged | None = None
    bodies: list[str] | None = None

    @classmethod
    def of(cls, docs: Sequence[_Doc], total_keys: int) -> _Block:
        docs = sorted(docs, key=lambda doc: doc.number)
        return cls(np.array([doc.number for doc in docs], dtype=np.int64), [doc.record for doc in docs],
                   _Ragged.of([doc.shingles for doc in docs], np.uint32),
                   _Ragged.of([doc.figures for doc in docs], np.uint64),
                   np.array([doc.keys for doc in docs], dtype=np.uint64).reshape(len(docs), total_keys),
                   np.array([doc.rank for doc in docs], dtype=np.int64), [doc.doc_id for doc in docs],
                   [doc.site for doc in docs], [doc.names for doc in docs],
                   _Ragged.of([doc.line_keys for doc in docs], np.uint64), [doc.body for doc in docs])

    def docs(self) -> list[_Doc]:
        """The block's documents one by one (while every column is still there)."""
        assert self.keys is not None and self.ranks is not None and self.ids is not None
        assert self.sites is not None and self.names is not None and self.line_keys is not None
        assert self.bodies is not None
        return [_Doc(number, self.ids[k], self.records[k], self.sites[k], self.names[k], self.line_keys[k],
                     self.shingles[k], self.figures[k], self.keys[k], rank, self.bodies[k])
                for k, (number, rank) in enumerate(zip(self.numbers.tolist(), self.ranks.tolist(), strict=True))]

    def __len__(self) -> int:
        return len(self.numbers)

    def position(self, number: int) -> int:
        """Where document ``number`` is in the block (it must be there)."""
        return int(np.searchsorted(self.numbers, number))

    def named(self) -> Iterator[tuple[str, int]]:
        """``(id, number)`` of every document."""
        assert self.ids is not None
        return zip(self.ids, self.numbers.tolist(), strict=True)

    def ranked(self) -> Iterator[tuple[int, int]]:
        """``(rank, number)`` of every document: the common set's sample takes the lowest ranks."""
        assert self.ranks is not None
        return zip(self.ranks.tolist(), self.numbers.tolist(), strict=True)

    def evidence(self, common: CommonShingles, only: set[int] | None = None) -> _Block:
        """The block for verification and clusters: numbers, records, evidence sets and figures
        (of the documents numbered in ``only``, when given)."""
        kept = range(len(self)) if only is None else [k for k, n in enumerate(self.numbers.tolist()) if n in only]
        return _Block(self.numbers[list(kept)], [self.records[k] for k in kept],
                      _Ragged.of([common.evidence(self.shingles[k]) for k in kept], np.uint32),
                      _Ragged.of([self.figures[k] for k in kept], np.uint64))


PARTITION_BYTES = 32 << 20
"""Input bytes per partition when the caller names no number of partitions."""
EDGES_PER_PARTITION = 1 << 20
"""Verified edges per partition of the connected-components iteration."""


@dataclass
class _Listing:
    """The input files in the walk's order, each with its number: read by the executors from a
    local path, from a Hadoop path (``hdfs://``, ``s3a://``, ``file://``: bytes through
    ``binaryFiles``), or as Parquet."""

    local: list[tuple[int, str, str]] = field(default_factory=list)
    hadoop: list[tuple[int, str, str]] = field(default_factory=list)
    parquet: list[tuple[int, str, str]] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    count: int = 0
    bytes: int = 0

    def add(self, kind: str, location: str, relpath: str, size: int) -> None:
        getattr(self, kind).append((self.count, location, relpath))
        self.count += 1
        self.bytes += size


def is_hadoop_path(path: str) -> bool:
    """Whether ``path`` is a URI that Hadoop's file systems read (``hdfs://``, ``s3a://``,
    ``file://``) rather than a plain path that Python on the executors opens.

    >>> is_hadoop_path("s3a://news/2024/"), is_hadoop_path("file:///data/news"), is_hadoop_path("/data/news")
    (True, True, False)
    """
    return len(urlparse(path).scheme) > 1


def _walk_order(relpath: str) -> tuple[tuple[str, ...], str]:
    # the local walk's order: a directory's files, then its subdirectories, each sorted by name
    parts = relpath.split("/")
    return tuple(parts[:-1]), parts[-1]


def _is_parquet(relpath: str) -> bool:
    # Spark reads Parquet itself (its row groups split across tasks), not through the file's bytes
    found = format_of(relpath)
    return found is not None and found.name == "parquet"


def _list_inputs(sc: Any, roots: Sequence[str]) -> _Listing:
    """Every supported file under ``roots`` (local or Hadoop paths), numbered in the walk's order."""
    listing = _Listing()
    suffixes = SUPPORTED_SUFFIXES
    for root in roots:
        if is_hadoop_path(root):
            found, errors = _hadoop_files(sc, root, suffixes)
            listing.errors += errors
            for uri, relpath, size in found:
                listing.add("parquet" if _is_parquet(relpath) else "hadoop", uri, relpath, size)
            continue
        walked = walk([root], suffixes)
        listing.errors += walked.errors
        for path, relpath in walked.files:
            size = 0
            with contextlib.suppress(OSError):
                size = path.stat().st_size
            listing.add("parquet" if _is_parquet(relpath) else "local", str(path), relpath, size)
    return listing


def _hadoop_files(sc: Any, root: str, suffixes: tuple[str, ...]) -> tuple[list[tuple[str, str, int]], list[InputError]]:
    """``(URI, path relative to root, size)`` of the files under a Hadoop path, listed by its file system."""
    jvm = sc._jvm
    base = jvm.org.apache.hadoop.fs.Path(root)
    try:
        system = base.getFileSystem(sc._jsc.hadoopConfiguration())
        qualified = system.makeQualified(base)
        if not system.exists(qualified):
            return [], [InputError(root, "no such path", kind="unreadable")]
        prefix = qualified.toString().rstrip("/") + "/"
        found = []
        files = system.listFiles(qualified, True)
        while files.hasNext():
            status = files.next()
            uri = status.getPath().toString()
            relpath = uri[len(prefix):] if uri.startswith(prefix) else uri.rsplit("/", 1)[-1]
            name = relpath.rsplit("/", 1)[-1]
            if name.lower().endswith(suffixes) and not name.startswith(("_", ".")):
                found.append((uri, relpath, int(status.getLen())))
    except Exception as exc:  # py4j hands over the JVM's IOException
        return [], [InputError(root, f"cannot list: {exc}", kind="unreadable")]
    found.sort(key=lambda item: _walk_order(item[1]))
    return found, []


def _file_key(uri: str) -> str:
    """One spelling of a file's location, whether Spark or the listing wrote it."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return str(Path(unquote(parsed.path)).resolve())
    return f"{parsed.scheme}://{parsed.netloc}{unquote(parsed.path)}"


def _prepared(order: tuple[int, int], found: Document | InputError, config: Config, outlets: OutletTable,
              options: Any) -> tuple:
    """One read document, cleaned and sketched on an executor: a ``("doc", order, _Doc)`` row or
    a ``("reject", order, InputError)`` row."""
    if isinstance(found, InputError):
        return ("reject", order, found)
    ready = prepare_document(found, config, outlets, options)
    if isinstance(ready, InputError):
        return ("reject", order, ready)
    cleaned, sketched = ready.doc, ready.sketch
    return ("doc", order, _Doc((order[0] << 32) | order[1], cleaned.id, cleaned.to_record(), cleaned.site, ready.names,
                               ready.line_keys, sketched.shingles, sketched.figures, sketched.keys, ready.rank,
                               cleaned.body))


def _read_local(item: tuple[int, str, str], config: Config, outlets: OutletTable) -> Iterator[tuple]:
    """Read and clean one file from a path the executor sees."""
    file_number, path, relpath = item
    options = clean_options(config)
    for position, found in enumerate(read_file(Path(path), relpath, config.max_file_bytes)):
        yield _prepared((file_number, position), found, config, outlets, options)


def _read_bytes(item: tuple[int, str, bytes], config: Config, outlets: OutletTable) -> Iterator[tuple]:
    """Read and clean one file that Spark read from a Hadoop path."""
    file_number, relpath, data = item
    options = clean_options(config)
    for position, found in enumerate(read_data(data, relpath, config.max_file_bytes)):
        yield _prepared((file_number, position), found, config, outlets, options)


def _parquet_row(row: dict[str, Any], relpath: str) -> tuple[tuple[str, str], Document | InputError]:
    """A Parquet row as a document, with the key that numbers it: its id (a row without one is
    named by a hash of its text), so that numbers never depend on how Spark split the file."""
    text = row.get("text")
    if row.get("id") in (None, ""):
        digest = hashlib.sha1(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:12]
        row = {**row, "id": f"{relpath}:#{digest}"}
    try:
        doc: Document | InputError = record_document(row, relpath, None)
    except InputError as exc:
        exc.doc_id = str(row["id"])
        doc = exc
    return (str(row["id"]), hashlib.sha1(repr(sorted(row.items())).encode("utf-8", "surrogatepass")).hexdigest()), doc


def _read_parquet(spark: Any, files: list[tuple[int, str, str]], first: int, config: Config,
                  outlets: OutletTable) -> Any:
    """Rows of ``("doc"|"reject", order, ...)`` from Parquet files. Rows are numbered in the order
    of their ids across all the files, after every other input (``first`` is the number of files),
    so that neither Spark's split of the files nor the way the dataset was cut into files changes
    the output."""
    from pyspark.sql.functions import input_file_name

    where = {_file_key(uri): relpath for _, uri, relpath in files}
    frame = spark.read.option("mergeSchema", "true").parquet(*[uri for _, uri, _ in files])
    columns = [name for name in READER_FIELDS if name in frame.columns]
    where_b = spark.sparkContext.broadcast(where)

    def keyed(row: Any) -> tuple[tuple[str, str], Document | InputError]:
        fields = {name: row[name] for name in columns if row[name] is not None}
        return _parquet_row(fields, where_b.value[_file_key(row["_file"])])

    def prepared(items: Iterable[tuple[tuple[tuple, Any], int]]) -> Iterator[tuple]:
        options = clean_options(config)
        for (_, doc), index in items:
            yield _prepared((first, index), doc, config, outlets, options)

    rows = frame.select(*columns, input_file_name().alias("_file")).rdd.map(keyed)
    return rows.sortByKey().zipWithIndex().mapPartitions(prepared)


def _site_sums(blocks: Iterable[_Block], skip: frozenset[int]) -> Iterator[tuple[str, SiteCounts]]:
    """One partition's documents (but those numbered in ``skip``) summed per site, as ``(site,
    summary)`` pairs to be merged by site (:meth:`~dedup.sites.SiteCounts.merge`)."""
    per_site: dict[str, tuple[list[np.ndarray], list[tuple[str, ...]]]] = {}
    for block in blocks:
        assert block.sites is not None and block.line_keys is not None and block.names is not None
        for k, number in enumerate(block.numbers.tolist()):
            if number in skip:
                continue
            keys, names = per_site.setdefault(block.sites[k], ([], []))
            keys.append(block.line_keys[k])
            names.append(block.names[k])
    for site, (keys, names) in per_site.items():
        yield site, SiteCounts.of([site] * len(keys), keys, names)


def _site_template(counts: SiteCounts, site: str, min_count: int, min_share: float) -> tuple[int, list[int], Counter[str]]:
    """A site's summed statistics reduced to what the driver keeps: its document count, its
    template line keys (:func:`dedup.stages.templates.template_lines`) and its source names."""
    return (int(counts.docs.sum()), template_lines(counts, min_count, min_share).tolist(),
            Counter(counts.names_of(site)))


def _redo(doc: _Doc, template: frozenset[int], config: Config) -> _Doc:
    """Drop a document's template lines and sketch it again (the local engine's redo)."""
    drop = frozenset(key for key in doc.line_keys.tolist() if key in template) if template else frozenset()
    if not drop:
        return doc
    sketched = resketch(doc.body, doc.site, drop, config)
    return replace(doc, shingles=sketched.shingles, figures=sketched.figures, keys=sketched.keys)


def _key_chunks(blocks: Iterable[tuple[int, _Block]], config: Config,
                parts: int) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    """One partition's keys as arrays, split by the part of the key space each key falls in:
    ``(part, (band keys, their documents, passage keys, their documents, the passage rows of
    those documents, their numbers))``: scoring a pair of passage partners reads both rows."""
    bands = config.total_bands
    for _, block in blocks:
        if not len(block):
            continue
        assert block.keys is not None
        table, owners = block.keys, block.numbers
        rows = passage_rows_of(table, bands)
        band_keys, band_owners = table[:, :bands].ravel(), np.repeat(owners, bands)
        passage_keys, passage_owners = rows.ravel(), np.repeat(owners, rows.shape[1])
        band_part, passage_part = band_keys % np.uint64(parts), passage_keys % np.uint64(parts)
        for part in range(parts):
            mine, theirs = band_part == part, (passage_part == part) & (passage_keys != 0)
            holders = np.isin(owners, passage_owners[theirs])
            yield part, (band_keys[mine], band_owners[mine], passage_keys[theirs], passage_owners[theirs],
                         rows[holders], owners[holders])


def _part_pairs(chunks: Iterable[tuple[int, tuple[np.ndarray, ...]]],
                config: Config) -> Iterator[tuple[str, Any]]:
    """What one part of the key space proposes: ``("pair", (a, b))`` for the distinct pairs its
    band buckets hold (the shared bucket cap) and the pairs sharing a rare passage, and
    ``("partners", (number, partner, score))`` for the passage partners its buckets offer each
    document (:mod:`dedup.stages.partners`), to be merged with the other parts'."""
    parts = [chunk for _, chunk in chunks]
    if not parts:
        return
    banded = owner_pairs(np.concatenate([chunk[0] for chunk in parts]), np.concatenate([chunk[1] for chunk in parts]),
                         config.bucket_cap(passage=False))
    for pair in banded.tolist():
        yield "pair", tuple(pair)
    numbers = np.concatenate([chunk[5] for chunk in parts])
    if not len(numbers):
        return
    order = np.argsort(numbers)
    numbers, rows = numbers[order], np.concatenate([chunk[4] for chunk in parts])[order]
    owners = np.searchsorted(numbers, np.concatenate([chunk[3] for chunk in parts]))
    heaps = part_partners(np.concatenate([chunk[2] for chunk in parts]), owners, rows, config,
                          PartnerHeaps(len(numbers), config.passage_partners, numbers))
    offers = heaps.offers()
    for pair in offers.rare.tolist():
        yield "pair", tuple(pair)
    for doc, partner, score in zip(offers.docs.tolist(), offers.partners.tolist(), offers.scores.tolist(), strict=True):
        yield "partners", (doc, partner, score)


def _best_of(offers: Iterable[tuple[int, float]], config: Config) -> list[int]:
    """A document's passage partners from every part's offers (the heaps' own order and cut)."""
    offered = list(offers)
    heaps = PartnerHeaps(1, config.passage_partners)
    heaps.take(np.zeros(len(offered), dtype=np.int64), np.array([p for p, _ in offered], dtype=np.int64),
               np.array([s for _, s in offered], dtype=np.float32))
    return heaps.kept()[1].tolist()


def _components(edges: Any, parts: int) -> Any:
    """``(node, component)`` for every node with an edge: large-star/small-star until nothing
    changes (Kiveris et al., "Connected components in MapReduce and beyond", 2014). Each
    component is labelled by its smallest node.
    """
    current = edges.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(parts).persist(_keep())
    while True:
        # large star: every node links its larger neighbours to the smallest of its neighbourhood and itself
        large = current.groupByKey(parts).flatMap(
            lambda kv: [(v, min(min(kv[1]), kv[0])) for v in kv[1] if v > kv[0]]).distinct(parts)
        # small star: every node links itself and its smaller neighbours to the smallest of them
        small = large.map(lambda e: (max(e), min(e))).groupByKey(parts).flatMap(
            lambda kv: [(v, min(min(kv[1]), kv[0])) for v in list(kv[1]) + [kv[0]] if v != min(min(kv[1]), kv[0])]
        ).distinct(parts).persist(_keep())
        previous = current.filter(lambda e: e[0] > e[1])
        # one shuffle tells whether the edges changed: an edge in only one of the two sets
        changed = small.map(lambda e: (e, 1)).union(previous.map(lambda e: (e, 2))).reduceByKey(
            lambda a, b: a | b, parts).filter(lambda kv: kv[1] != 3).count()
        # the next round's edges are made before this round's are let go, never computed again
        following = small.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(parts).persist(_keep())
        following.count()
        current.unpersist()
        small.unpersist()
        current = following
        if not changed:
            break
    return current.filter(lambda e: e[0] > e[1]).union(
        current.map(lambda e: min(e)).distinct(parts).map(lambda n: (n, n))).coalesce(parts)


def _cluster_component(members: Sequence[tuple[int, str, np.ndarray]], pairs: Sequence[tuple[int, int, int, float, float]],
                       config: Config, outlets: OutletTable, profiles: SiteProfiles,
                       lone: bool = False) -> list[tuple[tuple, dict]]:
    """Star clusters and the choice within one connected component, from its members' (number,
    record, evidence set) (with ``lone``, a cluster of one for every document left alone too);
    each record with the key that orders the output."""
    members = sorted(members, key=lambda m: m[0])
    position = {number: k for k, (number, _, _) in enumerate(members)}
    docs = [profiles.mark_self(CleanDocument.from_record(record)) for _, record, _ in members]
    evidence = [shingles for _, _, shingles in members]
    sizes = np.array([len(shingles) for shingles in evidence], dtype=np.int64)
    verified = VerifiedPairs.of([Pair(position[a], position[b], inter, jac, cont)
                                 for a, b, inter, jac, cont in sorted(pairs)])
    _, clusters, left_alone, _ = build_clusters(docs.__getitem__, evidence.__getitem__, sizes, verified, config,
                                                outlets)
    result = _result_of(docs, evidence, sizes, clusters, verified, config, profiles, outlets)
    out = []
    for cluster in clusters:
        record = cluster_record(result, cluster, 0, outlets)
        out.append(((-len(cluster.members), record["canonical_id"], members[cluster.members[0]][0]), record))
    for index in left_alone.tolist() if lone else []:
        out.append(((-1, "", members[index][0]), cluster_record(result, result.lone_of(index), 0, outlets)))
    return out


def _lone_record(number: int, record: str, evidence: np.ndarray, config: Config, outlets: OutletTable,
                 profiles: SiteProfiles) -> tuple[tuple, dict]:
    """The cluster of one of a document no verified pair touches, with the key that orders the output."""
    clean = profiles.mark_self(CleanDocument.from_record(record))
    sizes = np.array([len(evidence)], dtype=np.int64)
    result = _result_of([clean], [evidence], sizes, [], VerifiedPairs.of([]), config, profiles, outlets)
    return (-1, "", number), cluster_record(result, result.lone_of(0), 0, outlets)


def _result_of(docs: list[CleanDocument], evidence: list[np.ndarray], sizes: np.ndarray, clusters: list[Any],
               verified: VerifiedPairs, config: Config, profiles: SiteProfiles, outlets: OutletTable) -> ScanResult:
    """The few documents of one component as a :class:`ScanResult`, for :func:`cluster_record`."""
    clustered: Clustered = (np.zeros(0), clusters, np.zeros(0, dtype=np.int64), {})
    return scan_result(LazySequence(len(docs), docs.__getitem__), evidence, sizes, clustered, verified, config, outlets,
                       profiles=profiles)


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
    listing = _list_inputs(sc, roots)
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
        return _pieces(rows, slices, total_keys)

    if listing.local:
        pieces.append(sc.parallelize(listing.local, min(slices, len(listing.local))).flatMap(
            lambda item: _read_local(item, config, outlets)).mapPartitions(pack))
    if listing.hadoop:
        names_b = sc.broadcast({_file_key(uri): (number, relpath) for number, uri, relpath in listing.hadoop})
        pieces.append(sc.binaryFiles(",".join(uri for _, uri, _ in listing.hadoop), slices).map(
            lambda kv: (*names_b.value[_file_key(kv[0])], kv[1])).flatMap(
            lambda item: _read_bytes(item, config, outlets)).mapPartitions(pack))
    if listing.parquet:
        pieces.append(_read_parquet(run.spark, listing.parquet, listing.count, config, outlets).mapPartitions(pack))
    log.info("spark: %d files (%d local, %d Hadoop, %d Parquet), %d partitions", listing.count, len(listing.local),
             len(listing.hadoop), len(listing.parquet), slices)
    # Each read partition hands over its rejects and, for every partition its documents go to,
    # one block of them (columns, not one object per document).
    packed = (sc.union(pieces) if pieces else sc.parallelize([], 1)).persist(_keep())
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
    sites = found.mapPartitions(lambda rows: _site_sums((row[2] for row in rows), duplicates_b.value)).reduceByKey(
        SiteCounts.merge, slices).map(lambda kv: (kv[0], _site_template(kv[1], kv[0], min_count, min_share))).collect()
    profiles = SiteProfiles(Counter({site: count for site, (count, _, _) in sites}), Counter(),
                            {site: names for site, (_, _, names) in sites})
    template_b = sc.broadcast(frozenset(key for _, (_, keys, _) in sites for key in keys))
    # Pages carrying template lines are sketched again and what only this stage needed (bodies,
    # line keys) goes before the pieces meet in their partition as one block. Pages emptied by the
    # cut are reported through an accumulator in the same pass (a task run twice reports a page
    # twice: they are told apart by number).
    emptied = sc.accumulator([], _ListParam())
    blocks = found.map(lambda row: (row[1], _lean(row[2], template_b.value, duplicates_b.value, config, emptied))) \
        .partitionBy(slices).mapPartitions(_merged, preservesPartitioning=True).persist(_keep())
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
    proposed = blocks.mapPartitions(lambda rows: _key_chunks(rows, config, slices)).partitionBy(slices).mapPartitions(
        lambda chunks: _part_pairs(chunks, config)).persist(_keep())
    partnered = proposed.filter(lambda item: item[0] == "partners").map(
        lambda item: (item[1][0], (item[1][1], item[1][2]))).groupByKey(slices).flatMap(
        lambda kv: [(min(kv[0], other), max(kv[0], other)) for other in _best_of(kv[1], config)])
    candidates = proposed.filter(lambda item: item[0] == "pair").map(lambda item: item[1]).union(partnered) \
        .partitionBy(slices).mapPartitions(lambda pairs: iter(set(pairs)), preservesPartitioning=True).persist(_keep())
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
    sample = sorted(blocks.flatMap(lambda kv: _chosen(kv[1], chosen_b.value)).collect(), key=lambda row: row[1])
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
        evidence = blocks.mapValues(lambda block: block.evidence(common_b.value)).persist(_keep())
    else:
        # Only documents a candidate pair names are compared and clustered: the others go here.
        named = candidates.flatMap(lambda pair: pair).map(lambda number: (number, None)).partitionBy(slices)
        evidence = _aligned(blocks, named).mapPartitions(lambda items: _named_evidence(items, common_b.value),
                                                     preservesPartitioning=True).persist(_keep())
    evidence.count()
    blocks.unpersist()
    left = _with_blocks(evidence, candidates, _first_side)
    verified = _with_blocks(evidence, left.partitionBy(slices), _checked(run.config)).persist(_keep())
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
    component = _components(verified.map(lambda row: (row[0], row[1])), edge_parts).partitionBy(run.slices) \
        .persist(_keep())
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
    members = _with_blocks(evidence, component, _member)
    edges_by_component = _map_side_join(verified.map(lambda row: (row[0], row)).partitionBy(slices), component).map(
        lambda kv: (kv[1][1], kv[1][0]))
    profiles_b = run.sc.broadcast(profiles)
    lone = min_size <= 1
    clustered = members.cogroup(edges_by_component).flatMap(
        lambda kv: _cluster_component(list(kv[1][0]), list(kv[1][1]), config, outlets, profiles_b.value, lone))
    if lone:
        # every document no verified pair touches is a cluster of one, after the clusters, in input order
        clustered = clustered.union(_aligned(evidence, component).mapPartitions(
            lambda items: _lone_rows(items, config, outlets, profiles_b.value)))
    clustered = clustered.filter(lambda item: item[1]["size"] >= min_size).persist(_keep())
    ordered = clustered.sortByKey(numPartitions=slices).values().zipWithIndex().map(_numbered).persist(_keep())
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


def _map_side_join(small: Any, big: Any, without: bool = False) -> Any:
    """``(key, (small's value, big's value))`` for every row of ``big`` whose key ``small`` holds
    (with ``without``: the rows of ``big`` whose key it does not hold, as they are).

    Both RDDs are partitioned alike, so partition *i* of each meets in one task: ``small``'s rows
    are held in a table, ``big``'s stream past it. Neither side is shuffled and ``big`` (the
    documents) is never grouped in Python memory, as ``RDD.join`` would group it.
    """
    both = small.mapValues(lambda value: (0, value)).union(big.mapValues(lambda value: (1, value)))
    if both.partitioner is None or both.partitioner != big.partitioner:
        raise RuntimeError("a map-side join needs two RDDs partitioned alike")
    return both.mapPartitions(lambda rows: _joined_rows(rows, without), preservesPartitioning=True)


def _joined_rows(rows: Iterable[tuple[Any, tuple[int, Any]]], without: bool) -> Iterator[tuple[Any, Any]]:
    table: dict[Any, list[Any]] = {}
    for key, (side, value) in rows:
        if side == 0:
            # Spark's union of RDDs partitioned alike gives a partition's rows of the first RDD first
            table.setdefault(key, []).append(value)
        elif without:
            if key not in table:
                yield key, value
        else:
            for held in table.get(key, ()):
                yield key, (held, value)


def _numbered(item: tuple[dict[str, Any], int]) -> dict[str, Any]:
    record, index = item
    record["cluster_id"] = f"c{index + 1:06d}"
    return record


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
        with open(output, "w", encoding="utf-8") as handle:
            for line in lines.toLocalIterator():
                handle.write(line + "\n")
    return []


def _pieces(rows: Iterable[tuple], slices: int, total_keys: int) -> Iterator[tuple]:
    """One read partition's rows: rejects as they are, documents as one ``("piece", part, _Block)``
    for each partition they go to (by number, where ``partitionBy(slices)`` puts a number)."""
    from pyspark.rdd import portable_hash

    by_part: dict[int, list[_Doc]] = {}
    for row in rows:
        if row[0] == "reject":
            yield row
        else:
            by_part.setdefault(portable_hash(row[2].number) % slices, []).append(row[2])
    for part, docs in sorted(by_part.items()):
        yield "piece", part, _Block.of(docs, total_keys)


def _lean(piece: _Block, template: frozenset[int], skip: frozenset[int], config: Config, emptied: Any) -> _Block:
    """A piece as it goes to its partition: documents with a duplicate id (``skip``) left out,
    pages carrying template lines sketched again, pages the cut emptied reported to ``emptied``
    and left out, and the columns only the templates needed let go."""
    kept = []
    for doc in piece.docs():
        if doc.number in skip:
            continue
        doc = _redo(doc, template, config)
        if len(doc.shingles) >= config.min_shingles:
            kept.append(doc)
        else:
            emptied.add([(doc.number, doc.record, len(doc.shingles))])
    block = _Block.of(kept, config.total_keys)
    return _Block(block.numbers, block.records, block.shingles, block.figures, block.keys, block.ranks)


def _merged(pieces: Iterable[tuple[int, _Block]]) -> Iterator[tuple[int, _Block]]:
    """A partition's pieces as its one block, in number order."""
    held = list(pieces)
    if not held:
        return
    parts = [piece for _, piece in held if len(piece)]
    numbers = np.concatenate([piece.numbers for piece in parts]) if parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(numbers, kind="stable")
    records = [record for piece in parts for record in piece.records]
    shingles = [row for piece in parts for row in piece.shingles.rows()]
    figures = [row for piece in parts for row in piece.figures.rows()]
    keys = [piece.keys for piece in parts if piece.keys is not None]
    ranks = [piece.ranks for piece in parts if piece.ranks is not None]
    ordered = order.tolist()
    yield held[0][0], _Block(numbers[order], [records[k] for k in ordered],
                             _Ragged.of([shingles[k] for k in ordered], np.uint32),
                             _Ragged.of([figures[k] for k in ordered], np.uint64),
                             (np.concatenate(keys) if keys else np.zeros((0, 0), dtype=np.uint64))[order],
                             (np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64))[order])


def _with_blocks(blocks: Any, rows: Any, emit: Any) -> Any:
    """``emit(block, key, value)`` for every row of ``rows``, next to the block of the partition its
    key is in: both RDDs are partitioned alike, so neither is shuffled."""
    # emit keys its rows anew: the result is not partitioned by its keys
    return _aligned(blocks, rows).mapPartitions(lambda items: _block_rows(items, emit))


def _aligned(blocks: Any, rows: Any) -> Any:
    """The union of blocks and rows partitioned alike: partition *i* of each read in one task, the block first."""
    both = blocks.union(rows)
    if both.partitioner is None or both.partitioner != blocks.partitioner:
        raise RuntimeError("rows and blocks must be partitioned alike")
    return both


def _block_rows(items: Iterable[tuple[Any, Any]], emit: Any) -> Iterator[Any]:
    block: _Block | None = None
    waiting: list[tuple[Any, Any]] = []
    for key, value in items:
        if isinstance(value, _Block):
            block = value
            for held in waiting:
                yield from emit(block, *held)
            waiting = []
        elif block is None:
            waiting.append((key, value))
        else:
            yield from emit(block, key, value)
    if waiting:
        raise RuntimeError(f"{len(waiting)} rows name documents of no block")


def _named_evidence(items: Iterable[tuple[Any, Any]], common: CommonShingles) -> Iterator[tuple[int, _Block]]:
    """A partition's block of evidence for the documents its other rows name."""
    block, part, named = None, None, set()
    for key, value in items:
        if isinstance(value, _Block):
            block, part = value, key
        else:
            named.add(key)
    if block is not None and part is not None:
        yield part, block.evidence(common, named)


def _first_side(block: _Block, first: int, second: int) -> Iterator[tuple[int, tuple[int, np.ndarray, np.ndarray]]]:
    """A candidate pair with its first document's evidence, keyed by its second document."""
    k = block.position(first)
    yield second, (first, block.shingles[k], block.figures[k])


def _checked(config: Config) -> Any:
    def check(block: _Block, second: int, found: tuple[int, np.ndarray, np.ndarray]) -> Iterator[tuple]:
        first, shingles, figures = found
        k = block.position(second)
        verdict = check_pair(shingles, block.shingles[k], figures, block.figures[k], config)
        if verdict is not None:
            yield (first, second, *verdict)
    return check


def _member(block: _Block, number: int, component: int) -> Iterator[tuple[int, tuple[int, str, np.ndarray]]]:
    """A component member: its number, record and evidence set, keyed by its component."""
    k = block.position(number)
    yield component, (number, block.records[k], block.shingles[k])


def _lone_rows(items: Iterable[tuple[Any, Any]], config: Config, outlets: OutletTable,
               profiles: SiteProfiles) -> Iterator[tuple[tuple, dict]]:
    """The clusters of one of a partition's documents that no component holds."""
    block, held = None, set()
    for key, value in items:
        if isinstance(value, _Block):
            block = value
        else:
            held.add(key)
    if block is None:
        return
    for k, number in enumerate(block.numbers.tolist()):
        if number not in held:
            yield _lone_record(number, block.records[k], block.shingles[k], config, outlets, profiles)


def _chosen(block: _Block, chosen: frozenset[int]) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    assert block.ranks is not None and block.keys is not None
    for k, (number, rank) in enumerate(zip(block.numbers.tolist(), block.ranks.tolist(), strict=True)):
        if number in chosen:
            yield rank, number, block.shingles[k], block.keys[k]


__all__ = ["SparkScan", "scan_spark", "SPARK_STAGES", "is_hadoop_path", "writes_part_files"]
