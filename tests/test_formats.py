"""The input-format registry (dedup/io/formats.py): suffixes, streaming, and Parquet in the local engine."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dedup import Config, scan_corpus
from dedup.io.formats import FORMATS, SUPPORTED_SUFFIXES, format_of, read_data, read_file, streams, walk
from dedup.outputs.records import records
from dedup.text.outlets import OutletTable


def test_every_suffix_belongs_to_one_format():
    owners = [fmt.name for suffix in SUPPORTED_SUFFIXES for fmt in FORMATS if suffix in fmt.suffixes]
    assert len(owners) == len(SUPPORTED_SUFFIXES)
    assert format_of("A/B.JSONL.GZ").name == "jsonl"
    assert format_of("notes.md") is None


def test_only_json_lines_stream_and_utf16_json_lines_do_not(tmp_path):
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(b'{"id": "x", "text": "y"}\n')
    wide = tmp_path / "b.jsonl"
    wide.write_bytes('{"id": "x", "text": "y"}\n'.encode("utf-16"))
    assert streams(plain, "a.jsonl")
    assert not streams(wide, "b.jsonl")
    assert not streams(b"[]", "c.json")


def _rows(article, other_article):
    story = "\n".join(article)
    return [
        {"id": "b-copy", "site": "b.com", "title": article[0], "text": story},
        {"id": "a-orig", "site": "a.com", "title": article[0], "text": story},
        {"id": "c-other", "site": "c.com", "title": other_article[0], "text": "\n".join(other_article)},
        {"id": "d-empty", "site": "d.com", "text": ""},
    ]


def test_parquet_rows_are_documents_in_id_order(tmp_path, article, other_article):
    path = tmp_path / "news.parquet"
    pq.write_table(pa.Table.from_pylist(_rows(article, other_article)), path)
    found = list(read_file(path, "news.parquet"))
    assert [getattr(item, "id", None) or item.doc_id for item in found] == ["a-orig", "b-copy", "c-other", "d-empty"]
    assert found[0].site == "a.com" and found[0].text.startswith(article[0])
    assert list(read_data(path.read_bytes(), "news.parquet"))[1].id == "b-copy"


def test_a_damaged_parquet_file_is_one_reject_naming_it(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 not really")
    found = list(read_file(path, "broken.parquet"))
    assert len(found) == 1 and found[0].kind == "malformed" and found[0].path == "broken.parquet"


@pytest.mark.parametrize("workers", [1, 2])
def test_the_local_engine_reads_parquet_as_it_reads_json_lines(tmp_path, article, other_article, workers):
    rows = sorted(_rows(article, other_article), key=lambda row: row["id"])
    (tmp_path / "as_parquet").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "as_parquet" / "news.parquet")
    (tmp_path / "as_jsonl").mkdir()
    (tmp_path / "as_jsonl" / "news.jsonl").write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    assert [rel for _, rel in walk([tmp_path / "as_parquet"]).files] == ["news.parquet"]
    outputs = []
    for folder in ("as_parquet", "as_jsonl"):
        with scan_corpus([tmp_path / folder], Config(), workers=workers) as outcome:
            outputs.append((records(outcome.result, 1, OutletTable.default()),
                            sorted((e.doc_id, e.kind) for e in outcome.rejects)))
    assert outputs[0] == outputs[1]
    clusters = [[m["id"] for m in r["members"]] for r in outputs[0][0]]
    assert sorted(clusters[0]) == ["a-orig", "b-copy"]
    assert outputs[0][1] == [("d-empty", "empty")]
