"""The article a page holds, as ``dedup extract`` writes it: kept text, metadata and what was removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dedup.document import CleanDocument
from dedup.io.readers import read_page
from dedup.text.clean import CleanOptions, clean
from dedup.text.outlets import OutletTable


@dataclass
class Article:
    """One document's article text and what cleaning found, in ``dedup extract``'s record shape.

    >>> from dedup.document import Document
    >>> cleaned = clean(Document(id="a.txt", text="标题\\n来源:新华社\\n正文第一段。", title="标题"))
    >>> Article.of(cleaned).attributed_source
    '新华社'
    """

    id: str
    site: str
    url: str | None
    title: str | None
    published_at: str | None
    attributed_source: str | None
    text: str
    removed: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, cleaned: CleanDocument) -> Article:
        return cls(
            id=cleaned.id,
            site=cleaned.site,
            url=cleaned.doc.url,
            title=cleaned.doc.title,
            published_at=cleaned.published_at,
            attributed_source=cleaned.attributed_source,
            text=cleaned.text or cleaned.body,
            removed=[{"kind": kind, "text": text} for kind, text in cleaned.removed],
        )

    def record(self) -> dict[str, Any]:
        return dict(vars(self))


def extract_bytes(data: bytes, relpath: str, outlets: OutletTable | None = None,
                  options: CleanOptions | None = None) -> Article:
    """Read one page's bytes and clean it: the article text a scan would compare, before normalisation."""
    return Article.of(clean(read_page(data, relpath), outlets, options))
