"""Main-text extraction from HTML pages with selectolax (lexbor).

The extractor keeps what the comparison and the attribution stages need: the title, the header
lines near it (date, 来源), the article's paragraphs, and the page's metadata.

How the article is found: every block of text on the page (a ``<p>``, or a ``<td>``/``<div>`` whose
own text is split by ``<br>``, inline and unknown tags such as ``<founder-content>`` included) is a
paragraph scored by its prose (letters of any script, CJK and Hangul counted more than Latin, plus
its sentence punctuation; link text does not count). A paragraph's score goes to its own element,
its parent and, in part, its grandparent; the element with the best score, discounted by its share
of link text, is the article, joined by siblings that hold prose of their own. Hidden elements
are dropped first; paragraphs inside navigation, footers, sidebars and recommendation blocks
count for little (such names also wrap whole articles on real sites: ``Page-ad-margins``), and
such blocks inside the article are left out of its text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

log = logging.getLogger("dedup")

_DROP_TAGS = ("script", "style", "noscript", "iframe", "svg", "template", "button", "select", "textarea", "input",
              "object", "embed", "canvas")
_STRUCTURAL_FURNITURE = ("nav", "footer", "aside")
_FURNITURE_CLASS = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|foot|recommend|related|relate|share|sharing|social|comment|comments|breadcrumb|"
    r"crumb|sidebar|side|advert|advertisement|ads?|banner|toolbar|copyright|hot|hotnews|tags|pager|pagination|"
    r"login|newsletter|promo|subscribe|byline-share|privacy|consent|cookie|cookies|gdpr|modal|popup)([\s_-]|$)",
    re.IGNORECASE,
)
# Names of article wrappers; with one of these an element is not furniture whatever else it is
# called (``l-sidebar-fixed l-article-body``), unless it names comments.
_ARTICLE_CLASS = re.compile(r"article|content|entry|story|post-body|main-text|detail|正文", re.IGNORECASE)
_COMMENT_CLASS = re.compile(r"comment|reply|respond", re.IGNORECASE)
_HIDDEN_CLASS = re.compile(r"(^|\s)(hidden|hide|d-none|display-none|sr-only|visually-hidden|screen-reader-text)(\s|$)",
                           re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    ["p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "section", "article",
     "blockquote", "pre", "br", "dd", "dt", "dl", "header", "main", "figure", "figcaption", "form", "center", "tbody",
     "body", "html", "fieldset", "address", "hr"]
)
_SKIP_TEXT_TAGS = frozenset(["-comment", "head", "title"])
_WIDE = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff]")
_WORD = re.compile(r"\w")
_SENTENCE = re.compile(r"[。！？；，,.!?;:：、]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_INFO_HINT = re.compile(r"来源|來源|发布|發布|时间|時間|作者|编辑|\d{4}[-年/.]\d{1,2}")
# A paragraph needs this much prose (about 8 CJK characters or 24 Latin letters) to count.
_MIN_PARAGRAPH = 8.0
# Paragraphs inside furniture count this much (again for each furniture level): a furniture class
# is a hint, not a verdict, since real sites wrap articles in elements named like furniture
# (``Page-ad-margins``, ``penci_sidebar``), and then everything around the article is inside it too.
_FURNITURE_DISCOUNT = 0.2


@dataclass
class ExtractedPage:
    title: str | None = None
    url: str | None = None
    lines: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    removed: list[tuple[str, str]] = field(default_factory=list)
    """(reason, text) of lines inside the article region that were left out."""
    published: str | None = None
    """The publication time as the page states it (markup, structured data, or a dated header line)."""


def prose_weight(text: str) -> float:
    """How much prose a string holds: CJK, kana and Hangul characters count 1, other letters and digits 1/3.

    >>> prose_weight("新闻 new")
    3.0
    """
    wide = len(_WIDE.findall(text))
    return wide + (len(_WORD.findall(text)) - wide) / 3


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


def _text_lines(node: LexborNode, skip: frozenset[int] = frozenset()) -> list[str]:
    """Text of a subtree with one line per block element, inline elements kept in their sentence."""
    parts: list[str] = []

    def walk(current: LexborNode) -> None:
        for child in current.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
            elif child.mem_id in skip or tag in _SKIP_TEXT_TAGS:
                continue
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
                walk(child)
                parts.append("\n")
            else:
                walk(child)

    walk(node)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _is_hidden(node: LexborNode) -> bool:
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    label = attrs.get("class") or ""
    style = attrs.get("style") or ""
    return bool((label and _HIDDEN_CLASS.search(label)) or (style and _HIDDEN_STYLE.search(style)))


def _is_furniture(node: LexborNode) -> bool:
    """Navigation, footers, sidebars, share bars, recommendation and comment blocks, by tag or class."""
    if node.tag in _STRUCTURAL_FURNITURE:
        return True
    attrs = node.attributes
    label = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    if len(label) <= 1 or _FURNITURE_CLASS.search(label) is None:
        return False
    return _ARTICLE_CLASS.search(label) is None or _COMMENT_CLASS.search(label) is not None


def _drop_hidden(tree: LexborHTMLParser) -> None:
    tree.strip_tags(list(_DROP_TAGS))
    for node in tree.css("[hidden], [aria-hidden], [style], [class]"):
        if node.tag not in ("body", "html") and _is_hidden(node):
            node.decompose()


# Move up to an ancestor whose other chunks add this share of paragraphs, when its links are few.
_WIDEN_GAIN = 0.25
_WIDEN_MAX_LINKS = 0.3


@dataclass
class _Stats:
    score: float = 0.0
    weight: float = 0.0
    link_weight: float = 0.0
    paragraphs: float = 0.0
    """Sum of the paragraph scores of the whole subtree (not decayed with depth)."""


def _score(body: LexborNode) -> tuple[dict[int, _Stats], dict[int, LexborNode]]:
    """Scores of every element: paragraph scores passed to parents, and prose and link weights of subtrees."""
    stats: dict[int, _Stats] = {}
    nodes: dict[int, LexborNode] = {}

    def visit(node: LexborNode, in_link: bool, discount: float) -> tuple[float, float, list[str], float]:
        """(weight, link weight) of the subtree; when inline, the text its block owns and how much
        of that is link text."""
        weight = link_weight = paragraphs = 0.0
        own: list[str] = []
        own_link = 0.0
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                text = child.text_content or ""
                if text.strip():
                    own.append(text)
                    if in_link:
                        own_link += prose_weight(text)
                continue
            if tag in _SKIP_TEXT_TAGS:
                continue
            child_link = in_link or _is_link(child)
            child_discount = discount * _FURNITURE_DISCOUNT if _is_furniture(child) or _teaser_list(child) else discount
            sub_weight, sub_link, sub_own, sub_own_link = visit(child, child_link, child_discount)
            weight += sub_weight
            link_weight += sub_link
            paragraphs += stats[child.mem_id].paragraphs
            if tag not in _BLOCK_TAGS:  # inline: its text belongs to this block's paragraph
                own.extend(sub_own)
                own_link += sub_own_link
        key = node.mem_id
        is_block = node.tag in _BLOCK_TAGS
        if is_block or node.parent is None:
            text = "".join(own)
            own_weight = prose_weight(text)
            own_link = min(own_link, own_weight) if own_weight else 0.0
            weight += own_weight
            link_weight += own_link
            prose = own_weight - own_link
            if prose >= _MIN_PARAGRAPH:
                paragraph = (prose + 3 * len(_SENTENCE.findall(text))) * discount
                _credit(node, paragraph, stats, nodes)
                paragraphs += paragraph
            own, own_link = [], 0.0
        entry = stats.setdefault(key, _Stats())
        nodes[key] = node
        entry.weight, entry.link_weight, entry.paragraphs = weight, link_weight, paragraphs
        return weight, link_weight, own, own_link

    visit(body, False, 1.0)
    return stats, nodes


def _is_link(node: LexborNode) -> bool:
    """An ``<a>`` that links somewhere (``<a name=...>`` anchors, often left open, hold articles)."""
    return node.tag == "a" and "href" in node.attributes


def _credit(node: LexborNode, paragraph: float, stats: dict[int, _Stats], nodes: dict[int, LexborNode]) -> None:
    current: LexborNode | None = node
    for share in (1.0, 1.0, 0.5, 1 / 3):
        if current is None or current.tag in ("html",):
            return
        stats.setdefault(current.mem_id, _Stats()).score += paragraph * share
        nodes[current.mem_id] = current
        current = current.parent


def _main_container(body: LexborNode, stats: dict[int, _Stats],
                    nodes: dict[int, LexborNode]) -> tuple[LexborNode | None, list[LexborNode]]:
    """The element that holds the article, and its siblings that hold more of it (``stats`` and
    ``nodes``: :func:`_score` of the page)."""
    best_key, best_value = None, 0.0
    for key, entry in stats.items():
        if entry.score <= 0:
            continue
        density = entry.link_weight / entry.weight if entry.weight else 1.0
        value = entry.score * (1 - density)
        if value >= best_value:
            best_key, best_value = key, value
    if best_key is None:
        return None, []
    best = _widen(nodes[best_key], stats)
    best_key = best.mem_id
    parent = best.parent
    extra: list[LexborNode] = []
    if parent is not None and best.tag != "body":
        floor = max(10.0, 0.2 * best_value)
        for sibling in parent.iter(include_text=False):
            if sibling.mem_id == best_key:
                extra.append(sibling)
                continue
            sibling_stats = stats.get(sibling.mem_id)
            if sibling_stats is None or sibling_stats.weight <= 0:
                continue
            density = sibling_stats.link_weight / sibling_stats.weight
            if sibling_stats.score * (1 - density) >= floor and density < 0.25:
                extra.append(sibling)
    return best, extra or [best]


def _shape(node: LexborNode) -> tuple[str, str]:
    """Tag and first class name: chunks of one article share them (``articleBodyText section``,
    ``articleBodyText version-2``)."""
    names = (node.attributes.get("class") or "").split()
    return node.tag or "", names[0] if names else ""


def _teaser_list(node: LexborNode) -> bool:
    """A list whose items mostly hold a link: headlines with summaries of other stories."""
    if node.tag not in ("ul", "ol", "dl"):
        return False
    items = [child for child in node.iter(include_text=False) if child.tag in ("li", "dt", "dd")]
    if len(items) < 3:
        return False
    return sum(item.css_first("a[href]") is not None for item in items) >= 0.5 * len(items)


def _widen(best: LexborNode, stats: dict[int, _Stats]) -> LexborNode:
    """An ancestor that holds more chunks of the same article.

    Articles split into chunks a level or two apart (``article__chunks > grid > body``, a run of
    ``StoryBodyCompanionColumn`` divs) score best in one chunk, since scores fade with depth. An
    ancestor is taken when its other children shaped like the chunk (same tag and class) add a
    quarter more paragraphs and its links stay few; table rows are layout, not chunks.
    """
    current = best
    for _ in range(3):
        parent = current.parent
        if parent is None or parent.tag in ("body", "html", "tr", "tbody", "table"):
            break
        up = stats.get(parent.mem_id)
        if up is None or up.weight <= 0 or up.link_weight / up.weight > _WIDEN_MAX_LINKS:
            break
        shape = _shape(current)
        chunks = sum(stats[sibling.mem_id].paragraphs for sibling in parent.iter(include_text=False)
                     if sibling.mem_id != current.mem_id and sibling.mem_id in stats and _shape(sibling) == shape)
        if chunks >= _WIDEN_GAIN * stats[current.mem_id].paragraphs:
            best = parent
        current = parent
    return best


def _left_out(container: LexborNode, stats: dict[int, _Stats]) -> frozenset[int]:
    """Blocks inside the article that are furniture or mostly links (related stories, tag lists);
    ``stats`` (:func:`_score`) already holds each block's prose and link text."""
    skip: set[int] = set()
    for node in container.css("*"):
        if _is_furniture(node) or _teaser_list(node):
            skip.add(node.mem_id)
        elif node.tag in _LIST_BLOCKS:
            entry = stats.get(node.mem_id)
            if entry is not None and entry.weight > 0 and entry.link_weight / entry.weight > 0.6 \
                    and len(node.css("a[href]")) >= 3:
                skip.add(node.mem_id)
    return frozenset(skip)


