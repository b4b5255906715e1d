"""Text normalisation for comparison: NFKC, width, Traditional to Simplified, case, punctuation."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import opencc

from dedup.compiled import code_points

log = logging.getLogger("dedup")

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


T2S_CHANGES = Path(__file__).parent.parent / "data" / "t2s_changes.json"
"""The characters and phrases t2s can change, read from its dictionaries (``tests/opencc_changes.py``)."""


def t2s_dictionaries() -> dict[str, str]:
    """SHA-256 of the installed t2s configuration and of every dictionary it names."""
    share = Path(opencc.__file__).parent / "clib" / "share" / "opencc"
    config = share / "t2s.json"
    names = ["t2s.json", *sorted(set(re.findall(r'"file"\s*:\s*"([^"]+)"', config.read_text(encoding="utf-8"))))]
    return {name: hashlib.sha256((share / name).read_bytes()).hexdigest() for name in names}


@lru_cache(maxsize=1)
def _t2s_may_change() -> Callable[[str], bool] | None:
    """A test that is False only for text t2s leaves as it is; None when the shipped list does not
    describe the installed dictionaries (then every text is converted)."""
    try:
        shipped = json.loads(T2S_CHANGES.read_text(encoding="utf-8"))
        if shipped["dictionaries"] != t2s_dictionaries():
            log.debug("OpenCC's t2s dictionaries differ from %s: every text is converted", T2S_CHANGES.name)
            return None
        chars = frozenset(shipped["chars"])
        # A phrase changes only where the text holds it, and so holds the first character where
        # it and its conversion differ (rarer in Simplified text than its first): phrases are
        # looked up where that character stands, by their offset from it.
        by_char: dict[str, list[tuple[str, int]]] = {}
        for phrase, converted in shipped["phrases"].items():
            offset = next((k for k, (a, b) in enumerate(zip(phrase, converted, strict=False)) if a != b), 0)
            by_char.setdefault(phrase[offset], []).append((phrase, offset))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        log.debug("no usable list of what t2s changes (%r): every text is converted", exc)
        return None
    # Characters beyond the Basic Multilingual Plane would make a class a slow list: any of them
    # (rare in news) sends the text to the conversion.
    single = re.compile("[" + "".join(re.escape(ch) for ch in sorted(chars) if ch <= "\uffff") + "\U00010000-\U0010ffff]")
    leads = re.compile("[" + "".join(re.escape(ch) for ch in sorted(by_char) if ch <= "\uffff") + "]")

    def may_change(text: str) -> bool:
        if single.search(text):
            return True
        for lead in leads.finditer(text):
            at = lead.start()
            for phrase, offset in by_char[lead.group()]:
                if at >= offset and text.startswith(phrase, at - offset):
                    return True
        return False

    return may_change


def simplified(text: str) -> str:
    """OpenCC's t2s conversion, skipped where it would change nothing.

    >>> simplified("兩岸關係"), simplified("两岸关系")
    ('两岸关系', '两岸关系')
    """
    may_change = _t2s_may_change()
    if may_change is not None and not may_change(text):
        return text
    return _t2s().convert(text)


# The common full-width punctuation and the ideographic space, mapped as NFKC maps them: after
# this most Chinese text is already in NFKC and the much slower transform can be skipped.
_COMMON_WIDE = tuple((chr(code), chr(code - 0xFEE0)) for code in (0xFF0C, 0xFF1A, 0xFF1B, 0xFF01, 0xFF1F, 0xFF08, 0xFF09,
                                                                    0xFF05)) + (("\u3000", " "),)


@lru_cache(maxsize=1)
def _unstable() -> re.Pattern[str]:
    """Runs of characters that NFKC may change or may join to the character before them.

    Every other character is a starter that NFKC leaves alone wherever it stands and that nothing
    before it can combine with, so the text splits there into pieces that NFKC maps one by one:
    only the runs (each with the character before it, which a combining mark may join) have to go
    through the transform, which is slow on long Chinese text.
    """
    # Second halves of canonical compositions (and the Hangul vowel and final jamo), which join
    # the character before them.
    joins_back = {int(parts[1], 16) for cp in range(0x20000)
                  if len(parts := unicodedata.decomposition(chr(cp)).split()) == 2 and not parts[0].startswith("<")}
    joins_back.update(range(0x1161, 0x1176), range(0x11A8, 0x11C3))
    ranges: list[list[int]] = []
    for cp in range(0x10000):
        char = chr(cp)
        if (0xD800 <= cp <= 0xDFFF or cp in joins_back or unicodedata.combining(char)
                or unicodedata.normalize("NFKC", char) != char):
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    stable = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[^{stable}]+")


def _nfkc(text: str) -> tuple[str, bool]:
    """NFKC of the text, and whether the transform had to run on some of it."""
    for wide, narrow in _COMMON_WIDE:
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text, False
    pieces: list[str] = []
    done = 0
    for run in _unstable().finditer(text):
        start = max(run.start() - 1, done)
        pieces.append(text[done:start])
        pieces.append(unicodedata.normalize("NFKC", text[start:run.end()]))
        done = run.end()
    pieces.append(text[done:])
    return "".join(pieces), True


def normalize(text: str, to_simplified: bool = True) -> str:
    """Normalise text, keeping punctuation and line breaks (so clauses can still be found).

    NFKC folds full-width letters, digits and punctuation to their ASCII forms; OpenCC's t2s maps
    Traditional characters to Simplified; case is folded; invisible and control characters go.

    >>> normalize("ＡＢＣ，兩岸關係　１２３")
    'abc,两岸关系 123'
    """
    text, first = _nfkc(_DROP.sub("", text))
    if to_simplified:
        text = simplified(text)
    text, second = _nfkc(text.casefold())
    if first or second:
        # NFKC can bring invisible characters back (from compatibility forms).
        text = _INVISIBLE.sub("", text)
    if "\t" in text or "  " in text:  # NFKC has made every other space of _SPACE a plain one
        text = _SPACE.sub(" ", text)
    return text


def compact(text: str) -> str:
    """Drop everything but letters and digits: the string that is shingled.

    >>> compact("abc, 两岸 关系!\\n123")
    'abc两岸关系123'
    """
    return _NOT_WORD.sub("", text)


@lru_cache(maxsize=1)
def alnum_table() -> np.ndarray:
    """For each code point of the Basic Multilingual Plane, whether it is a letter or a digit (what
    :func:`compact` keeps; ``\\w`` adds the underscore). Read only: copy it to change it."""
    table = np.array([chr(cp).isalnum() for cp in range(0x10000)], dtype=bool)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=1)
def _kept_by_compact() -> np.ndarray:
    """:func:`alnum_table` with line breaks kept too, so that :func:`compact_lines` can split afterwards."""
    kept = alnum_table().copy()
    kept[ord("\n")] = True
    return kept


def compact_lines(text: str) -> list[str]:
    """:func:`compact` of every line of the text (split at line breaks), in one pass.

    Faster than one :func:`compact` a line on long text: a table lookup over the code points
    instead of a regular expression that tries every position.

    >>> compact_lines("第一段, 正文!\\n\\nabc_12")
    ['第一段正文', '', 'abc12']
    """
    codes = code_points(text)
    if codes.size == 0 or int(codes.max()) > 0xFFFF:  # beyond the table: the plain way
        return [compact(line) for line in text.split("\n")]
    return codes[_kept_by_compact()[codes]].tobytes().decode("utf-32-le").split("\n")
