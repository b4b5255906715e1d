"""dedup: find reposts of the same news story, group them, and name the original.

>>> from dedup import Config, Document, scan
>>> Config().shingle_size
5
"""

from __future__ import annotations

__version__ = "0.1.0"

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.errors import ConfigError, ConfigMismatchError, DedupError, InputError, StoreError
from dedup.outlets import Outlet, OutletTable
from dedup.pipeline import ScanResult, scan

__all__ = [
    "CleanDocument",
    "Config",
    "ConfigError",
    "ConfigMismatchError",
    "DedupError",
    "Document",
    "InputError",
    "Outlet",
    "OutletTable",
    "ScanResult",
    "StoreError",
    "__version__",
    "scan",
]