_LIST_BLOCKS = frozenset(["ul", "ol", "dl", "div", "table", "section"])


_PUBLISHED_META = ("article:published_time", "og:article:published_time", "article:published", "datepublished",
                   "pubdate", "publishdate", "publish_date", "publish-date", "publication_date", "parsely-pub-date",
                   "sailthru.date", "dc.date.issued", "dc.date.created", "dc.date", "og:release_date", "apub:time", "pdate",
                   "date", "article.published", "datecreated")
_DATE_TEXT = re.compile(r"(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}(?:\s*日)?(?:[T\s]*\d{1,2}:\d{2}(?::\d{2})?)?")
_SCRIPT_DATE = re.compile(r"""["']?(?:datePublished|pubDate|publish_time|publishTime|pubtime|pubTime|ptime|publishDate|"""
                          r"""firstPublished|publishedAt|published_at|dateCreated)["']?"""
                          r"""\s*[:=]\s*["']([^"']{8,40})["']""")
_DATE_CLASS = re.compile(r"(^|[\s_-])(date|time|pubtime|pub_time|pubdate|publish|published|post-time|posttime|"
                         r"article-time|timestamp|dateline)([\s_-]|$)", re.IGNORECASE)
_DATE_HINT = re.compile(r"发表|发布|时间|日期|来源|published|posted|updated", re.IGNORECASE)


