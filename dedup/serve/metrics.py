"""The service's figures in Prometheus' text format (``GET /metrics``), names prefixed ``dedup_``.

Each worker process keeps its own; the ``pid`` label tells them apart when several serve one port.

>>> metrics = Metrics()
>>> metrics.count("dedup_adds_total", status="new")
>>> metrics.observe("dedup_request_seconds", 0.004, endpoint="add")
>>> "dedup_adds_total{pid=" in metrics.render()
True
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Latency histogram bounds, in seconds."""

HELP = {
    "dedup_adds_total": ("counter", "Documents added, by verdict status."),
    "dedup_queries_total": ("counter", "Documents queried without being stored."),
    "dedup_errors_total": ("counter", "Requests answered with an error, by error code."),
    "dedup_reposts_total": ("counter", "Added documents found to be reposts of a stored story."),
    "dedup_request_seconds": ("histogram", "Time to answer a request, by endpoint."),
    "dedup_common_version": ("gauge", "Version of the common-shingle set the last verdict was judged with."),
}


def _labels(labels: dict[str, str]) -> str:
    escaped = ",".join(f'{key}="{value}"'.replace("\\", "\\\\").replace("\n", "\\n")
                       for key, value in sorted(labels.items()))
    return "{" + escaped + "}"


class Metrics:
    """Counters, gauges and histograms of one process, safe to update from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
        self._histograms: dict[str, dict[tuple[tuple[str, str], ...], list[float]]] = defaultdict(dict)
        self.pid = str(os.getpid())

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[name][key] = self._values[name].get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._values[name][tuple(sorted(labels.items()))] = value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            counts = self._histograms[name].setdefault(key, [0.0] * (len(BUCKETS) + 2))
            for k, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[k] += 1
            counts[-2] += 1  # count
            counts[-1] += seconds  # sum

    def render(self) -> str:
        """Everything, in Prometheus' text exposition format."""
        lines = []
        with self._lock:
            for name in sorted(set(self._values) | set(self._histograms)):
                kind, text = HELP.get(name, ("untyped", name))
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                for key, value in sorted(self._values.get(name, {}).items()):
                    lines.append(f"{name}{_labels({**dict(key), 'pid': self.pid})} {value:g}")
                for key, counts in sorted(self._histograms.get(name, {}).items()):
                    base = {**dict(key), "pid": self.pid}
                    for k, bound in enumerate(BUCKETS):
                        lines.append(f"{name}_bucket{_labels({**base, 'le': f'{bound:g}'})} {counts[k]:g}")
                    lines.append(f"{name}_bucket{_labels({**base, 'le': '+Inf'})} {counts[-2]:g}")
                    lines.append(f"{name}_count{_labels(base)} {counts[-2]:g}")
                    lines.append(f"{name}_sum{_labels(base)} {counts[-1]:g}")
        return "\n".join(lines) + "\n"
