"""What a cluster is about: the top words of its canonical copy.

Words are ranked by jieba's TF-IDF (its segmenter and the IDF table it ships; needs the ``words``
extra) with stop words, numbers, single characters and punctuation left out. Chinese and English
text both give words: jieba keeps a run of Latin letters as one word, and English function words
are in the stop list.

>>> keywords("新能源汽车出口增长，电池企业订单增长，电池价格下降。2024年电池出口")[0]
'电池'
>>> keywords("The central bank raised interest rates; the bank said rates stay high.")[:2]
['bank', 'rates']
"""

from __future__ import annotations

import re
from typing import Any

from dedup.document import CleanDocument
from dedup.errors import ConfigError

KEYWORDS = 5
"""Words per cluster."""

# News function words and reporting verbs (Chinese), and English function words: written for this
# project from the words that rose to the top of generated and real news before they were listed.
_STOP_WORD_TEXT = """
的 了 和 是 在 有 也 就 都 而 及 与 或 等 对 从 将 把 被 让 向 于 以 为 之 其 这 那 该 此 各 每 本 我 你 他 她 它
我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 一个 一些 没有 不是 还是 就是 但是 因为 所以 如果 虽然 已经
正在 目前 今年 去年 明年 今天 昨天 日前 近日 近期 此前 同时 此外 其中 以及 以上 以下 之后 之前 通过 进行 表示
认为 指出 介绍 称 说 说道 记者 报道 消息 获悉 了解 据悉 来源 编辑 责任编辑 作者 原标题 转载 本文 文章 新闻 发布
相关 有关 方面 情况 问题 工作 可以 可能 需要 进一步 不断 继续 全面 主要 重要 一定 非常 更加 还有 以来 左右 之间
点击 查看 全文 阅读 原文 详情 详细 更多 展开 收起 分享 扫码 关注 微信 客户端 下载
a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it
its may more most not of on or our she so than that the their them then there these they this those to was we
were what when which who will with would you your said says also about after over new one two
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())

_NUMBER = re.compile(r"^[\d.,%％万亿千百十零一二三四五六七八九两]+$")
_WORD = re.compile(r"\w", re.UNICODE)


def keywords(text: str, count: int = KEYWORDS) -> list[str]:
    """The ``count`` words that best say what ``text`` is about, best first (see the module).

    >>> keywords("")
    []
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if not text.strip():
        return []
    extractor = _extractor()
    out: list[str] = []
    for word in extractor.extract_tags(text, topK=count * 6):
        word = word.strip()
        folded = word.lower()
        if len(word) < 2 or folded in STOP_WORDS or _NUMBER.match(word) or not _WORD.search(word):
            continue
        if folded not in (w.lower() for w in out):
            out.append(word)
        if len(out) == count:
            break
    return out


def document_keywords(doc: CleanDocument, count: int = KEYWORDS) -> list[str]:
    """The keywords of a cleaned document: its title and its cleaned body."""
    return keywords(f"{doc.title or ''}\n{doc.body}", count)


_EXTRACTOR: list[Any] = []


def _extractor() -> Any:
    """jieba's TF-IDF extractor (made once; jieba logs to its own logger, kept quiet)."""
    if not _EXTRACTOR:
        try:
            import logging

            import jieba
            import jieba.analyse
        except ImportError as exc:
            raise ConfigError('keywords need jieba: pip install "dedup[words]"') from exc
        jieba.setLogLevel(logging.WARNING)
        _EXTRACTOR.append(jieba.analyse.TFIDF())
    return _EXTRACTOR[0]


__all__ = ["keywords", "document_keywords", "KEYWORDS", "STOP_WORDS"]
