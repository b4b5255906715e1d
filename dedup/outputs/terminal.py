"""Crawled text on a terminal: control characters made visible, so a page cannot move the
cursor, retitle the window, hide lines or reorder text (bidi overrides) on the reader's screen.

>>> printable("标题\\x1b[2J\\x1b]0;pwned\\x07 end\\r")
'标题\\\\x1b[2J\\\\x1b]0;pwned\\\\x07 end\\\\x0d'
>>> printable("two\\nlines\\tand a tab")
'two\\nlines\\tand a tab'
>>> json_for_terminal('{"t": "a\\u009b2Jb\\u202e"}')
'{"t": "a\\\\u009b2Jb\\\\u202e"}'
"""

from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls, and the bidirectional marks and overrides
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``); newlines and tabs kept."""
    return _CONTROL.sub(_escaped, text)


def json_for_terminal(line: str) -> str:
    """A JSON text with the control characters JSON leaves raw (DEL, C1, bidi) written as ``\\uXXXX``
    escapes: the same value when parsed, harmless on a screen."""
    return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", line)
