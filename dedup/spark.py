"""Where the Spark engine used to live: ``dedup.spark.scan_spark`` (documented) still works.

The engine is :mod:`dedup.engines.spark`.
"""

from __future__ import annotations

from dedup.engines.spark import scan_spark

__all__ = ["scan_spark"]