def _published(tree: LexborHTMLParser, meta: dict[str, str], html: str) -> str | None:
    """The publication time a page states: its markup, then structured data in scripts, then an
    element named for dates, then a short dated line that says what the date is (发表于, 来源 ...)."""
    for key in _PUBLISHED_META:
        value = meta.get(key)
        stated = (value if _DATE_TEXT.search(value) else _compact_date(value)) if value else None
        if stated:
            return stated
    for match in _SCRIPT_DATE.finditer(html):
        if _DATE_TEXT.search(match.group(1)) and not match.group(1).startswith(("0001", "1970")):
            return match.group(1)
    for node in tree.css("time[datetime]"):
        value = node.attributes.get("datetime")
        if value and _DATE_TEXT.search(value):
            return value
    for node in tree.css("time, [class], [id]"):
        attrs = node.attributes
        label = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if node.tag == "time" or _DATE_CLASS.search(label):
            text = node.text(deep=True)
            dated = _DATE_TEXT.search(text)
            if dated:
                return dated.group(0)
            written = english_date(text) if len(text) <= 120 else None
            if written:
                return written
    return url_date(meta.get("canonical") or meta.get("og:url"))


_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|" \
         r"nov(?:ember)?|dec(?:ember)?)"
_ENGLISH_DATE = re.compile(r"\b" + _MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})\b"
                           r"|\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"\.?,?\s+((?:19|20)\d{2})\b", re.IGNORECASE)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2}|" + _MONTH + r")[/-](\d{1,2})(?:/|-|$)"
                       r"|/((?:19|20)\d{2})(\d{2})(\d{2})/", re.IGNORECASE)


