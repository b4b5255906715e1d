"""What every worker process of a pool does first.

A pool's workers wait for work from the process that started them. When that process is killed
(``kill -9``, the OOM killer) nothing tells them, and they would wait for ever, each holding its
share of memory. :func:`exit_with_parent` makes them notice within a second and leave.
"""

from __future__ import annotations

import os
import threading
import time


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


__all__ = ["exit_with_parent"]
