"""Who a page credits and when it was published: 来源 lines, datelines, 据XX报道, English bylines
and wire credits, and times in the forms pages write them.

>>> [a.outlet for a in find_attributions("来源:中国证券报")]
['中国证券报']
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from dedup.document import Attribution
from dedup.text.outlets import name_key

CHINA_TZ = timezone(timedelta(hours=8))


_NAME = r"([\w·&]{2,24}?)"
# A credit of a picture, a video or of data (图片来源, 视频来源, 数据来源, 资料来源, 配图来源 ...)
# names who made that piece, not the story's source.
_SOURCE_LINE = re.compile(
    r"(?<![片图据料频像材面])"
    r"(媒体来源|文章来源|稿件来源|信息来源|新闻来源|内容来源|来源|出处|来自)\s*[:]\s*([\w·&]{2,30}(?: [a-z][a-z&]{1,11}){0,3})"
)
_FROM_PHRASE = re.compile(r"(本文来源于|本文来自|本文转载自|转载自|转自|本文首发于|首发于)\s*[:]?\s*([\w·&]{2,30})")
ORIGINAL_TITLE = re.compile(r"原标题\s*[:]\s*(.+)")
ORIGINAL_LINK = re.compile(r"原文(?:链接|地址)\s*[:]\s*(https?://\S+)")
_DATELINE_WIRE = re.compile(r"^(新华社|中新社|中新网|人民网|央视网|央广网|国际在线|中国日报网)[\w]{0,8}?\d{1,2}月\d{1,2}日(?:电|讯)")
_DATELINE_XUN = re.compile(r"^" + _NAME + r"(?:讯|消息)\s*(?:\(|\s|$|记者)")
_DATELINE_REPORTER = re.compile(r"^" + _NAME + r"\s*(?:记者|特约记者|见习记者|通讯员)\s")
_REPORTED_BY = re.compile(r"据" + _NAME + r"(?:报道|消息|援引|披露|统计)")
PREFACE = re.compile(r"编者按\s*[:].*?(?:全文如下|原文如下|内容如下)[。.:]?")
PREFACE_SOURCE = re.compile(r"(?:近日|日前|今日)?,?\s*" + _NAME + r"(?:刊发|发表|刊登)了?(?:文章|评论)")
_WIRE_EN = re.compile(r"\((reuters|ap|afp|bloomberg|xinhua|dow jones)\)\s*[-—–]", re.IGNORECASE)
# Names that are not outlets although they stand where a source does.
_NOT_OUTLETS = frozenset(name_key(n) for n in (
    "网络", "互联网", "网友", "本站", "综合", "网络整理", "综合整理", "整理", "网络转载", "未知", "作者", "本网", "公司公告",
    "公告", "记者", "其他", "资料", "官网", "微信公众号", "公众号", "新闻", "编辑", "合作媒体", "新浪合作媒体", "网易合作媒体",
))
# English bylines and wire credits (on normalised, case-folded lines).
_WIRE_NAMES = r"associated press|the associated press|reuters|agence france-presse|afp|bloomberg|bloomberg news|ap|upi"
_BYLINE_EN = re.compile(r"^by\s+[a-z][\w.'’-]*(?:[\s,&]+[\w.'’-]+){0,9}$")
_WIRE_LINE_EN = re.compile(r"^(?:©\s*\d{0,4}\s*|copyright\s*\d{0,4}\s*)?(" + _WIRE_NAMES + r")\.?$")
_WIRE_IN_BYLINE = re.compile(r"\b(" + _WIRE_NAMES + r")\b")
_CONTRIBUTED_EN = re.compile(r"contributed (?:to )?this (?:report|story|article)|reporting by|editing by|writing by")
_DATE_RE = re.compile(
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?"
    r"(?:[T\s]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?"
    r"(?:\s*(Z|[+-]\d{2}:?\d{2}))?"
)


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


def outlet_name(raw: str) -> str | None:
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
        name = outlet_name(match.group(2))
        if name:
            found.append(Attribution(match.group(1), name, match.group(0)))
    for match in _FROM_PHRASE.finditer(line) if ("转" in line or "本文" in line or "首发" in line) else ():
        name = outlet_name(match.group(2))
        if name:
            found.append(Attribution(match.group(1), name, match.group(0)))
    for match in _REPORTED_BY.finditer(line) if "据" in line else ():
        name = outlet_name(match.group(1))
        if name:
            found.append(Attribution("据报道", name, match.group(0)))
    for match in _WIRE_EN.finditer(line) if "(" in line else ():
        found.append(Attribution("wire", match.group(1), match.group(0)))
    if first_paragraph:
        for pattern in (_DATELINE_WIRE, _DATELINE_XUN, _DATELINE_REPORTER):
            dateline = pattern.search(line)
            if dateline:
                name = outlet_name(dateline.group(1))
                if name and name not in ("本报", "本刊", "本网", "本台"):
                    found.append(Attribution("dateline", name, dateline.group(0)))
                break
    return found


_CLOSING_BRACKETS = re.compile(r"[\])】]+$")


def names_only(rest: str) -> bool:
    """After 记者:/编辑:/作者: a credit lists names; a question or a sentence is an interview line.

    >>> names_only(" 张三 李四"), names_only("萧潇、张妍)"), names_only("你通过什么渠道最快的获取这些信息?")
    (True, True, False)
    """
    rest = _CLOSING_BRACKETS.sub("", rest.strip())
    return len(rest) <= 30 and not any(mark in rest for mark in ",。?!;:…")


def english_credit(line: str) -> list[Attribution] | None:
    """An English byline, wire credit or contributor line: the wires it names, or None if it is none.

    >>> [a.outlet for a in english_credit("by jane doe and john roe, associated press")]
    ['associated press']
    >>> english_credit("by the end of the year, prices had doubled.") is None
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
