"""The line rules of the cleaner: each a ``(page, line) -> reason`` function in :data:`LINE_RULES`,
tried in order (the first that fires names the reason the line goes); :data:`LINE_EDITS` cut
pieces out of lines that stay; recommendation blocks and headline lists found by their shape."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from dedup.document import Attribution
from dedup.text.attribution import (
    ORIGINAL_LINK,
    ORIGINAL_TITLE,
    PREFACE,
    PREFACE_SOURCE,
    english_credit,
    find_attributions,
    names_only,
    outlet_name,
    parse_time,
)
from dedup.text.normalize import compact
from dedup.text.outlets import OutletTable
from dedup.urls import site_of_url

BREADCRUMB = re.compile(r"^(当前位置|您的位置|你的位置|所在位置|位置)\s*[:]|首页\s*[>»/]|>\s*正文$")
_STAFF = re.compile(r"^[\[(]?\s*(责任编辑|责编|编辑|作者|记者|校对|审核|审校|监制|主编|编审|实习编辑|实习生|策划|摄影|文|图)\s*[:/]")
_STAFF_INLINE = re.compile(r"[\[(]\s*(责任编辑|责编|编辑)\s*[:][^\])]{0,20}[\])]")
_LEGAL = re.compile(
    r"免责声明|版权声明|版权所有|copyright|all rights reserved|icp[证备]|备案号|未经授权|不得转载|禁止转载|如有侵权|联系删除|"
    r"仅代表作者|不代表本站|与本站无关|投资有风险|风险自担|本文不构成|据此操作"
)
"""Searched in the lower-cased line: a case-blind pattern is several times slower on Chinese text."""
_PROMPT = re.compile(
    r"^(分享到|分享至|扫一扫|扫描二维码|关注我们|关注微信|点击进入|点击查看|打开app|下载app|进入【|返回搜狐|查看更多|"
    r"微信扫一扫|字号|打印|收藏|举报|评论(?![人员家者])|加载更多|阅读全文|展开全文|相关标签|标签|关键词)"
)
# Pagers: 第1页/共1页, 上一页 | 下一页, 1 2 3 下一页.
_PAGER = re.compile(r"^(?:[\s|/\d]*(?:第\s*\d+\s*页|共\s*\d+\s*页|上一页|下一页|首页|尾页|末页)[\s|/]*){1,6}$")
_END_MARK = re.compile(r"^[(\[]?\s*(未完|完|全文完|end|待续|未完待续)\s*[)\]]?$")
_MORE = re.compile(r"\.{2,}\s*\[(详细|更多|全文)\]$|\[(详细|更多)\]$")
_SIBLING = re.compile(r"^(上一篇|下一篇|上一条|下一条|前一篇|后一篇)\s*[:]?")
_RECS_HEADER = re.compile(
    r"^[\[(【]?\s*(推荐文章|推荐阅读|相关阅读|相关文章|相关新闻|相关报道|热点阅读|热门阅读|热门推荐|热门文章|热点推荐|猜你喜欢|"
    r"延伸阅读|为您推荐|精彩推荐|更多精彩|最新文章|最新资讯|热门资讯|今日推荐|图文推荐|相关推荐|大家都在看|精彩图片|排行榜)\s*[\])】]?\s*[:]?$"
)
_HEADER_HINT = re.compile(r"来源|作者|编辑|发布|时间|浏览|阅读|分钟前|小时前|天前|昨天|今天|\d{4}\s*[-年/.]\s*\d{1,2}")


_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_MENU_SPLIT = re.compile(r"\s*[|｜/·•]\s*|\s{2,}|\s(?=\S{1,6}(?:\s|$))")


def is_menu_line(line: str) -> bool:
    """A navigation bar: three or more short labels (up to six characters, no figures) set apart by
    bars, dots, slashes or spaces, and nothing else.

    >>> is_menu_line("首页 | 新闻 | 财经 | 科技"), is_menu_line("首页 新闻 财经 科技 图片")
    (True, True)
    >>> is_menu_line("沪指 3068 深成指 9520 创业板 1630"), is_menu_line("央行今日开展逆回购操作 市场流动性合理充裕")
    (False, False)
    >>> is_menu_line("light of my life")
    False
    """
    if line.count(" ") < 2 and not any(mark in line for mark in "|｜/·•"):
        return False
    items = [item for item in _MENU_SPLIT.split(line.strip()) if item]
    return len(items) >= 3 and all(len(item) <= 6 and _CJK_CHAR.search(item) is not None and
                                   not any(ch.isdigit() or ch in "。,;:!?" for ch in item) for item in items)


def _is_prose(line: str) -> bool:
    return "。" in line or len(line) > 60


_SENTENCE_END = frozenset("。!?;…\"”’)")
_ENUMERATED = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d{1,2}[、.](?!\d)|[(\[]\s*[一二三四五六七八九十\d]{1,2}\s*[)\]]|第[一二三四五六七八九十\d]+)")
_ITEM_DATE = re.compile(r"\s*[(\[]?\s*(?:\d{4}[-/.年])?\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2})?\s*[)\]]?$")
_ITEM_BULLET = re.compile(r"^[·•\-*>»▪◆■●○□]\s*")
_MIN_LINK_ITEMS = 3


def _looks_like_headline(line: str) -> bool:
    """A line shaped like a linked headline: short, no sentence inside, not a list item or a data row."""
    if len(line) > 72 or "。" in line:  # most lines of a page: done before any regex runs
        return False
    line = _ITEM_BULLET.sub("", _ITEM_DATE.sub("", line)).strip()
    key = compact(line)
    if not 6 <= len(key) <= 40 or "。" in line or line[-1] in _SENTENCE_END or line.endswith(":"):
        return False
    if _ENUMERATED.match(line) or "%" in line:
        return False
    return sum(ch.isdigit() for ch in key) < 0.25 * len(key)


def find_link_list(lines: list[str]) -> int:
    """Where a trailing block of bare headlines starts (``len(lines)`` when there is none).

    Recommendation and navigation lists often come without a header (推荐阅读 ...): a run of three
    or more headline-shaped lines (short, no sentence punctuation, no figures table, no numbering)
    that ends the page, after at least one line of prose. Numbered lists and data rows are left
    alone, and a page made only of such lines is not touched.

    >>> lines = ["央行今日开展逆回购操作,市场流动性保持合理充裕。", "沪深两市成交额连续三日放大",
    ...          "多家券商上调全年盈利预测", "新能源车企公布十一月交付数据 2018-12-01"]
    >>> find_link_list(lines)
    1
    >>> find_link_list(lines[:3])
    3
    """
    start = len(lines)
    while start > 0 and _looks_like_headline(lines[start - 1]):
        start -= 1
    if len(lines) - start < _MIN_LINK_ITEMS or not any(_is_prose(line) for line in lines[:start]):
        return len(lines)
    return start


def _is_notice(line: str, at: int) -> bool:
    """A legal or disclaimer notice: short, bracketed, or opening with the notice words; a paragraph
    that mentions 版权所有者 deep inside its story is prose."""
    return len(line) <= 40 or at <= 30 or line[0] in "[(【"


@dataclass
class Page:
    """What the line rules read and write while one page is cleaned."""

    outlets: OutletTable
    fetched: str | None
    title_key: str
    chinese: bool
    removed: list[tuple[str, str]]
    attributions: list[Attribution]
    published: str | None
    kept: list[str] = field(default_factory=list)
    in_recs: bool = False
    recs_on_top: bool = False
    """A recommendation block above the story ends where prose starts, not at the page end."""
    body_started: bool = False
    more_seen: bool = False
    """A "...[详细]" paragraph was met (only the first can be the story's own cut-off end)."""


class Line:
    """One normalised line and what is known of it (its attributions are found when first asked)."""

    def __init__(self, text: str, key: str, position: int, body_started: bool) -> None:
        self.text, self.key, self.position = text, key, position
        self._first = not body_started  # datelines are looked for in the first paragraph only
        self._found: list[Attribution] | None = None

    @property
    def found(self) -> list[Attribution]:
        if self._found is None:
            self._found = find_attributions(self.text, first_paragraph=self._first)
        return self._found


LineRule = Callable[[Page, Line], "str | None"]
"""A rule that takes a whole line out of the article: returns the reason, or None to pass it on."""


def _recommendations_block(page: Page, line: Line) -> str | None:
    if page.in_recs and page.recs_on_top and _is_prose(line.text):
        page.in_recs = False
    return "recommendations" if page.in_recs else None


def _no_text(page: Page, line: Line) -> str | None:
    return None if line.key else "no text"


def _recommendations_header(page: Page, line: Line) -> str | None:
    if not _RECS_HEADER.match(line.text):
        return None
    # Above any prose (a title line alone does not count) the block is on top of the story.
    page.in_recs, page.recs_on_top = True, not any(_is_prose(kept) for kept in page.kept)
    return "recommendations"


def _breadcrumb(page: Page, line: Line) -> str | None:
    text = line.text
    if len(text) >= 200 or not ("位置" in text or "首页" in text or "正文" in text):  # words every match holds
        return None
    return "breadcrumb" if BREADCRUMB.search(text) else None


def _title_line(page: Page, line: Line) -> str | None:
    return "title" if page.title_key and line.key == page.title_key and not page.body_started else None


def _header(page: Page, line: Line) -> str | None:
    text = line.text
    if page.body_started or line.position >= 6 or len(text) > 100 or "。" in text or not _HEADER_HINT.search(text):
        return None
    found = line.found
    if not (any(a.form != "dateline" for a in found) or parse_time(text, page.fetched) is not None):
        return None
    page.attributions.extend(a for a in found if a.form != "dateline")
    page.published = page.published or parse_time(text, page.fetched)
    return "header"


def _source_line(page: Page, line: Line) -> str | None:
    found = line.found
    if not (found and len(line.text) <= 60 and any(a.form not in ("dateline", "据报道") for a in found)):
        return None
    page.attributions.extend(found)
    if not page.body_started:
        page.published = page.published or parse_time(line.text, page.fetched)
    return "attribution"


def _original_title(page: Page, line: Line) -> str | None:
    return "original title" if ORIGINAL_TITLE.match(line.text) else None


def _original_link(page: Page, line: Line) -> str | None:
    link = ORIGINAL_LINK.search(line.text) if "原文" in line.text else None
    if not link:
        return None
    owner = page.outlets.by_site(site_of_url(link.group(1)))
    if owner:
        page.attributions.append(Attribution("原文链接", owner.name, link.group(0)))
    return "attribution"


def _staff_credit(page: Page, line: Line) -> str | None:
    staff = _STAFF.match(line.text) if len(line.text) <= 60 else None
    return "staff credit" if staff and names_only(line.text[staff.end():]) else None


def _legal_notice(page: Page, line: Line) -> str | None:
    legal = _LEGAL.search(line.text.lower()) if len(line.text) <= 200 else None
    if not (legal and _is_notice(line.text, legal.start())):
        return None
    page.attributions.extend(a for a in line.found if a.form in ("本文来源于", "本文来自", "转载自"))
    return "legal notice"


def _share_prompt(page: Page, line: Line) -> str | None:
    return "share prompt" if len(line.text) <= 80 and _PROMPT.match(line.text) else None


def _pager(page: Page, line: Line) -> str | None:
    return "pager" if len(line.text) <= 60 and _PAGER.match(line.text) else None


def _english_byline(page: Page, line: Line) -> str | None:
    english = None if page.chinese or len(line.text) > 160 else english_credit(line.text)
    if english is None:
        return None
    page.attributions.extend(english)
    return "byline" if line.text.startswith("by ") else "attribution"


def _menu(page: Page, line: Line) -> str | None:
    if len(line.text) > 80 or not is_menu_line(line.text):
        return None
    return "staff credit" if "记者" in line.text or "编辑" in line.text else "navigation"


def _end_mark(page: Page, line: Line) -> str | None:
    return "end mark" if _END_MARK.match(line.text) or _SIBLING.match(line.text) else None


def _more_item(page: Page, line: Line) -> str | None:
    if "[" not in line.text or not _MORE.search(line.text):
        return None
    # A truncated copy ends its own text with "...[详细]": the first such paragraph, when it is
    # prose and follows the story's prose (or is the story's only prose), is the story cut short,
    # not a teaser for another one.
    prose_kept = [_is_prose(kept) for kept in page.kept]
    if not page.more_seen and _is_prose(line.text) and (not any(prose_kept) or prose_kept[-1]):
        page.more_seen = True
        return None
    page.more_seen = True
    return "recommendations"


_ANY = 1 << 30
LINE_RULES: tuple[tuple[int, LineRule], ...] = (
    (_ANY, _recommendations_block), (_ANY, _no_text), (_ANY, _recommendations_header), (199, _breadcrumb),
    (_ANY, _title_line), (100, _header), (60, _source_line), (_ANY, _original_title), (_ANY, _original_link),
    (60, _staff_credit), (200, _legal_notice), (80, _share_prompt), (60, _pager), (160, _english_byline),
    (80, _menu), (_ANY, _end_mark), (_ANY, _more_item),
)
"""The rules that take whole lines out, in the order they are tried, each with the longest line
it can take (longer lines skip it); the first that fires names the reason (``dedup explain`` and
``dedup extract`` show it)."""

_RULE_LIMITS = sorted({limit for limit, _ in LINE_RULES})
_RULES_UP_TO = [tuple(rule for limit, rule in LINE_RULES if limit >= size) for size in _RULE_LIMITS]
"""For each limit, the rules a line of at most that length is tried with (longer ones skip some)."""


def rules_for(size: int) -> tuple[LineRule, ...]:
    at = bisect_left(_RULE_LIMITS, size)
    return _RULES_UP_TO[at] if at < len(_RULES_UP_TO) else ()


def _editors_preface(page: Page, line: Line) -> bool:
    preface = PREFACE.search(line.text) if "编者按" in line.text else None
    if preface:
        credited = PREFACE_SOURCE.search(preface.group(0))
        if credited and outlet_name(credited.group(1)):
            page.attributions.append(Attribution("preface", credited.group(1), preface.group(0)))
        page.removed.append(("editor's preface", preface.group(0)))
        line.text = line.text.replace(preface.group(0), "").strip()
        line.key = compact(line.text)
    return bool(line.key)


def _inline_staff(page: Page, line: Line) -> bool:
    inline = _STAFF_INLINE.search(line.text) if "编" in line.text else None
    if inline:
        page.removed.append(("staff credit", inline.group(0)))
        line.text = line.text.replace(inline.group(0), "").strip()
        line.key = compact(line.text)
    return True


LINE_EDITS: tuple[Callable[[Page, Line], bool], ...] = (_editors_preface, _inline_staff)
"""Edits that cut a piece out of a kept line; one that leaves nothing returns False."""


def edits_leave_text(page: Page, line: Line) -> bool:
    for edit in LINE_EDITS:  # noqa: SIM110 - a plain loop: all() over a generator costs more per line
        if not edit(page, line):
            return False
    return True
