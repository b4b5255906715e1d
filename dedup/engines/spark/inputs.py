"""The Spark engine's inputs: the files listed in the local walk's order (local paths, Hadoop
paths, Parquet), read and prepared on the executors into numbered rows."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from dedup.config import Config
from dedup.document import Document
from dedup.engines.spark.blocks import Doc
from dedup.errors import InputError
from dedup.io.formats import READER_FIELDS, SUPPORTED_SUFFIXES, format_of, read_data, read_file, walk
from dedup.io.readers import record_document
from dedup.stages.prepare import (
    clean_options,
    prepare_document,
)
from dedup.text.outlets import OutletTable

PARTITION_BYTES = 32 << 20
"""Input bytes per partition when the caller names no number of partitions."""


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


def list_inputs(sc: Any, roots: Sequence[str]) -> _Listing:
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


def file_key(uri: str) -> str:
    """One spelling of a file's location, whether Spark or the listing wrote it."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return str(Path(unquote(parsed.path)).resolve())
    return f"{parsed.scheme}://{parsed.netloc}{unquote(parsed.path)}"


def _prepared(order: tuple[int, int], found: Document | InputError, config: Config, outlets: OutletTable,
              options: Any) -> tuple:
    """One read document, cleaned and sketched on an executor: a ``("doc", order, Doc)`` row or
    a ``("reject", order, InputError)`` row."""
    if isinstance(found, InputError):
        return ("reject", order, found)
    ready = prepare_document(found, config, outlets, options)
    if isinstance(ready, InputError):
        return ("reject", order, ready)
    cleaned, sketched = ready.doc, ready.sketch
    return ("doc", order, Doc((order[0] << 32) | order[1], cleaned.id, cleaned.to_record(), cleaned.site, ready.names,
                               ready.line_keys, sketched.shingles, sketched.figures, sketched.keys, ready.rank,
                               cleaned.body))


def read_local(item: tuple[int, str, str], config: Config, outlets: OutletTable) -> Iterator[tuple]:
    """Read and clean one file from a path the executor sees."""
    file_number, path, relpath = item
    options = clean_options(config)
    for position, found in enumerate(read_file(Path(path), relpath, config.max_file_bytes)):
        yield _prepared((file_number, position), found, config, outlets, options)


def read_hadoop_bytes(item: tuple[int, str, bytes], config: Config, outlets: OutletTable) -> Iterator[tuple]:
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


def read_parquet(spark: Any, files: list[tuple[int, str, str]], first: int, config: Config,
                  outlets: OutletTable) -> Any:
    """Rows of ``("doc"|"reject", order, ...)`` from Parquet files. Rows are numbered in the order
    of their ids across all the files, after every other input (``first`` is the number of files),
    so that neither Spark's split of the files nor the way the dataset was cut into files changes
    the output."""
    from pyspark.sql.functions import input_file_name

    where = {file_key(uri): relpath for _, uri, relpath in files}
    frame = spark.read.option("mergeSchema", "true").parquet(*[uri for _, uri, _ in files])
    columns = [name for name in READER_FIELDS if name in frame.columns]
    where_b = spark.sparkContext.broadcast(where)

    def keyed(row: Any) -> tuple[tuple[str, str], Document | InputError]:
        fields = {name: row[name] for name in columns if row[name] is not None}
        return _parquet_row(fields, where_b.value[file_key(row["_file"])])

    def prepared(items: Iterable[tuple[tuple[tuple, Any], int]]) -> Iterator[tuple]:
        options = clean_options(config)
        for (_, doc), index in items:
            yield _prepared((first, index), doc, config, outlets, options)

    rows = frame.select(*columns, input_file_name().alias("_file")).rdd.map(keyed)
    return rows.sortByKey().zipWithIndex().mapPartitions(prepared)
