"""The prepare stage, and that every engine goes through it."""

import json

import pytest
from conftest import write

import dedup.text.clean
from dedup import Config, Index, scan_corpus
from dedup.document import Document
from dedup.errors import InputError
from dedup.stages.prepare import prepare
from dedup.text.outlets import OutletTable


@pytest.fixture
def failing_cleaner(monkeypatch):
    """A cleaner with a bug that only pages mentioning 爆炸 trigger."""
    real = dedup.text.clean.clean

    def clean(doc, *args, **kwargs):
        if "爆炸" in doc.text:
            raise RuntimeError("cleaner bug")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr("dedup.stages.prepare.clean", clean)


def test_prepare_cleans_or_says_why(article):
    cleaned = prepare(Document(id="a", text="\n".join(article)), Config(), OutletTable.default())
    assert not isinstance(cleaned, InputError) and cleaned.compared
    refused = prepare(Document(id="b", text="x" * 50), Config(max_doc_chars=10), OutletTable.default())
    assert isinstance(refused, InputError) and refused.kind == "too_large"


def test_a_cleaner_failure_is_a_reject_in_the_index_too(tmp_path, article, other_article, failing_cleaner):
    docs = [{"id": "a", "text": "\n".join(article)}, {"id": "bad", "text": "爆炸\n" + "\n".join(other_article)},
            {"id": "b", "text": "\n".join(article)}]
    with Index(tmp_path / "i.db") as index:
        verdicts = {v.id: v for v in index.add_many(docs)}
    assert verdicts["bad"].status == "rejected" and "cleaning failed" in (verdicts["bad"].reason or "")
    assert verdicts["b"].status == "repost" and verdicts["b"].canonical_id == "a"


def test_a_cleaner_failure_is_a_reject_in_the_scan(tmp_path, article, other_article, failing_cleaner):
    write(tmp_path / "c", "x.com/a.jsonl", "\n".join(json.dumps(d, ensure_ascii=False) for d in [
        {"id": "a", "text": "\n".join(article)}, {"id": "bad", "text": "爆炸\n" + "\n".join(other_article)}]))
    with scan_corpus([str(tmp_path / "c")], workers=1) as outcome:
        assert [(e.kind, e.doc_id) for e in outcome.rejects] == [("internal", "bad")]
        assert outcome.documents == 1
