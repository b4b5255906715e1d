"""The incremental engine: one document in, a verdict out, against a stored index (``dedup.Index``)."""

from __future__ import annotations

from dedup.engines.incremental.index import Index, Match, Verdict

__all__ = ["Index", "Match", "Verdict"]