def _iso(year: str, month: str | int, day: str) -> str | None:
    number = month if isinstance(month, int) else (int(month) if month.isdigit() else _MONTHS.get(month.lower()[:3]))
    if number is None or not 1 <= number <= 12 or not 1 <= int(day) <= 31:
        return None
    return f"{int(year):04d}-{number:02d}-{int(day):02d}"


def english_date(text: str) -> str | None:
    """A date written out in English (``Nov. 18, 2019``, ``18 November 2019``), as ``YYYY-MM-DD``.

    >>> english_date("Updated Nov. 18, 2019 at 5:02 p.m."), english_date("18th November 2019")
    ('2019-11-18', '2019-11-18')
    """
    found = _ENGLISH_DATE.search(text)
    if not found:
        return None
    if found.group(1):
        return _iso(found.group(3), found.group(1), found.group(2))
    return _iso(found.group(6), found.group(5), found.group(4))


def url_date(url: str | None) -> str | None:
    """The date in a page's own address (``/2019/11/18/``, ``/2019/nov/18/``, ``/20191118/``), as ``YYYY-MM-DD``.

    >>> url_date("https://www.politifact.com/statements/2019/nov/18/what-value/")
    '2019-11-18'
    """
    found = _URL_DATE.search(url or "")
    if not found:
        return None
    if found.group(1):
        return _iso(found.group(1), found.group(2), found.group(4))
    return _iso(found.group(5), found.group(6), found.group(7))


