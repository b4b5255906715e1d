"""Cluster keywords: jieba's TF-IDF with stop words, numbers and single characters left out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.outputs.keywords import STOP_WORDS, keywords


def test_chinese_news_gives_its_subject_words_and_no_function_words_or_numbers():
    text = ("记者从市统计局获悉，今年前三季度全市新能源汽车产量同比增长百分之三十二，动力电池产量增长百分之二十。"
            "统计局表示，新能源汽车和动力电池已经成为全市工业增长的主要动力。2024年9月30日")
    found = keywords(text)
    assert len(found) == 5
    assert {"新能源", "电池"} & set(found) and "统计局" in found
    assert not set(found) & STOP_WORDS
    assert not any(word.isdigit() or len(word) < 2 for word in found)


def test_english_text_gives_content_words():
    text = ("The port of Rotterdam handled more containers in the first quarter, the port authority said. "
            "Container volumes rose as shipping lines returned to the port after the strike.")
    found = keywords(text)
    assert found[0] in {"port", "container", "containers"} and "the" not in found
    assert {"port", "containers"} <= {w.lower() for w in found}


def test_bad_count_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        keywords("文本", 0)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="江城港口补贴企业增长的了 0123456789,.abc", max_size=200), st.integers(1, 8))
def test_keywords_are_distinct_words_of_the_text_and_at_most_count(text, count):
    found = keywords(text, count)
    assert len(found) <= count and len({w.lower() for w in found}) == len(found)
    assert all(word in text for word in found)
