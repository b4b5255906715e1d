"""Scratch folders that never outlive their run.

A scan keeps its documents in a scratch folder (hundreds of MB at 20k documents). The folder is
removed when its owner is closed, when the owner is garbage-collected or the interpreter exits
(``weakref.finalize``), and on an exception; the command line turns SIGTERM into an exception so
that path covers it too. Only a process killed outright (SIGKILL, a power cut) leaves one behind:
each folder records its owner (host, pid and the process's start time) in ``owner.json``, and the
next :meth:`Scratch.create` in the same parent folder removes the folders of owners that are gone.

>>> import tempfile
>>> parent = tempfile.mkdtemp()
>>> scratch = Scratch.create("scan", parent)
>>> scratch.path.name.startswith(f"dedup-scan-{os.getpid()}-")
True
>>> scratch.remove(); scratch.path.exists()
False
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("dedup")

OWNER_FILE = "owner.json"


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, in the kernel's clock ticks (Linux), to tell a pid reused by
    another process from the one that made a folder; None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def owner_gone(folder: Path) -> bool:
    """Whether the process that made ``folder`` (per its ``owner.json``) has ended. Folders of
    other hosts, and folders without a readable owner, are never judged gone."""
    try:
        owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
        host, pid, started = owner["host"], int(owner["pid"]), owner.get("started")
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if host != socket.gethostname():
        return False
    if not _alive(pid):
        return True
    return started is not None and process_start(pid) not in (None, started)


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def sweep(parent: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the scratch folders under ``parent`` (default: the temporary folder) whose owners are
    gone, logging one line if there were any; returns them."""
    root = Path(parent or tempfile.gettempdir())
    try:
        candidates = [path for path in root.glob("dedup-*-*-*") if path.is_dir()]
    except OSError:
        return []
    removed, size = [], 0
    for folder in candidates:
        if owner_gone(folder):
            size += _size(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        log.warning("removed %d scratch folder%s (%.1f MB) in %s left by runs that were killed",
                    len(removed), "" if len(removed) == 1 else "s", size / 1e6, root)
    return removed


def _remove(path: Path, closers: list[Callable[[], None]]) -> None:
    for close in closers:
        try:
            close()
        except Exception:  # removing the folder matters more than a close that failed
            log.debug("closing before removing %s failed", path, exc_info=True)
    shutil.rmtree(path, ignore_errors=True)


class Scratch:
    """A scratch folder owned by this process, removed by :meth:`remove` or, failing that, when
    the object is garbage-collected or the interpreter exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._closers: list[Callable[[], None]] = []
        self._finalizer = weakref.finalize(self, _remove, path, self._closers)

    @classmethod
    def create(cls, kind: str, parent: str | os.PathLike[str] | None = None) -> Scratch:
        """A new folder ``dedup-KIND-PID-XXXX`` under ``parent`` (default: the temporary folder),
        after sweeping the folders of killed runs there."""
        sweep(parent)
        path = Path(tempfile.mkdtemp(prefix=f"dedup-{kind}-{os.getpid()}-", dir=parent))
        owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": process_start(os.getpid())}
        (path / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
        return cls(path)

    def on_remove(self, close: Callable[[], None]) -> None:
        """Call ``close`` (files open in the folder) before the folder is removed."""
        self._closers.append(close)

    def remove(self) -> None:
        """Remove the folder now (once; later calls do nothing)."""
        self._finalizer()

    @property
    def removed(self) -> bool:
        return not self._finalizer.alive
