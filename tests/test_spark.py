"""The Spark engine (local[2]) writes what the local engine writes: the same clusters, canonical
copies, origins and member figures, whatever the number of input partitions, and the same rejects.

Needs pyspark (the test extra) and Java 17; CI installs both, so these tests run there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write

from dedup.config import Config
from dedup.corpus import scan_corpus
from dedup.outlets import OutletTable
from dedup.report import records

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "corpus"


@pytest.fixture(scope="module")
def spark():
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("dedup tests").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _local(root: Path) -> tuple[list[dict], list[tuple[str, str]]]:
    with scan_corpus([root], Config(), OutletTable.default(), workers=1) as outcome:
        return records(outcome.result, 2, OutletTable.default()), sorted(
            (r.doc_id or r.path, r.kind) for r in outcome.rejects)


def test_spark_writes_the_local_engines_records_on_the_example_corpus(spark):
    from dedup.spark import scan_spark

    expected, _ = _local(EXAMPLES)
    assert scan_spark([str(EXAMPLES)], spark=spark).records == expected


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_spark_records_do_not_depend_on_the_partitioning(spark, labelled_corpus, partitions):
    from dedup.spark import scan_spark

    corpus = labelled_corpus(50, 21) / "corpus"
    expected, _ = _local(corpus)
    assert len(expected) >= 40
    assert scan_spark([str(corpus)], spark=spark, partitions=partitions).records == expected


def test_spark_reports_the_same_rejects(spark, tmp_path, article, other_article):
    from dedup.spark import scan_spark

    write(tmp_path, "a.com/1.txt", "江城补贴\n" + "\n".join(article))
    write(tmp_path, "b.com/2.txt", "江城补贴\n" + "\n".join(article[:3]))
    write(tmp_path, "c.com/3.txt", "北湾港\n" + "\n".join(other_article))
    (tmp_path / "d.com").mkdir()
    (tmp_path / "d.com" / "bad.jsonl").write_bytes(b'{"id": "x", "text": "\\u6c5f"}\n{broken json\n')
    (tmp_path / "d.com" / "binary.txt").write_bytes(b"\xff\xfe\x00junk\x00\x01")
    (tmp_path / "d.com" / "empty.txt").write_bytes(b"")
    write(tmp_path, "e.com/a.jsonl", "".join(json.dumps({"id": "same", "text": "\n".join(text)}, ensure_ascii=False) + "\n"
                                             for text in (other_article, article[1:])))
    expected, rejects = _local(tmp_path)
    got = scan_spark([str(tmp_path)], spark=spark, partitions=2)
    assert got.records == expected
    assert sorted((r.doc_id or r.path, r.kind) for r in got.rejects) == rejects
    assert {kind for _, kind in rejects} >= {"malformed", "undecodable", "empty", "duplicate_id"}
