"""Main-text extraction from HTML pages with selectolax (lexbor).

The extractor keeps what the comparison and the attribution stages need: the title, the header
lines near it (date, 来源), the article container's paragraphs, and the page's metadata. Navigation,
recommendation lists, footers and scripts are dropped by structure before any text is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

_DROP_TAGS = ("script", "style", "noscript", "iframe", "nav", "footer", "aside", "form", "svg", "template")
_FURNITURE_CLASS = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|foot|recommend|related|relate|share|comment|comments|breadcrumb|crumb|"
    r"sidebar|side|advert|ads?|banner|toolbar|copyright|hot|hotnews|tags|pager|pagination|login)([\s_-]|$)",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    ["p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "section", "article", "blockquote", "pre", "br", "dd", "dt", "dl", "header", "main"]
)
_CONTAINER_TAGS = ("article", "main", "section", "div", "td")
_CJK = re.compile(r"[\u3400-\u9fff]")
_INFO_HINT = re.compile(r"来源|來源|发布|發布|时间|時間|作者|编辑|\d{4}[-年/.]\d{1,2}")


@dataclass
class ExtractedPage:
    title: str | None = None
    url: str | None = None
    lines: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def _meta(tree: LexborHTMLParser) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        value = attrs.get("content")
        if key and value:
            out.setdefault(key.strip().lower(), value.strip())
    for node in tree.css('link[rel="canonical"]'):
        href = node.attributes.get("href")
        if href:
            out.setdefault("canonical", href.strip())
    return out


def _text_lines(node: LexborNode) -> list[str]:
    """Text of a subtree with one line per block element, inline elements kept in their sentence."""
    parts: list[str] = []

    def walk(current: LexborNode) -> None:
        for child in current.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
                walk(child)
                parts.append("\n")
            elif tag not in ("-comment",):
                walk(child)

    walk(node)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _drop_furniture(tree: LexborHTMLParser) -> None:
    tree.strip_tags(list(_DROP_TAGS))
    for node in tree.css("[class], [id]"):
        attrs = node.attributes
        label = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if _FURNITURE_CLASS.search(label) and node.tag not in ("body", "html"):
            node.decompose()


def _main_container(tree: LexborHTMLParser) -> LexborNode | None:
    """The element whose own paragraphs hold the most CJK (or other) text."""
    best: LexborNode | None = None
    best_score = 0
    for node in tree.css(",".join(_CONTAINER_TAGS)):
        score = 0
        for child in node.iter():
            if child.tag in ("p", "br", "#text", "span", "font", "strong"):
                text = child.text(deep=True) if child.tag != "br" else ""
                score += len(_CJK.findall(text)) * 2 + len(text) // 4
        if score > best_score:
            best, best_score = node, score
    return best


def extract_html(html: str) -> ExtractedPage:
    """Extract title, URL, main-text lines and metadata from an HTML page.

    >>> page = extract_html('<html><head><title>标题_某网</title></head><body><div id="c"><p>第一段。</p>'
    ...                     '<p>第二段。</p></div><div class="footer">版权所有</div></body></html>')
    >>> page.lines
    ['第一段。', '第二段。']
    """
    tree = LexborHTMLParser(html)
    meta = _meta(tree)
    title = meta.get("og:title")
    h1 = tree.css_first("h1")
    if not title and h1 is not None:
        title = " ".join(h1.text(deep=True).split()) or None
    if not title:
        title_node = tree.css_first("title")
        if title_node is not None:
            raw = " ".join(title_node.text(deep=True).split())
            title = re.split(r"\s*[_|｜—-]+\s*(?=[^_|｜—-]*$)", raw)[0] if raw else None
    url = meta.get("canonical") or meta.get("og:url")

    _drop_furniture(tree)
    body = tree.body
    if body is None:
        return ExtractedPage(title=title, url=url, lines=[], meta=meta)
    main = _main_container(tree)
    main_lines = _text_lines(main) if main is not None else []
    # Header lines (date, 来源, 作者) usually sit outside the article container, near the title.
    info_lines: list[str] = []
    if main is not None:
        main_set = set(main_lines)
        for line in _text_lines(body):
            if line in main_set:
                break
            if len(line) <= 200 and _INFO_HINT.search(line) and line != title:
                info_lines.append(line)
    else:
        main_lines = _text_lines(body)
    return ExtractedPage(title=title, url=url, lines=info_lines + main_lines, meta=meta)
