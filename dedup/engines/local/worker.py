"""What the local engine's worker processes run: read, clean and sketch a unit into scratch
spools; sketch again the pages that carry template lines; group a run of bands or a share of
the passage keys; verify a chunk of candidate pairs."""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.engines.local.units import Keep, Unit, documents
from dedup.engines.spool import Spool, SpoolReader
from dedup.errors import InputError
from dedup.stages.candidates import (
    DocumentSketch,
    band_pairs,
    merge_pairs,
)
from dedup.stages.common_shingles import (
    CommonShingles,
)
from dedup.stages.partners import PartnerHeaps, PartnerOffers, part_partners
from dedup.stages.prepare import (
    PreparedDocument,
    clean_options,
    prepare,
    prepare_document,
    rejected_after_cleaning,
    resketch,
)
from dedup.stages.sketch import shingles_of
from dedup.stages.verify import Packed, verify_packed, warm
from dedup.text.outlets import OutletTable

T = TypeVar("T")
R = TypeVar("R")


# --- worker side -----------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def init_worker(config: Config, outlets: OutletTable, scratch: str | None = None, keep: Keep = False,
                 for_index: bool = False) -> None:
    _STATE.clear()
    _STATE.update(config=config, outlets=outlets, options=clean_options(config), keep=keep, for_index=for_index,
                  spool=Spool(Path(scratch) / f"{os.getpid()}.spool") if scratch else None, reader=SpoolReader())


def _cleaned(unit: Unit) -> Iterator[CleanDocument | InputError]:
    """Every document of a unit, read and cleaned, or the reason it could not be."""
    config: Config = _STATE["config"]
    for item in documents(unit, config.max_file_bytes):
        yield item if isinstance(item, InputError) else prepare(item, config, _STATE["outlets"], _STATE["options"])


def _kept_whole(doc_id: str) -> bool:
    keep: Keep = _STATE["keep"]
    return keep if isinstance(keep, bool) else doc_id in keep


@dataclass
class Sketched:
    n_shingles: int
    n_numbers: int
    where: tuple[int, int]
    keys: np.ndarray


def _spooled(sketched: DocumentSketch, spool: Spool) -> Sketched:
    where = spool.append(sketched.shingles.tobytes() + sketched.figures.tobytes())
    return Sketched(len(sketched.shingles), len(sketched.figures), where, sketched.keys)


@dataclass
class UnitOut:
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


PER_DOC = 8


def _keys(keys: list[np.ndarray], config: Config) -> np.ndarray:
    """The documents' keys (:func:`dedup.stages.candidates.keys_of`, made as each is sketched) as one table."""
    return np.stack(keys) if keys else np.zeros((0, config.total_keys), dtype=np.uint64)


def _prepared(unit: Unit) -> Iterator[PreparedDocument | InputError]:
    """Every document of a unit, read, cleaned and sketched, or the reason it could not be."""
    config: Config = _STATE["config"]
    for item in documents(unit, config.max_file_bytes):
        yield item if isinstance(item, InputError) else prepare_document(item, config, _STATE["outlets"],
                                                                         _STATE["options"])


def _clean_unit(unit: Unit) -> UnitOut:
    config: Config = _STATE["config"]
    spool: Spool = _STATE["spool"]
    out = UnitOut(str(spool.path))
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
class Redo:
    index: int
    site: str
    body_path: str
    body: tuple[int, int]
    drop: frozenset[int]


def redo_unit(tasks: list[Redo]) -> tuple[str, list[tuple[int, Sketched]], np.ndarray]:
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


@dataclass
class BandTask:
    keys: str
    rows: int
    n: int
    first: int
    last: int
    index: str
    max_bucket: int


def _band_unit(task: BandTask) -> np.ndarray:
    """The distinct candidate pairs of bands ``first`` to ``last`` (excluded), encoded, from the
    key table in the scratch folder."""
    table = np.memmap(task.keys, dtype=np.uint64, mode="r", shape=(task.rows, task.n))
    index = np.load(task.index)
    found = [band_pairs(np.asarray(table[band]), index, task.n, task.max_bucket)
             for band in range(task.first, task.last)]
    return merge_pairs([pairs for pairs in found if pairs.size])


@dataclass
class PassageTask:
    passages: str
    """the documents' passage rows, ``(n, config.passage_keys)`` (see :func:`dedup.stages.partners.passage_rows`)"""
    n: int
    part: int
    parts: int
    index: str
    config: Config


PASSAGE_DOCS_PER_STEP = 200_000


def _passage_unit(task: PassageTask) -> PartnerOffers:
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
class VerifyTask:
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


def warm_unit() -> None:
    warm(_STATE["config"])


def verify_unit(task: VerifyTask) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


def extract_unit(unit: Unit) -> list[CleanDocument | InputError]:
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


def key_unit(task: BandTask | PassageTask) -> np.ndarray | PartnerOffers:
    return _band_unit(task) if isinstance(task, BandTask) else _passage_unit(task)


def clean_unit_or_skip(unit: Unit) -> UnitOut | None:
    return None if unit.kind == "error" else _clean_unit(unit)
