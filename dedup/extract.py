"""Where ``dedup extract``'s record used to live: ``dedup.extract.extract_bytes`` (documented in the
README) still works. The module is :mod:`dedup.outputs.article`.
"""

from __future__ import annotations

from dedup.outputs.article import Article, extract_bytes

__all__ = ["Article", "extract_bytes"]
