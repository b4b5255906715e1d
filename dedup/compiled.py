"""What every compiled kernel shares: where numba caches it, and text as code points.

Numba compiles each kernel on first use (a few seconds for all of them) and can keep the result
on disk. Left to itself it writes beside the source, inside the installed package, which fails
on a read-only install and leaves files pip does not remove. :func:`kernel` sends the cache to
the user's cache folder instead (:func:`cache_dir`).

>>> code_points("新闻").tolist()
[26032, 38395]
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import numba
import numpy as np

log = logging.getLogger("dedup")
Function = TypeVar("Function", bound=Callable[..., Any])

CACHE_ENV = "DEDUP_CACHE_DIR"
"""The environment variable that sets the cache folder; empty or ``off`` turns the cache off."""


def user_cache_root() -> Path:
    """The platform's folder for a user's caches: ``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
    ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where compiled kernels are kept: ``$DEDUP_CACHE_DIR``, else numba's own ``$NUMBA_CACHE_DIR``,
    else ``dedup/numba`` under :func:`user_cache_root`. None when the cache is turned off.

    >>> str(cache_dir({"DEDUP_CACHE_DIR": "/srv/kernels", "NUMBA_CACHE_DIR": "/tmp/numba"}))
    '/srv/kernels'
    >>> cache_dir({"DEDUP_CACHE_DIR": "off"}) is None
    True
    """
    chosen = environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "false", "no") else Path(chosen)
    if environ.get("NUMBA_CACHE_DIR"):
        return Path(environ["NUMBA_CACHE_DIR"])
    return user_cache_root() / "dedup" / "numba"


@functools.lru_cache(maxsize=8)
def _writable(folder: Path) -> bool:
    """Whether ``folder`` can hold the cache: asked once per folder, not once per kernel at import."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        log.info("compiled kernels are not cached: %s is not writable (%s)", folder, error)
        return False
    return True


def kernel(function: Function) -> Function:
    """Compile ``function`` with numba (``nogil``), cached in :func:`cache_dir` when that folder
    is writable and the source is a real file (not in a zip shipped to Spark executors).

    The cache folder is handed to numba only while this kernel is decorated, so other numba code
    in the same process keeps its own cache settings. Numba never falls back to writing beside the
    source: without a usable folder the kernel is compiled afresh in each process.
    """
    folder = cache_dir()
    source = getattr(function, "__code__", None)
    cacheable = (folder is not None and source is not None and os.path.isfile(source.co_filename)
                 and _writable(folder))
    if not cacheable:
        return cast(Function, numba.njit(nogil=True)(function))
    settings: Any = numba.config
    saved = settings.CACHE_DIR
    settings.CACHE_DIR = str(folder)
    try:
        return cast(Function, numba.njit(cache=True, nogil=True)(function))
    finally:
        settings.CACHE_DIR = saved


def code_points(text: str) -> np.ndarray:
    """The text's code points as a uint32 array (lone surrogates kept as they are)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
