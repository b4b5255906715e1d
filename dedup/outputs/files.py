"""Output files that are whole or absent: written under a temporary name beside the target and
renamed over it only once everything is written, so an interrupted run (an error, Ctrl-C, SIGTERM,
a full disk) never leaves a truncated file that looks complete, nor spoils the previous one.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "clusters.jsonl"
>>> with output_file(str(target)) as handle:
...     _ = handle.write("{}\\n")
>>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
('{}\\n', ['clusters.jsonl'])
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from dedup.errors import OutOfSpaceError, is_out_of_space


def partial_name(path: str | os.PathLike[str]) -> Path:
    """Where ``path`` is written until it is complete: a hidden file beside it, named by this process."""
    target = Path(path)
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


@contextmanager
def output_file(path: str | os.PathLike[str] | None, newline: str | None = None) -> Iterator[TextIO]:
    """A text file (UTF-8) to write ``path`` through, renamed onto it when the block ends without
    an error and deleted otherwise; standard output when ``path`` is None. A write that finds no
    room raises :class:`~dedup.errors.OutOfSpaceError` naming ``path``."""
    if path is None:
        yield sys.stdout
        return
    partial = partial_name(path)
    try:
        with open(partial, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError) and is_out_of_space(error):
            raise OutOfSpaceError(f"writing {path}", error) from error
        raise
