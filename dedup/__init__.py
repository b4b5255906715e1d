"""dedup: find reposts of the same news story, group them, and name the original.

>>> from dedup import Config, Document, scan
>>> Config().shingle_size
5
"""

from __future__ import annotations

__version__ = "0.1.0"

from dedup.config import Config
from dedup.corpus import scan, scan_corpus, scan_documents
from dedup.document import CleanDocument, Document
from dedup.errors import ConfigError, ConfigMismatchError, DedupError, InputError, NotEmptyError, StoreError
from dedup.index import Index, Match, Verdict
from dedup.outlets import Outlet, OutletTable
from dedup.result import ScanResult

__all__ = [
    "CleanDocument",
    "Config",
    "ConfigError",
    "ConfigMismatchError",
    "DedupError",
    "Document",
    "Index",
    "InputError",
    "Match",
    "NotEmptyError",
    "Outlet",
    "OutletTable",
    "ScanResult",
    "StoreError",
    "Verdict",
    "__version__",
    "scan",
    "scan_corpus",
    "scan_documents",
]
