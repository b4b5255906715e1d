"""Text normalisation for comparison: NFKC, width, Traditional to Simplified, case, punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Characters that NFKC keeps but that carry nothing for comparison and are used by spinners to
# break up shingles: zero-width marks, bidi controls, soft hyphens, BOMs, variation selectors.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# All three in one pass.
_DROP = re.compile(f"{_INVISIBLE.pattern}|{_CONTROL.pattern}|{_SURROGATE.pattern}")
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# The common full-width punctuation and the ideographic space, mapped as NFKC maps them: after
# this most Chinese text is already in NFKC and the much slower transform can be skipped.
_COMMON_WIDE = tuple((chr(code), chr(code - 0xFEE0)) for code in (0xFF0C, 0xFF1A, 0xFF1B, 0xFF01, 0xFF1F, 0xFF08, 0xFF09,
                                                                    0xFF05)) + (("\u3000", " "),)


def _nfkc(text: str) -> tuple[str, bool]:
    """NFKC of the text, and whether the full transform had to run."""
    for wide, narrow in _COMMON_WIDE:
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text, False
    return unicodedata.normalize("NFKC", text), True


def normalize(text: str, to_simplified: bool = True) -> str:
    """Normalise text, keeping punctuation and line breaks (so clauses can still be found).

    NFKC folds full-width letters, digits and punctuation to their ASCII forms; OpenCC's t2s maps
    Traditional characters to Simplified; case is folded; invisible and control characters go.

    >>> normalize("ＡＢＣ，兩岸關係　１２３")
    'abc,两岸关系 123'
    """
    text, first = _nfkc(_DROP.sub("", text))
    if to_simplified:
        text = _t2s().convert(text)
    text, second = _nfkc(text.casefold())
    if first or second:
        # NFKC can bring invisible characters back (from compatibility forms).
        text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text)


def compact(text: str) -> str:
    """Drop everything but letters and digits: the string that is shingled.

    >>> compact("abc, 两岸 关系!\\n123")
    'abc两岸关系123'
    """
    return _NOT_WORD.sub("", text)
