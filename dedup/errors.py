"""The one exception hierarchy of dedup. The CLI maps these to exit codes; the library only raises."""

from __future__ import annotations

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
