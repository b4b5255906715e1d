"""The local engine: the stages on this machine's cores (``dedup scan``, ``dedup.scan``)."""

from __future__ import annotations

from dedup.engines.local.engine import scan, scan_corpus, scan_documents

__all__ = ["scan", "scan_corpus", "scan_documents"]
