"""Title spinning: fragments of the headline scattered through a reposted text to dodge
duplicate detection, found by where clauses open, and cut out."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import numpy as np

from dedup.compiled import code_points, kernel
from dedup.text.normalize import alnum_table, compact

_BOUNDARY = ",.;!?:、。;!?:\"“”'‘’ ()\t"




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


@kernel
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




def _remove_spans(line: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(line[last:start])
        last = end
    out.append(line[last:])
    return "".join(out)


def unspun(kept: list[str], kept_keys: list[str], kept_written: list[str], spans: dict[int, list[tuple[int, int]]],
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
