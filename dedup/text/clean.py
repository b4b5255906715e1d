"""Cleaning: separate a page's article text from its furniture, spinning and attribution lines.

Pure functions over a :class:`~dedup.document.Document`; nothing here reads files. The result keeps
the normalised body lines (so a later stage can still drop lines a site repeats on every page),
the attributions and time found, and every removal with its reason, for ``dedup explain``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
from numba import njit

from dedup.compiled import NUMBA_CACHE, code_points
from dedup.document import Attribution, CleanDocument, Document
from dedup.errors import InputError
from dedup.text.normalize import alnum_table, compact, compact_lines, normalize
from dedup.text.outlets import OutletTable, name_key
from dedup.urls import site_of_url

CHINA_TZ = timezone(timedelta(hours=8))

# --- attribution -----------------------------------------------------------------------------

_NAME = r"([\w·&]{2,24}?)"
# A credit of a picture, a video or of data (图片来源, 视频来源, 数据来源, 资料来源, 配图来源 ...)
# names who made that piece, not the story's source.
_SOURCE_LINE = re.compile(
    r"(?<![片图据料频像材面])"
    r"(媒体来源|文章来源|稿件来源|信息来源|新闻来源|内容来源|来源|出处|来自)\s*[:]\s*([\w·&]{2,30}(?: [a-z][a-z&]{1,11}){0,3})"
)
_FROM_PHRASE = re.compile(r"(本文来源于|本文来自|本文转载自|转载自|转自|本文首发于|首发于)\s*[:]?\s*([\w·&]{2,30})")
_ORIGINAL_TITLE = re.compile(r"原标题\s*[:]\s*(.+)")
_ORIGINAL_LINK = re.compile(r"原文(?:链接|地址)\s*[:]\s*(https?://\S+)")
_DATELINE_WIRE = re.compile(r"^(新华社|中新社|中新网|人民网|央视网|央广网|国际在线|中国日报网)[\w]{0,8}?\d{1,2}月\d{1,2}日(?:电|讯)")
_DATELINE_XUN = re.compile(r"^" + _NAME + r"(?:讯|消息)\s*(?:\(|\s|$|记者)")
_DATELINE_REPORTER = re.compile(r"^" + _NAME + r"\s*(?:记者|特约记者|见习记者|通讯员)\s")
_REPORTED_BY = re.compile(r"据" + _NAME + r"(?:报道|消息|援引|披露|统计)")
_PREFACE = re.compile(r"编者按\s*[:].*?(?:全文如下|原文如下|内容如下)[。.:]?")
_PREFACE_SOURCE = re.compile(r"(?:近日|日前|今日)?,?\s*" + _NAME + r"(?:刊发|发表|刊登)了?(?:文章|评论)")
_WIRE_EN = re.compile(r"\((reuters|ap|afp|bloomberg|xinhua|dow jones)\)\s*[-—–]", re.IGNORECASE)
# Names that are not outlets although they stand where a source does.
_NOT_OUTLETS = frozenset(name_key(n) for n in (
    "网络", "互联网", "网友", "本站", "综合", "网络整理", "综合整理", "整理", "网络转载", "未知", "作者", "本网", "公司公告",
    "公告", "记者", "其他", "资料", "官网", "微信公众号", "公众号", "新闻", "编辑", "合作媒体", "新浪合作媒体", "网易合作媒体",
))

# --- furniture -------------------------------------------------------------------------------

_BREADCRUMB = re.compile(r"^(当前位置|您的位置|你的位置|所在位置|位置)\s*[:]|首页\s*[>»/]|>\s*正文$")
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
# English bylines and wire credits (on normalised, case-folded lines).
_WIRE_NAMES = r"associated press|the associated press|reuters|agence france-presse|afp|bloomberg|bloomberg news|ap|upi"
_BYLINE_EN = re.compile(r"^by\s+[a-z][\w.'’-]*(?:[\s,&]+[\w.'’-]+){0,9}$")
_WIRE_LINE_EN = re.compile(r"^(?:©\s*\d{0,4}\s*|copyright\s*\d{0,4}\s*)?(" + _WIRE_NAMES + r")\.?$")
_WIRE_IN_BYLINE = re.compile(r"\b(" + _WIRE_NAMES + r")\b")
_CONTRIBUTED_EN = re.compile(r"contributed (?:to )?this (?:report|story|article)|reporting by|editing by|writing by")
_END_MARK = re.compile(r"^[(\[]?\s*(未完|完|全文完|end|待续|未完待续)\s*[)\]]?$")
_MORE = re.compile(r"\.{2,}\s*\[(详细|更多|全文)\]$|\[(详细|更多)\]$")
_SIBLING = re.compile(r"^(上一篇|下一篇|上一条|下一条|前一篇|后一篇)\s*[:]?")
_RECS_HEADER = re.compile(
    r"^[\[(【]?\s*(推荐文章|推荐阅读|相关阅读|相关文章|相关新闻|相关报道|热点阅读|热门阅读|热门推荐|热门文章|热点推荐|猜你喜欢|"
    r"延伸阅读|为您推荐|精彩推荐|更多精彩|最新文章|最新资讯|热门资讯|今日推荐|图文推荐|相关推荐|大家都在看|精彩图片|排行榜)\s*[\])】]?\s*[:]?$"
)
# Markup that names the outlet a page reproduces (article:author and author name people: not sources).
_META_SOURCE_KEYS = ("source", "article:source", "og:article:source", "dc.source", "citation_publisher", "mediaid")
_DATE_RE = re.compile(
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?"
    r"(?:[T\s]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?"
    r"(?:\s*(Z|[+-]\d{2}:?\d{2}))?"
)
_HEADER_HINT = re.compile(r"来源|作者|编辑|发布|时间|浏览|阅读|分钟前|小时前|天前|昨天|今天|\d{4}\s*[-年/.]\s*\d{1,2}")
_BOUNDARY = ",.;!?:、。;!?:\"“”'‘’ ()\t"


@dataclass(frozen=True)
class CleanOptions:
    """What the cleaner may assume about the page; derived from :class:`dedup.config.Config`."""

    to_simplified: bool = True


_RELATIVE = re.compile(r"(\d{1,3})\s*(分钟|小时|天)前|(今天|昨天|前天)\s*(\d{1,2}):(\d{2})")


def _relative_time(text: str, base: str | None) -> str | None:
    if not base:
        return None
    match = _RELATIVE.search(text)
    if not match:
        return None
    try:
        moment = datetime.fromisoformat(base)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    if match.group(1):
        unit = {"分钟": timedelta(minutes=1), "小时": timedelta(hours=1), "天": timedelta(days=1)}[match.group(2)]
        return (moment - int(match.group(1)) * unit).replace(microsecond=0).isoformat()
    days_back = {"今天": 0, "昨天": 1, "前天": 2}[match.group(3)]
    day = moment - timedelta(days=days_back)
    try:
        return day.replace(hour=int(match.group(4)), minute=int(match.group(5)), second=0, microsecond=0).isoformat()
    except ValueError:
        return None


def parse_time(text: str | None, base: str | None = None) -> str | None:
    """The first date (and time) in a string, as ISO 8601; China time when no zone is given.

    Relative times (``3小时前``, ``昨天 10:20``) are read against ``base``, the time the page was
    fetched, when it is known.

    >>> parse_time("2018年12月11日 20:02　来源：经济观察网")
    '2018-12-11T20:02:00+08:00'
    >>> parse_time("2018-12-11T19:13:00+08:00")
    '2018-12-11T19:13:00+08:00'
    >>> parse_time("3小时前 来源：新华网", base="2024-03-12T12:00:00+08:00")
    '2024-03-12T09:00:00+08:00'
    """
    if not text:
        return None
    match = _DATE_RE.search(text)
    if not match:
        return _relative_time(text, base)
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        tz = CHINA_TZ
        if zone:
            if zone == "Z":
                tz = timezone.utc
            else:
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz)
    except ValueError:
        return None
    if not 1990 <= moment.year <= 2100:
        return None
    return moment.isoformat()


_DATE_TAIL = re.compile(r"\d{1,2}月\d{1,2}日.*$")
_PLACE_TAIL = re.compile(r"^(.+?(?:网|报|社|台|新闻|财经))[\u4e00-\u9fff]{1,4}$")


def _outlet_name(raw: str) -> str | None:
    # "中国经济网杭州11月27日" in a dateline: the outlet, then the place and the date.
    name = raw
    if _DATE_TAIL.search(name):
        name = _DATE_TAIL.sub("", name)
        place = _PLACE_TAIL.match(name)
        name = place.group(1) if place else name
    name = name.strip(" ·:,.")
    for tail in ("编辑", "作者", "记者", "责任编辑", "发布时间", "时间", "原标题"):
        if tail in name and not name.startswith(tail):
            name = name[: name.index(tail)]
    if len(name) < 2 or name_key(name) in _NOT_OUTLETS or name.isdigit():
        return None
    return name


def find_attributions(line: str, first_paragraph: bool = False) -> list[Attribution]:
    """Attributions written in one normalised line.

    >>> [(a.form, a.outlet) for a in find_attributions("2025-07-06 [知识] 来源:庚癸之呼网 媒体来源:中国证券报")]
    [('来源', '庚癸之呼网'), ('媒体来源', '中国证券报')]
    >>> find_attributions("(图片来源:达志影像) 数据来源:东方财富Choice 视频来源:央视")
    []
    """
    found: list[Attribution] = []
    # Cheap tests on words every match must hold spare most lines the slower regular expressions.
    named = ":" in line and ("来源" in line or "出处" in line or "来自" in line)
    for match in _SOURCE_LINE.finditer(line) if named else ():
        name = _outlet_name(match.group(2))
        if name:
            found.append(Attribution(match.group(1), name, match.group(0)))
    for match in _FROM_PHRASE.finditer(line) if ("转" in line or "本文" in line or "首发" in line) else ():
        name = _outlet_name(match.group(2))
        if name:
            found.append(Attribution(match.group(1), name, match.group(0)))
    for match in _REPORTED_BY.finditer(line) if "据" in line else ():
        name = _outlet_name(match.group(1))
        if name:
            found.append(Attribution("据报道", name, match.group(0)))
    for match in _WIRE_EN.finditer(line) if "(" in line else ():
        found.append(Attribution("wire", match.group(1), match.group(0)))
    if first_paragraph:
        for pattern in (_DATELINE_WIRE, _DATELINE_XUN, _DATELINE_REPORTER):
            dateline = pattern.search(line)
            if dateline:
                name = _outlet_name(dateline.group(1))
                if name and name not in ("本报", "本刊", "本网", "本台"):
                    found.append(Attribution("dateline", name, dateline.group(0)))
                break
    return found


# --- spinning --------------------------------------------------------------------------------


_CLAUSE_START = re.compile("[" + re.escape(_BOUNDARY) + "]+(?=[^ ])")


_CLAUSE_WORDS = re.compile("[" + re.escape(_BOUNDARY) + r"]+(\w{2,10})")
_LEADING_WORDS = re.compile(r"\w{2,10}")


def clause_openings(line: str) -> list[str]:
    """The first (up to ten) word characters of every clause that opens with two or more."""
    leading = _LEADING_WORDS.match(line)
    openings: list[str] = _CLAUSE_WORDS.findall(line)
    return [leading.group(0), *openings] if leading else openings


@lru_cache(maxsize=1)
def _char_tables() -> tuple[np.ndarray, np.ndarray]:
    """For each code point of the Basic Multilingual Plane: is it a word character (as ``\\w``),
    is it a clause boundary (:data:`_BOUNDARY`)."""
    word = alnum_table().copy()
    word[ord("_")] = True
    boundary = np.zeros(0x10000, dtype=bool)
    boundary[[ord(ch) for ch in _BOUNDARY]] = True
    return word, boundary


@njit(cache=NUMBA_CACHE, nogil=True)
def _opening_hits(codes: np.ndarray, word: np.ndarray, boundary: np.ndarray,
                  title: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Rows of (line index, ordinal, start, length) of the clause openings whose first two code
    points are in ``title`` (sorted); ``codes`` are the page's lines joined by line breaks."""
    out = np.empty((codes.shape[0] // 2 + 1, 4), dtype=np.int64)
    found = 0
    line = 0
    ordinal = 0
    n = codes.shape[0]
    for i in range(n - 1):
        if codes[i] == 10:
            line += 1
            ordinal = 0
            continue
        if not (word[codes[i]] and word[codes[i + 1]]):
            continue
        if i > 0 and codes[i - 1] != 10 and not boundary[codes[i - 1]]:
            continue
        first = np.searchsorted(title, codes[i])
        second = np.searchsorted(title, codes[i + 1])
        if (first < title.shape[0] and title[first] == codes[i] and second < title.shape[0]
                and title[second] == codes[i + 1]):
            length = 2
            while length < 10 and i + length < n and word[codes[i + length]]:
                length += 1
            out[found, 0] = line
            out[found, 1] = ordinal
            out[found, 2] = i
            out[found, 3] = length
            found += 1
        ordinal += 1
    return out[:found]


def title_openings(lines: list[str], title_chars: set[str]) -> list[tuple[int, int, str]]:
    """``(line index, ordinal, opening)`` of each clause opening (:func:`clause_openings`) whose
    first two characters are in the title, found for the whole page at once.

    A page has a hundred clause openings or more, and a handful that start with title characters:
    a compiled pass over the code points finds them, so that Python looks at those few alone.

    >>> title_openings(["新规出台,新规落地", "落地后,新规"], set("新规落地"))
    [(0, 0, '新规出台'), (0, 1, '新规落地'), (1, 0, '落地后'), (1, 1, '新规')]
    """
    text = "\n".join(lines)
    codes = code_points(text)
    if codes.size < 2 or int(codes.max()) > 0xFFFF:  # beyond the tables: opening by opening
        return [(index, ordinal, opening) for index, line in enumerate(lines)
                for ordinal, opening in enumerate(clause_openings(line))
                if opening[0] in title_chars and opening[1] in title_chars]
    word, boundary = _char_tables()
    title = np.array(sorted(ord(ch) for ch in title_chars), dtype=np.uint32)
    return [(line, ordinal, text[start:start + length])
            for line, ordinal, start, length in _opening_hits(codes, word, boundary, title).tolist()]


def _clause_opening_starts(line: str) -> list[int]:
    """Where the openings of :func:`clause_openings` start, in the same order."""
    starts = [match.start(1) for match in _CLAUSE_WORDS.finditer(line)]
    return [0, *starts] if _LEADING_WORDS.match(line) else starts


def _count_clause_starts(line: str) -> int:
    """Clauses in a line: the line start and every run of boundary marks followed by text."""
    return int(bool(line) and line[0] != " ") + sum(1 for _ in _CLAUSE_START.finditer(line))


_MIN_PIECES = 2
_MAX_PIECE = 8
"""Spinners chop titles into pieces of two to eight characters; a longer run of title characters
recurring at clause starts is the article quoting its own headline (加快培育一批有国际竞...)."""


def _quotes_title(opening: str, length: int, title_key: str) -> bool:
    """The clause goes on as the title does after the piece: the article quoting its headline
    (马克龙星期一在莫斯科..., 17种产品、1个园区入选...), not a piece put in front of a clause."""
    return len(opening) >= length + 2 and opening[: length + 2] in title_key


def find_spin_fragments(lines: list[str], title: str | None) -> dict[int, list[tuple[int, int]]]:
    """Title fragments a spinner injected at clause starts: ``{line index: [(start, end), ...]}``.

    A spinner chops the title into 2-8 character pieces and puts them at the start of clauses. A
    piece is recognised as a run of title characters that recurs at several clause starts; the page
    counts as spun only when such pieces stand at a large share of its clause starts.
    """
    if not title:
        return {}
    title_chars = set(compact(title))
    if len(title_chars) < 4:
        return {}
    # A run of title characters (up to 10) standing at a clause start: the line start, or right after
    # punctuation or a space. Runs are found on the words that open clauses (collected by the regex
    # engine); their positions are looked up only if the page turns out to be spun.
    runs: list[tuple[int, int, str, str]] = []  # (line index, clause ordinal, run, clause opening)
    for index, ordinal, opening in title_openings(lines, title_chars):
        end = 2
        while end < len(opening) and opening[end] in title_chars:
            end += 1
        runs.append((index, ordinal, opening[:end], opening))
    # A hit is a run that opens with a piece recurring at two clause starts or more, so its first
    # two characters recur too: fewer than four such runs cannot make a spun page.
    openings = Counter(run[:2] for _, _, run, _ in runs)
    if sum(count for count in openings.values() if count >= 2) < 4:
        return {}
    prefix_count: Counter[str] = Counter()
    for _, _, run, _ in runs:
        for length in range(2, len(run) + 1):
            prefix_count[run[:length]] += 1
    # A piece is "closed": where it recurs, it is mostly not the start of one longer recurring run
    # (a true sentence opening such as 江城市 vs the injected piece 江城推 share the prefix 江城).
    longest_extension: Counter[str] = Counter()
    for prefix, count in prefix_count.items():
        if len(prefix) > 2:
            parent = prefix[:-1]
            longest_extension[parent] = max(longest_extension[parent], count)
    pieces = {
        piece for piece, count in prefix_count.items()
        if count >= 2 and longest_extension[piece] <= 0.5 * count and len(piece) <= _MAX_PIECE
    }
    # Pieces partition the title: a piece that is the start of a longer piece is that piece's
    # opening chars met at a genuine sentence start, not a piece of its own.
    pieces = {piece for piece in pieces if not any(other != piece and other.startswith(piece) for other in pieces)}
    found_ordinals: dict[int, list[tuple[int, int]]] = {}
    pieces_in_line: dict[int, set[str]] = {}
    title_key = compact(title)
    for index, ordinal, run, opening in runs:
        for length in range(len(run), 1, -1):
            piece = run[:length]
            if piece in pieces and not _quotes_title(opening, length, title_key):
                pieces_in_line.setdefault(index, set()).add(piece)
                found_ordinals.setdefault(index, []).append((ordinal, length))
                break
    # A spun line carries two or more different pieces; a line where one recurring word of the
    # title (工信部) opens clauses is the article's own text, and is neither judged nor cleaned.
    found_ordinals = {index: spans for index, spans in found_ordinals.items() if len(pieces_in_line[index]) >= 2}
    fragments = {piece for index in found_ordinals for piece in pieces_in_line[index]}
    hits = sum(len(spans) for spans in found_ordinals.values())
    # Judge only the lines that hold fragments: spinners often treat just the first paragraphs.
    if hits < 4 or len(fragments) < _MIN_PIECES or len(set("".join(fragments))) < 0.4 * len(title_chars):
        return {}
    if hits < 0.3 * sum(_count_clause_starts(lines[index]) for index in found_ordinals):
        return {}
    found: dict[int, list[tuple[int, int]]] = {}
    for index, spans in found_ordinals.items():
        starts = _clause_opening_starts(lines[index])
        found[index] = [(starts[ordinal], starts[ordinal] + length) for ordinal, length in spans]
    return found


# --- the cleaner -----------------------------------------------------------------------------


def _remove_spans(line: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(line[last:start])
        last = end
    out.append(line[last:])
    return "".join(out)


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


_CLOSING_BRACKETS = re.compile(r"[\])】]+$")


def _names_only(rest: str) -> bool:
    """After 记者:/编辑:/作者: a credit lists names; a question or a sentence is an interview line.

    >>> _names_only(" 张三 李四"), _names_only("萧潇、张妍)"), _names_only("你通过什么渠道最快的获取这些信息?")
    (True, True, False)
    """
    rest = _CLOSING_BRACKETS.sub("", rest.strip())
    return len(rest) <= 30 and not any(mark in rest for mark in ",。?!;:…")


def _is_notice(line: str, at: int) -> bool:
    """A legal or disclaimer notice: short, bracketed, or opening with the notice words; a paragraph
    that mentions 版权所有者 deep inside its story is prose."""
    return len(line) <= 40 or at <= 30 or line[0] in "[(【"


def _english_credit(line: str) -> list[Attribution] | None:
    """An English byline, wire credit or contributor line: the wires it names, or None if it is none.

    >>> [a.outlet for a in _english_credit("by jane doe and john roe, associated press")]
    ['associated press']
    >>> _english_credit("by the end of the year, prices had doubled.") is None
    True
    """
    if _BYLINE_EN.match(line) and not line.endswith("."):
        return [Attribution("byline", m.group(1), line) for m in _WIRE_IN_BYLINE.finditer(line) if m.group(1) != "ap"]
    wire = _WIRE_LINE_EN.match(line)
    if wire:
        return [Attribution("wire", wire.group(1), line)]
    if len(line) <= 160 and _CONTRIBUTED_EN.search(line) and line.count(". ") <= 1:
        return [Attribution("byline", m.group(1), line) for m in _WIRE_IN_BYLINE.finditer(line) if m.group(1) != "ap"]
    return None


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


@dataclass
class _Page:
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


class _Line:
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


LineRule = Callable[[_Page, _Line], "str | None"]
"""A rule that takes a whole line out of the article: returns the reason, or None to pass it on."""


def _recommendations_block(page: _Page, line: _Line) -> str | None:
    if page.in_recs and page.recs_on_top and _is_prose(line.text):
        page.in_recs = False
    return "recommendations" if page.in_recs else None


def _no_text(page: _Page, line: _Line) -> str | None:
    return None if line.key else "no text"


def _recommendations_header(page: _Page, line: _Line) -> str | None:
    if not _RECS_HEADER.match(line.text):
        return None
    # Above any prose (a title line alone does not count) the block is on top of the story.
    page.in_recs, page.recs_on_top = True, not any(_is_prose(kept) for kept in page.kept)
    return "recommendations"


def _breadcrumb(page: _Page, line: _Line) -> str | None:
    text = line.text
    if len(text) >= 200 or not ("位置" in text or "首页" in text or "正文" in text):  # words every match holds
        return None
    return "breadcrumb" if _BREADCRUMB.search(text) else None


def _title_line(page: _Page, line: _Line) -> str | None:
    return "title" if page.title_key and line.key == page.title_key and not page.body_started else None


def _header(page: _Page, line: _Line) -> str | None:
    text = line.text
    if page.body_started or line.position >= 6 or len(text) > 100 or "。" in text or not _HEADER_HINT.search(text):
        return None
    found = line.found
    if not (any(a.form != "dateline" for a in found) or parse_time(text, page.fetched) is not None):
        return None
    page.attributions.extend(a for a in found if a.form != "dateline")
    page.published = page.published or parse_time(text, page.fetched)
    return "header"


def _source_line(page: _Page, line: _Line) -> str | None:
    found = line.found
    if not (found and len(line.text) <= 60 and any(a.form not in ("dateline", "据报道") for a in found)):
        return None
    page.attributions.extend(found)
    if not page.body_started:
        page.published = page.published or parse_time(line.text, page.fetched)
    return "attribution"


def _original_title(page: _Page, line: _Line) -> str | None:
    return "original title" if _ORIGINAL_TITLE.match(line.text) else None


def _original_link(page: _Page, line: _Line) -> str | None:
    link = _ORIGINAL_LINK.search(line.text) if "原文" in line.text else None
    if not link:
        return None
    owner = page.outlets.by_site(site_of_url(link.group(1)))
    if owner:
        page.attributions.append(Attribution("原文链接", owner.name, link.group(0)))
    return "attribution"


def _staff_credit(page: _Page, line: _Line) -> str | None:
    staff = _STAFF.match(line.text) if len(line.text) <= 60 else None
    return "staff credit" if staff and _names_only(line.text[staff.end():]) else None


def _legal_notice(page: _Page, line: _Line) -> str | None:
    legal = _LEGAL.search(line.text.lower()) if len(line.text) <= 200 else None
    if not (legal and _is_notice(line.text, legal.start())):
        return None
    page.attributions.extend(a for a in line.found if a.form in ("本文来源于", "本文来自", "转载自"))
    return "legal notice"


def _share_prompt(page: _Page, line: _Line) -> str | None:
    return "share prompt" if len(line.text) <= 80 and _PROMPT.match(line.text) else None


def _pager(page: _Page, line: _Line) -> str | None:
    return "pager" if len(line.text) <= 60 and _PAGER.match(line.text) else None


def _english_byline(page: _Page, line: _Line) -> str | None:
    english = None if page.chinese or len(line.text) > 160 else _english_credit(line.text)
    if english is None:
        return None
    page.attributions.extend(english)
    return "byline" if line.text.startswith("by ") else "attribution"


def _menu(page: _Page, line: _Line) -> str | None:
    if len(line.text) > 80 or not is_menu_line(line.text):
        return None
    return "staff credit" if "记者" in line.text or "编辑" in line.text else "navigation"


def _end_mark(page: _Page, line: _Line) -> str | None:
    return "end mark" if _END_MARK.match(line.text) or _SIBLING.match(line.text) else None


def _more_item(page: _Page, line: _Line) -> str | None:
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


def _rules_for(size: int) -> tuple[LineRule, ...]:
    at = bisect_left(_RULE_LIMITS, size)
    return _RULES_UP_TO[at] if at < len(_RULES_UP_TO) else ()


def _editors_preface(page: _Page, line: _Line) -> bool:
    preface = _PREFACE.search(line.text) if "编者按" in line.text else None
    if preface:
        credited = _PREFACE_SOURCE.search(preface.group(0))
        if credited and _outlet_name(credited.group(1)):
            page.attributions.append(Attribution("preface", credited.group(1), preface.group(0)))
        page.removed.append(("editor's preface", preface.group(0)))
        line.text = line.text.replace(preface.group(0), "").strip()
        line.key = compact(line.text)
    return bool(line.key)


def _inline_staff(page: _Page, line: _Line) -> bool:
    inline = _STAFF_INLINE.search(line.text) if "编" in line.text else None
    if inline:
        page.removed.append(("staff credit", inline.group(0)))
        line.text = line.text.replace(inline.group(0), "").strip()
        line.key = compact(line.text)
    return True


LINE_EDITS: tuple[Callable[[_Page, _Line], bool], ...] = (_editors_preface, _inline_staff)
"""Edits that cut a piece out of a kept line; one that leaves nothing returns False."""


def _edits_leave_text(page: _Page, line: _Line) -> bool:
    for edit in LINE_EDITS:  # noqa: SIM110 - a plain loop: all() over a generator costs more per line
        if not edit(page, line):
            return False
    return True


def _title_of(doc: Document, to_simplified: bool) -> str | None:
    title = normalize(doc.title, to_simplified).strip() if doc.title else None
    if title and _BREADCRUMB.search(title):
        # A text page's first line can be the breadcrumb; its last segment is the title.
        title = re.split(r"\s*[>»]\s*", title)[-1].strip() or None
    return title


def _meta_sources(doc: Document, to_simplified: bool) -> list[Attribution]:
    """The sources a page's metadata names (``<meta name="source">`` and the like)."""
    found = []
    for key in _META_SOURCE_KEYS:
        value = doc.meta.get(key)
        name = _outlet_name(normalize(value, to_simplified)) if value else None
        if name:
            found.append(Attribution("meta source", name, f"<meta {key}={value}>"))
    return found


def _unspun(kept: list[str], kept_keys: list[str], kept_written: list[str], spans: dict[int, list[tuple[int, int]]],
            removed: list[tuple[str, str]]) -> tuple[list[str], list[str], list[str]]:
    """The kept lines with the spun title fragments cut out (a line that was mostly fragments,
    a spin advert, goes whole); what was cut is added to ``removed``."""
    cleaned: list[str] = []
    cleaned_keys: list[str] = []
    cleaned_written: list[str] = []
    for index, (line, key) in enumerate(zip(kept, kept_keys, strict=True)):
        if index not in spans:
            cleaned.append(line)
            cleaned_keys.append(key)
            cleaned_written.append(kept_written[index])
            continue
        stripped = _remove_spans(line, spans[index])
        stripped_key = compact(stripped)
        removed.extend(("spun title fragment", line[s:e]) for s, e in spans[index])
        if len(spans[index]) >= 3 and len(stripped_key) <= 40:
            removed.append(("spin advert", stripped))
            continue
        cleaned.append(stripped)
        cleaned_keys.append(stripped_key)
        cleaned_written.append(stripped)
    return cleaned, cleaned_keys, cleaned_written


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

    page = _Page(outlets=outlets, fetched=fetched, title_key=title_key, chinese=is_chinese(normalized),
                 removed=removed, attributions=attributions, published=published)
    kept: list[str] = []
    kept_keys: list[str] = []  # compact(line) of each kept line, so the compared text is not rebuilt
    kept_written: list[str] = []  # each kept line as the page wrote it (before normalisation)
    for position, text in enumerate(lines):
        current = _Line(text, line_keys[position], position, page.body_started)
        reason = None
        for rule in _rules_for(len(text)):
            reason = rule(page, current)
            if reason is not None:
                break
        if reason is not None:
            removed.append((reason, text))
            continue
        if not _edits_leave_text(page, current):
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
        kept, kept_keys, kept_written = _unspun(kept, kept_keys, kept_written, spans, removed)

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
