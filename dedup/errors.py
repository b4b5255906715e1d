"""The one exception hierarchy of dedup. The CLI maps these to exit codes; the library only raises."""

from __future__ import annotations

import errno
import os
from typing import Any


class DedupError(Exception):
    """Base of every error dedup raises on purpose."""


class ConfigError(DedupError, ValueError):
    """A configuration value is out of range or inconsistent."""


class NotEmptyError(DedupError, ValueError):
    """A whole corpus was to be loaded at once into an index that holds documents already."""


class ConfigMismatchError(DedupError):
    """An index was built under different hashing or normalisation settings."""


class InputError(DedupError):
    """One input (a file, or a line of a file) could not be turned into a document.

    >>> str(InputError("a/b.jsonl", "malformed JSON: Expecting value", line=3))
    'a/b.jsonl:3: malformed JSON: Expecting value'
    """

    def __init__(self, path: str, reason: str, line: int | None = None, kind: str = "invalid",
                 doc_id: str | None = None, cleaned: Any = None) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        self.kind = kind
        self.doc_id = doc_id
        """The id of the document, when it was read and rejected later (emptied by cleaning)."""
        self.cleaned = cleaned
        """The :class:`~dedup.document.CleanDocument` that was rejected, so that explain can list what went."""
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int | None, str, str | None, Any]]:
        # Errors cross process boundaries in batch loading; keep every field through pickling.
        return (InputError, (self.path, self.reason, self.line, self.kind, self.doc_id, self.cleaned))


class StoreError(DedupError):
    """The persistent index could not be opened, read or written."""


class StoreConflict(StoreError):
    """Another writer's transaction clashed with this one (a deadlock, or the same document id
    added by both at once); the transaction was rolled back and can be run again."""


class StoreDisconnected(StoreConflict):
    """The connection to the store was lost during a transaction and has been made again; the
    transaction did not take effect (or, if its commit was under way, took effect whole) and is
    run again: adding a document is idempotent by id and content."""


OUT_OF_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
"""The errors of a write that found no room: a full disk, a quota, a file size limit."""


class OutOfSpaceError(DedupError):
    """A write found no room (a full disk, a quota, a file size limit); says what was being
    written where.

    >>> import errno
    >>> str(OutOfSpaceError("writing scratch in /tmp", OSError(errno.ENOSPC, "No space left on device")))
    'no space left while writing scratch in /tmp ([Errno 28] No space left on device)'
    """

    def __init__(self, doing: str, error: OSError | None = None) -> None:
        self.doing = doing
        self.errno = error.errno if error is not None else None
        super().__init__(f"no space left while {doing}" + (f" ({error})" if error is not None else ""))

    def __reduce__(self) -> tuple[type[OutOfSpaceError], tuple[str, OSError | None]]:
        code = self.errno
        return (OutOfSpaceError, (self.doing, OSError(code, os.strerror(code)) if code is not None else None))


def is_out_of_space(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from) is a write that found no room."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OutOfSpaceError) or (isinstance(seen, OSError) and seen.errno in OUT_OF_SPACE):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
