"""The prepare stage: a document as a reader produced it, to a cleaned document or a reject.

Every engine runs this one function on every document (the scan's workers, the batch loader,
the index), so a document is refused, or a cleaner failure reported, the same way everywhere.

>>> from dedup.config import Config
>>> from dedup.document import Document
>>> from dedup.text.outlets import OutletTable
>>> prepare(Document(id="a.txt", title="标题", text="标题\\n正文第一段。"), Config(), OutletTable.default()).body
'正文第一段。'
>>> prepare(Document(id="b.txt", text="x" * 20), Config(max_doc_chars=10), OutletTable.default()).kind
'too_large'
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.errors import InputError
from dedup.stages.candidates import DocumentSketch, sketch_document
from dedup.stages.common_shingles import sample_rank
from dedup.stages.templates import compared_without, document_line_keys, source_names
from dedup.text.clean import CleanOptions, clean
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")


def clean_options(config: Config) -> CleanOptions:
    """What the cleaner takes from the configuration."""
    return CleanOptions(to_simplified=config.to_simplified)


def prepare(doc: Document, config: Config, outlets: OutletTable,
            options: CleanOptions | None = None) -> CleanDocument | InputError:
    """Clean one document, or say why it cannot be used (too long; a cleaner failure is reported as
    an ``internal`` reject naming the document, never raised: one bad page must not end a run).

    Whether the cleaned text is long enough to compare is judged once it is sketched
    (:func:`dedup.stages.prepare.rejected_after_cleaning`).
    """
    refused = usable(doc, config.max_doc_chars)
    if refused is not None:
        return refused
    try:
        return clean(doc, outlets, options or clean_options(config))
    except Exception as exc:
        log.exception("cleaning failed for %s", doc.id)
        path, line = doc.where()
        return InputError(path, f"cleaning failed: {exc!r}", line=line, kind="internal", doc_id=doc.id)


@dataclass
class PreparedDocument:
    """A document as every engine carries it into matching: cleaned, sketched, its site line keys
    (in the order of its lines), the names it gives as 来源 (sorted) and its sample rank."""

    doc: CleanDocument
    sketch: DocumentSketch
    line_keys: np.ndarray
    names: tuple[str, ...]
    rank: int


def prepare_document(doc: Document, config: Config, outlets: OutletTable,
                     options: CleanOptions | None = None) -> PreparedDocument | InputError:
    """One document read to what matching needs, or why it cannot take part: :func:`prepare`,
    :func:`~dedup.stages.candidates.sketch_document` of its compared text, and the too-short
    reject (:func:`~dedup.stages.prepare.rejected_after_cleaning`). Every engine builds its documents
    with this; the site-template cut comes later (:func:`resketch`).

    >>> from dedup.document import Document
    >>> from dedup.text.outlets import OutletTable
    >>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群。"
    >>> ready = prepare_document(Document(id="a", text=text), Config(), OutletTable.default())
    >>> len(ready.sketch.keys) == Config().total_keys, ready.rank == sample_rank("a")
    (True, True)
    >>> prepare_document(Document(id="b", text="短讯"), Config(), OutletTable.default()).kind
    'empty'
    """
    cleaned = prepare(doc, config, outlets, options)
    if isinstance(cleaned, InputError):
        return cleaned
    sketched = sketch_document(cleaned.compared, config)
    refused = rejected_after_cleaning(cleaned, len(sketched.shingles), config.min_shingles)
    if refused is not None:
        return refused
    return PreparedDocument(cleaned, sketched, np.fromiter(document_line_keys(cleaned), dtype=np.uint64),
                            tuple(sorted(source_names(cleaned))), sample_rank(cleaned.id))


def resketch(body: str, site: str, drop: Collection[int], config: Config) -> DocumentSketch:
    """The sketch of a page once its site's template lines ``drop`` (line keys) are cut from its
    body: what every engine does to the pages that carry template lines.

    >>> from dedup.stages.templates import line_key
    >>> body = "江城发布补贴细则，对首次购房家庭给予契税补贴\\n本站提示：转载请注明出处"
    >>> cut = resketch(body, "a.com", {line_key("a.com", "本站提示转载请注明出处")}, Config())
    >>> len(cut.shingles) < len(sketch_document(body.replace("\\n", ""), Config()).shingles)
    True
    """
    return sketch_document(compared_without(body, site, drop), config)


def usable(doc: Document, max_chars: int) -> InputError | None:
    """Why a document cannot be cleaned at all (too long), or None."""
    if len(doc.text) > max_chars:
        path, line = doc.where()
        return InputError(path, f"text of {len(doc.text)} characters exceeds the limit of {max_chars} "
                          "(see --max-doc-chars)", line=line, kind="too_large", doc_id=doc.id)
    return None


def removal_summary(removed: list[tuple[str, str]]) -> str:
    """What cleaning took out, by reason, most first: ``"recommendations 12, header 2"``.

    >>> removal_summary([("header", "a"), ("recommendations", "b"), ("recommendations", "c")])
    'recommendations 2, header 1'
    """
    counts = Counter(reason for reason, _ in removed)
    return ", ".join(f"{reason} {count}" for reason, count in counts.most_common()) or "nothing"


def rejected_after_templates(doc: CleanDocument, shingles: int, min_shingles: int,
                             cleaned: CleanDocument | None = None) -> InputError:
    """The reject for a document that its site's template lines left with ``shingles`` distinct
    shingles, under ``min_shingles`` (``cleaned``: the document whole, for ``explain``)."""
    where, line = doc.doc.where()
    return InputError(where, f"too short to compare after site templates were removed ({shingles} distinct shingles "
                             f"left; at least {min_shingles} needed): site {doc.site!r} repeats this page's lines on "
                             f"many of its pages", line=line, kind="empty", doc_id=doc.id, cleaned=cleaned)


def duplicate_id(doc_id: str, where: tuple[str, int | None] | None = None) -> InputError:
    """The reject for a second document with an id already seen (the first is kept); ``where``:
    the file and line it came from (:meth:`dedup.document.Document.where`)."""
    path, line = where or (doc_id, None)
    return InputError(path, f"duplicate document id {doc_id!r}; kept the first", line=line, kind="duplicate_id",
                      doc_id=doc_id)


def rejected_after_cleaning(doc: CleanDocument, shingles: int, min_shingles: int, stage: str = "cleaning",
                            ) -> InputError | None:
    """Why a cleaned document cannot take part in matching (nothing or too little text), or None.

    The reason names the stage and what it removed; the error carries the document for ``explain``.
    """
    where, line = doc.doc.where()
    if stage == "cleaning" and any(reason == "site template" for reason, _ in doc.removed):
        stage = "cleaning and site templates"
    if not doc.compared:
        return InputError(where, f"empty after {stage} (no article text; removed: {removal_summary(doc.removed)})",
                          line=line, kind="empty", doc_id=doc.id, cleaned=doc)
    if shingles < min_shingles:
        return InputError(where, f"too short to compare after {stage} ({len(doc.compared)} characters, "
                          f"{shingles} distinct shingles; at least {min_shingles} needed; removed: "
                          f"{removal_summary(doc.removed)})", line=line, kind="empty", doc_id=doc.id, cleaned=doc)
    return None


__all__ = ["PreparedDocument", "duplicate_id", "rejected_after_cleaning", "rejected_after_templates", "removal_summary", "usable", "clean_options", "prepare", "prepare_document", "resketch"]
