"""Batch loading of corpus directories: walk, read and clean files on all cores."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dedup.clean import rejected_after_cleaning
from dedup.config import Config
from dedup.document import CleanDocument
from dedup.errors import InputError
from dedup.io.readers import Walk, read_file, walk
from dedup.outlets import OutletTable
from dedup.prepare import clean_options, prepare
from dedup.shingle import shingle_hashes
from dedup.workers import start_pool

log = logging.getLogger("dedup")


@dataclass
class Loaded:
    docs: list[CleanDocument] = field(default_factory=list)
    rejects: list[InputError] = field(default_factory=list)
    files: int = 0
    unsupported: int = 0
    duplicate_ids: int = 0


_WORKER_STATE: dict[str, object] = {}


def _init_worker(config: Config, outlet_file: str | None) -> None:
    outlets = OutletTable.default()
    if outlet_file:
        outlets.extend_from_file(outlet_file)
    _WORKER_STATE["config"] = config
    _WORKER_STATE["outlets"] = outlets


def _load_chunk(chunk: list[tuple[str, str]]) -> list[CleanDocument | InputError]:
    config = _WORKER_STATE["config"]
    outlets = _WORKER_STATE["outlets"]
    assert isinstance(config, Config) and isinstance(outlets, OutletTable)
    options = clean_options(config)
    out: list[CleanDocument | InputError] = []
    for path, relpath in chunk:
        for item in read_file(Path(path), relpath, config.max_file_bytes):
            if isinstance(item, InputError):
                out.append(item)
                continue
            cleaned = prepare(item, config, outlets, options)
            if isinstance(cleaned, InputError):
                out.append(cleaned)
                continue
            refused = rejected_after_cleaning(cleaned, len(shingle_hashes(cleaned.compared, config.shingle_size)),
                                              config.min_shingles)
            out.append(refused if refused is not None else cleaned)
    return out


def load(roots: list[str], config: Config, workers: int | None = None, outlet_file: str | None = None,
         progress: Callable[[int], None] | None = None, walked: Walk | None = None) -> Loaded:
    """Read and clean every supported file under the roots.

    Documents come back in walk order whatever the number of workers. Documents that cannot be
    compared (empty or too short after cleaning, too long) are reported and left out.
    """
    walked = walked if walked is not None else walk(roots)
    loaded = Loaded(files=len(walked.files), unsupported=walked.unsupported)
    for item in stream(roots, config, workers, outlet_file, progress, walked):
        if isinstance(item, CleanDocument):
            loaded.docs.append(item)
            continue
        loaded.rejects.append(item)
        if item.kind == "duplicate_id":
            loaded.duplicate_ids += 1
    return loaded


def stream(roots: list[str], config: Config, workers: int | None = None, outlet_file: str | None = None,
           progress: Callable[[int], None] | None = None, walked: Walk | None = None,
           ) -> Iterator[CleanDocument | InputError]:
    """Cleaned documents and rejects, one by one in walk order, read and cleaned on ``workers`` processes.

    The walk's own errors come first; a second document with an id already seen is a reject.
    """
    walked = walked if walked is not None else walk(roots)
    yield from walked.errors
    tasks = [(str(path), rel) for path, rel in walked.files]
    chunk_size = 32
    chunks = [tasks[i : i + chunk_size] for i in range(0, len(tasks), chunk_size)]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)

    def results() -> Iterator[list[CleanDocument | InputError]]:
        if workers <= 1 or len(chunks) <= 1:
            _init_worker(config, outlet_file)
            for chunk in chunks:
                yield _load_chunk(chunk)
        else:
            with start_pool(workers, _init_worker, (config, outlet_file)) as pool:
                yield from pool.map(_load_chunk, chunks)

    seen: set[str] = set()
    for chunk, items in zip(chunks, results(), strict=True):
        for item in items:
            if isinstance(item, CleanDocument):
                if item.id in seen:
                    path, line = item.doc.where()
                    item = InputError(path, f"duplicate document id {item.id!r}; kept the first", line=line,
                                      kind="duplicate_id")
                else:
                    seen.add(item.id)
            yield item
        if progress:
            progress(len(chunk))
