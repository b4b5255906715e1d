"""Worker processes: how every pool of dedup is started, and how its results come back in order.

A pool's workers wait for work from the process that started them. When that process is killed
(``kill -9``, the OOM killer) nothing tells them, and they would wait for ever, each holding its
share of memory. :func:`exit_with_parent` makes them notice within a second and leave; every pool
started by :func:`start_pool` arms it before anything else.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while a long stage runs (the CLI draws a bar)."""


def default_workers() -> int:
    """Processes a pool gets when the caller names no number: the cores, up to 8."""
    return min(os.cpu_count() or 1, 8)


def exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Start a daemon thread that ends this process when ``parent_pid`` no longer exists.

    >>> exit_with_parent(os.getpid())  # the current process exists: nothing happens
    """

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # alive, under another user (pid reused): keep waiting
                pass

    threading.Thread(target=watch, name="dedup-parent-watch", daemon=True).start()


def _start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    exit_with_parent(parent)
    # Cleaning makes many short-lived, acyclic objects; the cyclic collector only slows it down.
    gc.set_threshold(100_000, 50, 100)
    initializer(*initargs)


def start_pool(workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, each running ``initializer(*initargs)`` first.

    forkserver, not fork: the parent may hold native state (OpenCC, lexbor, numba) that does not
    survive ``fork()``. ``initializer`` must be a module-level function (it is pickled).
    """
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=_start_worker, initargs=(os.getpid(), initializer, initargs))


def ordered(pool: Executor | None, fn: Callable[[T], R], tasks: Iterable[T], window: int) -> Iterator[tuple[T, R]]:
    """``(task, fn(task))`` in task order, with at most ``window`` tasks in flight (in this process
    when ``pool`` is None).

    >>> list(ordered(None, len, ["ab", "c"], 4))
    [('ab', 2), ('c', 1)]
    """
    if pool is None:
        for task in tasks:
            yield task, fn(task)
        return
    pending: deque[tuple[T, Any]] = deque()
    for task in tasks:
        pending.append((task, pool.submit(fn, task)))
        if len(pending) >= window:
            done, future = pending.popleft()
            yield done, future.result()
    while pending:
        done, future = pending.popleft()
        yield done, future.result()


__all__ = ["exit_with_parent", "ordered", "start_pool"]
