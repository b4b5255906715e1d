"""Documents as read from a corpus, before and after cleaning."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from dedup.urls import site_of_url


@dataclass
class Document:
    """One page or record of a corpus, as a reader produced it.

    ``text`` is the page's main text, line by line, still with page furniture; ``meta`` holds what
    markup said about the page (``og:site_name``, ``article:published_time`` ...).

    >>> Document(id="a.txt", text="正文", site="example.com").site
    'example.com'
    """

    id: str
    text: str
    site: str = ""
    url: str | None = None
    title: str | None = None
    published_at: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    """Where it came from: a path, or ``path:line`` for a JSON Lines record."""
    line: int | None = None
    """The 1-based line of a JSON Lines record in its file (None for a page file)."""
    removed: list[tuple[str, str]] = field(default_factory=list)
    """(reason, text) of article-region pieces the reader left out (link lists inside the article)."""

    def where(self) -> tuple[str, int | None]:
        """The file and line to name when this document is rejected.

        >>> Document(id="x", text="", source="feed/a.jsonl:3", line=3).where()
        ('feed/a.jsonl', 3)
        """
        path = self.source or self.id
        if self.line is not None and path.endswith(f":{self.line}"):
            path = path[: -len(f":{self.line}")]
        return path, self.line

    def digest(self) -> bytes:
        """16 bytes that change when anything an index keeps of the document changes (text, title,
        url, site, time, meta): an index finds by it that a document read again is unchanged.

        >>> Document(id="a", text="正文").digest() == Document(id="a", text="正文").digest()
        True
        """
        parts = [self.text, self.title or "", self.url or "", self.site, self.published_at or "",
                 json.dumps(self.meta, sort_keys=True)]
        return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Build a document from a plain dict with the JSON Lines reader's field names.

        >>> Document.from_dict({"id": "x", "text": "正文", "url": "https://a.cn/1"}).site
        'a.cn'
        """
        if "id" not in data or not isinstance(data["id"], str) or not data["id"]:
            raise ValueError("a document needs a non-empty string 'id'")
        text = data.get("text")
        if not isinstance(text, str):
            raise ValueError("a document needs a string 'text' (the page's main text)")
        url = data.get("url") if isinstance(data.get("url"), str) else None
        site = (site_of_url(url) if url else "") or str(data.get("site") or "")
        published = data.get("published_at")
        return cls(
            id=data["id"],
            text=text,
            site=site,
            url=url,
            title=data.get("title") if isinstance(data.get("title"), str) else None,
            published_at=str(published) if published else None,
            meta={str(k): str(v) for k, v in (data.get("meta") or {}).items()},
            source=data.get("source"),
        )


@dataclass
class Attribution:
    """A line or phrase in which a page credits an outlet.

    ``form`` names the pattern (``来源``, ``媒体来源``, ``dateline`` ...) and ``outlet`` the name as written.
    """

    form: str
    outlet: str
    text: str


@dataclass
class CleanDocument:
    """A document after cleaning: the text that is compared, and what cleaning found and removed."""

    doc: Document
    compared: str
    """Main text with furniture and spinning removed, normalised, punctuation and spaces taken out."""
    body: str
    """The cleaned main text before normalisation (for display)."""
    title: str | None
    published_at: str | None
    attributions: list[Attribution] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    """(reason, text) for every piece of the page left out of comparison."""
    compared_lines: list[str] = field(default_factory=list)
    """The compacted form of each line of ``body`` (``compared`` is their concatenation)."""
    spun: bool = False
    self_attributed: bool = False
    """The page's own 来源 line names the page's own site (a sign of an aggregator)."""
    text: str = ""
    """The kept article text as the page wrote it, before normalisation (``dedup extract``'s ``text``);
    a line that cleaning cut into (spun fragments, an inline credit) is given as cleaned."""

    @property
    def id(self) -> str:
        return self.doc.id

    def to_record(self) -> str:
        """What the chooser and the output need of a cleaned document, without its texts, as one
        JSON object: the one form in which every engine stores a cleaned document.

        >>> doc = CleanDocument(Document(id="a", text="正文", site="a.cn"), "正文", "正文", "标题", None,
        ...                     [Attribution("来源", "新华社", "来源:新华社")])
        >>> back = CleanDocument.from_record(doc.to_record(), body="正文")
        >>> (back.id, back.site, back.title, back.attributions[0].outlet, back.body)
        ('a', 'a.cn', '标题', '新华社', '正文')
        """
        source = self.doc
        return json.dumps({
            "id": source.id, "site": source.site, "url": source.url, "raw_title": source.title,
            "raw_published_at": source.published_at, "source": source.source, "line": source.line, "title": self.title,
            "published_at": self.published_at, "attributions": [[a.form, a.outlet, a.text] for a in self.attributions],
            "spun": self.spun, "self_attributed": self.self_attributed,
        }, ensure_ascii=False)

    @classmethod
    def from_record(cls, record: str | bytes, body: str = "") -> CleanDocument:
        """The cleaned document :meth:`to_record` stored (its compared text is not kept)."""
        data = json.loads(record.decode("utf-8", "surrogatepass") if isinstance(record, bytes) else record)
        document = Document(id=data["id"], text="", site=data["site"], url=data["url"], title=data["raw_title"],
                            published_at=data["raw_published_at"], source=data["source"], line=data.get("line"))
        return cls(document, compared="", body=body, title=data["title"], published_at=data["published_at"],
                   attributions=[Attribution(*a) for a in data["attributions"]], spun=data["spun"],
                   self_attributed=data["self_attributed"])

    @property
    def site(self) -> str:
        return self.doc.site

    @property
    def attributed_source(self) -> str | None:
        """The first outlet the page credits that is not the page itself."""
        for attribution in self.attributions:
            if attribution.form != "self":
                return attribution.outlet
        return None
