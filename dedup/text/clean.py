"""Cleaning: separate a page's article text from its furniture, spinning and attribution lines.

Pure functions over a :class:`~dedup.document.Document`; nothing here reads files. The result keeps
the normalised body lines (so a later stage can still drop lines a site repeats on every page),
the attributions and time found, and every removal with its reason, for ``dedup explain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dedup.document import Attribution, CleanDocument, Document
from dedup.text.attribution import outlet_name, parse_time
from dedup.text.line_rules import BREADCRUMB, Line, Page, edits_leave_text, find_link_list, rules_for
from dedup.text.normalize import compact, compact_lines, normalize
from dedup.text.outlets import OutletTable, name_key
from dedup.text.spin import find_spin_fragments, unspun

# Markup that names the outlet a page reproduces (article:author and author name people: not sources).
_META_SOURCE_KEYS = ("source", "article:source", "og:article:source", "dc.source", "citation_publisher", "mediaid")


@dataclass(frozen=True)
class CleanOptions:
    """What the cleaner may assume about the page; derived from :class:`dedup.config.Config`."""

    to_simplified: bool = True


_SAMPLE_CHARS = 2000
_NOT_ALNUM_BYTES = bytes(b for b in range(128) if not chr(b).isalnum())


def is_chinese(text: str) -> bool:
    """Whether the text is Chinese: characters beyond ASCII (CJK, once NFKC has folded full-width
    forms) make at least a fifth of its letters and digits, judged on its first 2,000 characters.

    Spinning, title-fragment and headline-shape rules were written for Chinese pages; on English text
    they take common words for injected fragments.

    >>> is_chinese("新华社北京电 今天 (reuters) 报道"), is_chinese("the senate voted on tuesday, 新闻")
    (True, False)
    """
    sample = text[:_SAMPLE_CHARS]
    ascii_part = sample.encode("ascii", "ignore")
    wide = len(sample) - len(ascii_part)  # counted by the C codec, not a regex over every character
    return wide > 0 and wide >= 0.2 * (wide + len(ascii_part.translate(None, _NOT_ALNUM_BYTES)))


def _title_of(doc: Document, to_simplified: bool) -> str | None:
    title = normalize(doc.title, to_simplified).strip() if doc.title else None
    if title and BREADCRUMB.search(title):
        # A text page's first line can be the breadcrumb; its last segment is the title.
        title = re.split(r"\s*[>»]\s*", title)[-1].strip() or None
    return title


def _meta_sources(doc: Document, to_simplified: bool) -> list[Attribution]:
    """The sources a page's metadata names (``<meta name="source">`` and the like)."""
    found = []
    for key in _META_SOURCE_KEYS:
        value = doc.meta.get(key)
        name = outlet_name(normalize(value, to_simplified)) if value else None
        if name:
            found.append(Attribution("meta source", name, f"<meta {key}={value}>"))
    return found


def _mark_own_credits(doc: Document, attributions: list[Attribution], outlets: OutletTable) -> bool:
    """Turn a 来源 that names the page's own site into a self-attribution and put every known
    outlet under its canonical name; returns whether the page names itself as its source."""
    own_names = {name_key(n) for n in (doc.meta.get("og:site_name"), doc.meta.get("site_name")) if n}
    own_outlet = outlets.by_site(doc.site)
    self_attributed = False
    for attribution in attributions:
        key = name_key(attribution.outlet)
        resolved = outlets.resolve(attribution.outlet)
        names_itself = key in own_names or (own_outlet is not None and resolved is own_outlet)
        if names_itself and attribution.form in ("来源", "出处", "来自"):
            attribution.form = "self"
            self_attributed = True
        if resolved is not None:
            attribution.outlet = resolved.name
    return self_attributed


def clean(doc: Document, outlets: OutletTable | None = None, options: CleanOptions | None = None) -> CleanDocument:
    """Clean one document: drop furniture, undo spinning, collect attributions and time.

    >>> d = clean(Document(id="a.txt", text="标题\\n2022-09-23 10:02 来源:中国证券报\\n正文第一段。\\n责任编辑:张三",
    ...                    title="标题", site="cs.com.cn"))
    >>> d.body, d.published_at, [a.outlet for a in d.attributions]
    ('正文第一段。', '2022-09-23T10:02:00+08:00', ['中国证券报'])
    """
    options = options or CleanOptions()
    outlets = outlets or OutletTable.default()
    to_simplified = options.to_simplified
    removed: list[tuple[str, str]] = list(doc.removed)
    attributions = _meta_sources(doc, to_simplified)
    fetched = doc.meta.get("fetched_at") or doc.meta.get("crawled_at")
    published = parse_time(doc.published_at, fetched) if doc.published_at else None

    title = _title_of(doc, to_simplified)
    title_key = compact(title) if title else ""
    page_lines = doc.text.replace("\r", "\n").split("\n")
    normalized = normalize("\n".join(page_lines), to_simplified)
    raw_lines = [line.strip() for line in normalized.split("\n")]
    if len(raw_lines) != len(page_lines):  # normalisation keeps line breaks; never trust that blindly
        page_lines = raw_lines
    where = [k for k, line in enumerate(raw_lines) if line]  # page line of each non-empty line
    lines = [raw_lines[k] for k in where]
    raw_keys = compact_lines(normalized)
    line_keys = [raw_keys[k] for k in where] if len(raw_keys) == len(raw_lines) else [compact(line) for line in lines]

    page = Page(outlets=outlets, fetched=fetched, title_key=title_key, chinese=is_chinese(normalized),
                 removed=removed, attributions=attributions, published=published)
    kept: list[str] = []
    kept_keys: list[str] = []  # compact(line) of each kept line, so the compared text is not rebuilt
    kept_written: list[str] = []  # each kept line as the page wrote it (before normalisation)
    for position, text in enumerate(lines):
        current = Line(text, line_keys[position], position, page.body_started)
        reason = None
        for rule in rules_for(len(text)):
            reason = rule(page, current)
            if reason is not None:
                break
        if reason is not None:
            removed.append((reason, text))
            continue
        if not edits_leave_text(page, current):
            continue
        attributions.extend(current.found)
        if not page.body_started and any(a.form == "dateline" for a in current.found):
            removed.append(("dateline", next(a.text for a in current.found if a.form == "dateline")))
        page.body_started = True
        kept_written.append(page_lines[where[position]].strip() if current.text == text else current.text)
        kept.append(current.text)
        kept_keys.append(current.key)
        page.kept.append(current.text)
    published, chinese = page.published, page.chinese

    spans = find_spin_fragments(kept, title) if chinese else {}
    spun = bool(spans)
    if spans:
        kept, kept_keys, kept_written = unspun(kept, kept_keys, kept_written, spans, removed)

    links_from = find_link_list(kept)
    if links_from < len(kept):
        removed.extend(("headline list", line) for line in kept[links_from:])
        kept, kept_keys, kept_written = kept[:links_from], kept_keys[:links_from], kept_written[:links_from]

    self_attributed = _mark_own_credits(doc, attributions, outlets)
    body = "\n".join(kept)
    return CleanDocument(
        doc=doc,
        compared="".join(kept_keys),
        compared_lines=kept_keys,
        body=body,
        text="\n".join(kept_written),
        title=title,
        published_at=published,
        attributions=attributions,
        removed=removed,
        spun=spun,
        self_attributed=self_attributed,
    )