def _compact_date(value: str) -> str | None:
    """``20191118`` (an eight-digit date, as some pages' ``pdate`` gives it), as ``YYYY-MM-DD``."""
    value = value.strip()
    return _iso(value[:4], value[4:6], value[6:8]) if len(value) == 8 and value.isdigit() and value[:2] in ("19", "20") \
        else None


def _dated_line(lines: list[str]) -> str | None:
    """The date of the first short line that says what its date is, or that is little but a date
    (``2005-06-14 03:25:55``, ``2003-7-24 钱江晚报``)."""
    for line in lines:
        if len(line) > 100:
            continue
        found = _DATE_TEXT.search(line)
        if found and (_DATE_HINT.search(line) or prose_weight(line.replace(found.group(0), "")) <= 6):
            return found.group(0)
    return None


def _title(tree: LexborHTMLParser, meta: dict[str, str]) -> str | None:
    title = meta.get("og:title")
    h1 = tree.css_first("h1")
    if not title and h1 is not None:
        title = " ".join(h1.text(deep=True).split()) or None
    if not title:
        title_node = tree.css_first("title")
        if title_node is not None:
            raw = " ".join(title_node.text(deep=True).split())
            title = re.split(r"\s*[_|｜—-]+\s*(?=[^_|｜—-]*$)", raw)[0] if raw else None
    return title


def extract_html(html: str) -> ExtractedPage:
    """Extract title, URL, main-text lines, metadata and publication time from an HTML page.

    A page nested deeper than Python's stack allows (broken markup: thousands of unclosed tags)
    is read as the plain text of its body instead, with a warning.

    >>> page = extract_html('<html><head><title>标题_某网</title></head><body><div id="c"><p>第一段的文字在这里。</p>'
    ...                     '<p>第二段的文字在这里。</p></div><div class="footer">版权所有</div></body></html>')
    >>> page.title, page.lines
    ('标题', ['第一段的文字在这里。', '第二段的文字在这里。'])
    """
    try:
        return _extract(html)
    except RecursionError:
        log.warning("page nested too deeply for article extraction; its whole text is used")
        tree = LexborHTMLParser(html)
        meta = _meta(tree)
        tree.strip_tags(list(_DROP_TAGS))
        text = tree.body.text(separator="\n") if tree.body is not None else ""
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return ExtractedPage(title=_title(tree, meta), url=meta.get("canonical") or meta.get("og:url"),
                             lines=[line for line in lines if line], meta=meta)


def _extract(html: str) -> ExtractedPage:
    """The article extraction proper (the module docstring says how the article is found)."""
    tree = LexborHTMLParser(html)
    meta = _meta(tree)
    title = _title(tree, meta)
    url = meta.get("canonical") or meta.get("og:url")
    body = tree.body
    if body is None:
        return ExtractedPage(title=title, url=url, lines=[], meta=meta)
    published = _published(tree, meta, html)
    _drop_hidden(tree)
    stats, nodes = _score(body)
    main, parts = _main_container(body, stats, nodes)
    if main is None:
        lines = _text_lines(body)
        return ExtractedPage(title=title, url=url, lines=lines, meta=meta, published=published or _dated_line(lines))
    main_lines: list[str] = []
    removed: list[tuple[str, str]] = []
    for part in parts:
        link_lists = _left_out(part, stats)
        main_lines.extend(_text_lines(part, link_lists))
        if link_lists:
            kept = set(main_lines)
            removed.extend(("link list or furniture", line) for line in _text_lines(part) if line not in kept)
    # Header lines (date, 来源, 作者) usually sit outside the article container, near the title.
    info_lines: list[str] = []
    page_lines: list[str] | None = None  # the whole page's lines, walked only when needed
    if len(_CJK.findall("".join(main_lines[:20]))) > 20:
        first = main_lines[0] if main_lines else None
        page_lines = _text_lines(body)
        for line in page_lines:
            if line == first:
                break
            if len(line) <= 200 and _INFO_HINT.search(line) and line != title:
                info_lines.append(line)
    if published is None:
        published = _dated_line(info_lines + main_lines[:8]) or _dated_line(
            page_lines if page_lines is not None else _text_lines(body))
    return ExtractedPage(title=title, url=url, lines=info_lines + main_lines, meta=meta, removed=removed,
                         published=published)
