"""What every compiled kernel shares: whether numba may cache, and text as code points.

>>> code_points("新闻").tolist()
[26032, 38395]
"""

from __future__ import annotations

import os

import numpy as np

# Numba keeps compiled kernels beside the source; imported from a zip (a wheel shipped to Spark
# executors with --py-files) there is no such place, and asking for the cache would fail the import.
NUMBA_CACHE = os.path.isfile(__file__)


def code_points(text: str) -> np.ndarray:
    """The text's code points as a uint32 array (lone surrogates kept as they are)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
