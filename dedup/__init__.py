"""dedup: find reposts of the same news story, group them, and name the original.

>>> from dedup import Config, Document, scan
>>> Config().shingle_size
5
"""

from __future__ import annotations

__version__ = "0.1.0"

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.engines.copies import copies_of
from dedup.engines.incremental import Index, Match, Verdict
from dedup.engines.local import scan, scan_corpus, scan_documents
from dedup.errors import ConfigError, ConfigMismatchError, DedupError, InputError, NotEmptyError, StoreError
from dedup.stages.result import ScanResult
from dedup.text.outlets import Outlet, OutletTable

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
    "copies_of",
    "scan",
    "scan_corpus",
    "scan_documents",
]
