"""A griffe extension for the API reference: dedup's docstrings are reST-flavoured prose with
doctest examples; MkDocs renders Markdown. Doctest runs become ``pycon`` code blocks (Markdown would
read ``>>>`` as nested quotes and ``[[...]]`` as links) and Sphinx roles become code spans."""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|exc|obj):`~?([^`]+)`")


def _short(match: re.Match[str]) -> str:
    return f"``{match.group(1).rsplit('.', 1)[-1]}``"


def markdown_docstring(text: str) -> str:
    """``text`` with its doctest runs (outside fences already there) fenced as ``pycon`` and its
    roles as code spans."""
    out: list[str] = []
    lines = _ROLE.sub(_short, text).split("\n")
    index, fenced = 0, False
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while index < len(lines) and lines[index].strip():
                block.append(lines[index].removeprefix(indent))
                index += 1
            out += [f"{indent}```pycon", *(indent + row for row in block), f"{indent}```"]
            continue
        out.append(line)
        index += 1
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Rewrites every loaded docstring with :func:`markdown_docstring`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
