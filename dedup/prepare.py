"""The prepare stage: a document as a reader produced it, to a cleaned document or a reject.

Every engine runs this one function on every document (the scan's workers, the batch loader,
the index), so a document is refused, or a cleaner failure reported, the same way everywhere.

>>> from dedup.config import Config
>>> from dedup.document import Document
>>> from dedup.outlets import OutletTable
>>> prepare(Document(id="a.txt", title="标题", text="标题\\n正文第一段。"), Config(), OutletTable.default()).body
'正文第一段。'
>>> prepare(Document(id="b.txt", text="x" * 20), Config(max_doc_chars=10), OutletTable.default()).kind
'too_large'
"""

from __future__ import annotations

import logging

from dedup.clean import CleanOptions, clean, usable
from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.errors import InputError
from dedup.outlets import OutletTable

log = logging.getLogger("dedup")


def clean_options(config: Config) -> CleanOptions:
    """What the cleaner takes from the configuration."""
    return CleanOptions(to_simplified=config.to_simplified)


def prepare(doc: Document, config: Config, outlets: OutletTable,
            options: CleanOptions | None = None) -> CleanDocument | InputError:
    """Clean one document, or say why it cannot be used (too long; a cleaner failure is reported as
    an ``internal`` reject naming the document, never raised: one bad page must not end a run).

    Whether the cleaned text is long enough to compare is judged once it is sketched
    (:func:`dedup.clean.rejected_after_cleaning`).
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


__all__ = ["clean_options", "prepare"]
