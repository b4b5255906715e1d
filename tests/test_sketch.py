import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.stages.reference import shingle_hashes, signature
from dedup.stages.sketch import sketch, sketch_many


def test_fast_path_equals_reference_on_an_article(article):
    text = "".join(article)
    shingles, sig = sketch(text, 5, 128, 1)
    assert np.array_equal(shingles, shingle_hashes(text, 5))
    assert np.array_equal(sig, signature(shingle_hashes(text, 5), 128, 1))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=1, max_value=9), st.sampled_from([16, 64, 128]),
       st.integers(min_value=0, max_value=5))
def test_fast_path_equals_reference_on_any_text(text, k, num_perm, seed):
    shingles, sig = sketch(text, k, num_perm, seed)
    reference = shingle_hashes(text, k)
    assert shingles.dtype == np.uint32 and np.array_equal(shingles, reference)
    assert np.array_equal(sig, signature(reference, num_perm, seed))


def test_empty_text_has_no_shingles_and_the_empty_signature():
    shingles, sig = sketch("", 5, 128, 1)
    assert shingles.size == 0 and bool((sig == np.uint32(0xFFFFFFFF)).all())


def test_many_matches_one_by_one(article, other_article):
    texts = ["".join(article), "".join(other_article), "短"]
    sets, sigs = sketch_many(texts, 5, 128, 1)
    for text, shingles, sig in zip(texts, sets, sigs, strict=True):
        one_set, one_sig = sketch(text, 5, 128, 1)
        assert np.array_equal(shingles, one_set) and np.array_equal(sig, one_sig)


def test_bad_shingle_size_is_refused():
    try:
        sketch("abc", 0, 128, 1)
    except ValueError as exc:
        assert "at least 1" in str(exc)
    else:
        raise AssertionError("k=0 was accepted")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789沪指涨跌点亿元", max_size=120))
def test_figures_are_the_distinct_digit_runs(text):
    import re

    from dedup.stages.sketch import figures

    runs = set(re.findall(r"[0-9]+", text))
    expected = sorted(min(len(r), 15) << 60 | int(r[-18:]) for r in runs)
    assert figures(text).tolist() == expected


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=2**20))
def test_compiled_band_keys_equal_the_numpy_ones(seed, first_band):
    from dedup.stages.reference import band_keys
    from dedup.stages.sketch import band_keys_one

    signature = np.random.default_rng(seed).integers(0, 2**32, size=128, dtype=np.uint64).astype(np.uint32)
    for bands, rows in ((42, 3), (4, 4), (1, 1)):
        expected = band_keys(signature[None, :], bands, rows, first_band)[0]
        assert np.array_equal(band_keys_one(signature, bands, rows, first_band), expected)


def test_word_tokens_follow_jieba_and_shingle_words():
    from dedup.stages.sketch import shingles_of, units

    text = "中国人民银行决定下调金融机构存款准备金率"
    words = units(text, "words")
    assert 3 <= len(words) < len(text)  # whole words, not characters
    assert len(set(words.tolist())) == len(words)
    assert units(text, "words").tolist() == words.tolist()  # the same segmentation every time
    # shingles of three words: as many as the words, less two
    assert len(shingles_of(text, 3, "words")) == len(words) - 2
    with pytest.raises(ValueError, match="tokens must be one of"):
        units(text, "bytes")


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动经济市场", min_size=1,
               max_size=200))
def test_a_text_is_a_full_duplicate_of_itself_in_words_too(text):
    from dedup.stages.sketch import jaccard_containment, shingles_of

    shingles = shingles_of(text, 3, "words")
    assert len(shingles) >= 1
    assert jaccard_containment(shingles, shingles_of(text, 3, "words"))[1:] == (1.0, 1.0)
