"""The engines: who runs the stages, and where.

- :mod:`dedup.engines.local`: this machine's cores (``dedup scan``, ``dedup.scan``);
- :mod:`dedup.engines.incremental`: one document at a time against a stored index (``dedup.Index``);
- :mod:`dedup.engines.spark`: Spark executors (``dedup scan --engine spark``).

They schedule; what is computed is in :mod:`dedup.stages`.
"""
