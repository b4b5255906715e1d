from hypothesis import given
from hypothesis import strategies as st

from dedup.normalize import compact, normalize


def test_width_case_traditional_and_invisibles():
    assert normalize("ＡＢＣ１２３，兩岸關係") == "abc123,两岸关系"
    assert compact(normalize("两\u200b岸\u202e关\ufeff系")) == "两岸关系"
    assert compact(normalize("Ｈｅｌｌｏ，　世界！")) == "hello世界"


def test_traditional_conversion_can_be_switched_off():
    assert normalize("兩岸", to_simplified=False) == "兩岸"


def test_full_and_half_width_punctuation_compact_alike():
    assert compact(normalize("今年，将安排：资金。")) == compact(normalize("今年,将安排:资金。"))


text_strategy = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(text_strategy)
def test_normalising_twice_changes_nothing(text):
    once = normalize(text)
    assert normalize(once) == once


@given(text_strategy)
def test_compact_is_idempotent_and_has_no_punctuation_or_space(text):
    once = compact(normalize(text))
    assert compact(once) == once
    assert not any(ch.isspace() for ch in once)


@given(st.text(max_size=100))
def test_surrogates_and_controls_never_crash(text):
    normalize(text + "\ud800\x00\x07")
