"""Decide the encoding of a page's bytes: BOMs, declared charsets, then Chinese legacy encodings."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)

# Labels pages use for encodings Python knows under another name, or that mean a superset in practice.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "utf8": "utf-8",
}


class UndecodableError(ValueError):
    """No encoding decodes the bytes as text."""


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first 4 KiB, normalised to a Python codec name.

    >>> declared_charset(b'<meta charset="gbk">')
    'gb18030'
    """
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    label = match.group(1).decode("ascii", "replace").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _big5_share(data: bytes) -> float:
    """Share of double-byte pairs whose trail byte is below 0x80: common in Big5, absent in GB2312."""
    pairs = low_trail = 0
    i, n = 0, len(data)
    while i < n - 1:
        b = data[i]
        if b >= 0x81:
            pairs += 1
            if data[i + 1] < 0x80:
                low_trail += 1
            i += 2
        else:
            i += 1
    return low_trail / pairs if pairs else 0.0


MAX_INVALID_SHARE = 0.002
"""Invalid byte sequences tolerated per character of text (two in a 1,000-character page), at least 2."""


def _nearly_valid(data: bytes, names: list[str]) -> tuple[str, str] | None:
    """The charset among ``names`` in which the bytes have the fewest invalid sequences, if few enough."""
    best: tuple[int, str, str] | None = None
    for name in dict.fromkeys(names):
        try:
            text = data.decode(name, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd") - data.count("\ufffd".encode())
        if best is None or bad < best[0]:
            best = (bad, text, name)
    if best is None or best[0] > max(2, MAX_INVALID_SHARE * len(best[1])):
        return None
    return best[1], best[2]


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns ``(text, encoding)``.

    Order: a byte-order mark wins; then the declared charset if the bytes decode under it; then
    strict UTF-8; then GB18030 or Big5 (told apart by their byte statistics); then the one of these
    in which only a few bytes are invalid (replaced by U+FFFD); then charset-normalizer.

    >>> decode("新闻".encode("gb18030"))
    ('新闻', 'gb18030')
    >>> decode(codecs.BOM_UTF8 + "新闻".encode())
    ('新闻', 'utf-8-sig')
    >>> decode("今日新闻报道".encode("gb18030") + b"\\xff" + "全文".encode("gb18030"), "gb18030")
    ('今日新闻报道\ufffd全文', 'gb18030')
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"starts with a {name} byte-order mark but is not {name}: {exc}") from exc
    candidates: list[str] = []
    if declared:
        candidates.append(declared)
    candidates.append("utf-8")
    for name in candidates:
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    legacy = ["big5hkscs", "gb18030"] if _big5_share(data[:65536]) > 0.2 else ["gb18030", "big5hkscs"]
    for name in legacy:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    # A page that is valid in its charset but for a few stray bytes (a truncated character, a
    # pasted fragment) keeps that charset, the bad bytes replaced: a statistical guess on such
    # a page picks a single-byte code page and turns the whole text into mojibake.
    nearly = _nearly_valid(data, [*([declared] if declared else []), "utf-8", *legacy])
    if nearly is not None:
        return nearly
    best = from_bytes(data[:1 << 20]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise UndecodableError("not text in UTF-8, UTF-16, GB18030, Big5 or any encoding charset-normalizer knows")


_BINARY_CONTROLS = bytes(b for b in range(1, 32) if b not in (9, 10, 11, 12, 13, 27))


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read (NULs outside a UTF-16/32 BOM page).

    >>> looks_binary(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00")
    True
    """
    head = data[:8192]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if not head:
        return False
    nul = head.count(0)
    if nul > 0 and nul / len(head) > 0.01:
        return True
    # Text in the encodings we read has almost no C0 controls besides tab, newlines and escape.
    controls = sum(head.count(byte) for byte in _BINARY_CONTROLS)
    return controls / len(head) > 0.05
