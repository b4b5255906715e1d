"""The file ``spark-submit`` runs: ``dedup scan --engine spark`` on the session spark-submit made.

Its arguments are those of ``dedup scan`` (inputs, ``-o``, ``--partitions``, ``--format``,
the detector's options); the master, executors and memory come from spark-submit. Ship dedup to
the executors as a wheel (``--py-files dedup-*.whl``) when they have its dependencies, or a packed
environment (``--archives``) when they do not; see the README::

    spark-submit --master yarn --py-files dist/dedup-0.1.0-py3-none-any.whl \\
        "$(python -c 'import dedup.spark_job as job; print(job.__file__)')" \\
        hdfs://nn/news/2024/ -o hdfs://nn/dedup/2024-clusters --partitions 400
"""

from __future__ import annotations

import sys

from dedup.cli import cli


def main(argv: list[str] | None = None) -> None:
    """Run ``dedup scan --engine spark`` with ``argv`` (default: the command line)."""
    args = sys.argv[1:] if argv is None else argv
    cli.main(["scan", "--engine", "spark", "--spark-master", "from-spark-submit", *args], prog_name="dedup")


if __name__ == "__main__":
    main()
