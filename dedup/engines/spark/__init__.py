"""The Spark engine: the stages run on Spark executors (``dedup scan --engine spark``)."""

from __future__ import annotations

from dedup.engines.spark.scan import scan_spark

__all__ = ["scan_spark"]
