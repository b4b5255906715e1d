"""The local scan engine (what `dedup scan` runs) on generated data."""

import json

import pytest

from benchmarks.generate import write_speed_corpus
from benchmarks.scoring import credit_accuracy, credit_confusion, load_gold, score
from benchmarks.synthetic import write_quality_corpus
from dedup.config import Config
from dedup.engines.local.engine import scan_corpus
from dedup.errors import InputError
from dedup.outputs.records import records
from dedup.stages.sketch import shingles_of
from dedup.text.outlets import OutletTable


@pytest.fixture(scope="module")
def labelled(labelled_corpus):
    return labelled_corpus(60, 3)


def test_generated_corpus_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_quality_corpus(a, stories=15, seed=5)
    write_quality_corpus(b, stories=15, seed=5)
    assert (a / "gold.jsonl").read_bytes() == (b / "gold.jsonl").read_bytes()
    ids = {json.loads(line)["id"] for line in (a / "gold.jsonl").read_text(encoding="utf-8").splitlines()}
    with scan_corpus([a / "corpus"], workers=1) as outcome:
        assert {outcome.result.docs[k].id for k in range(outcome.documents)} == ids


def test_quality_gate_on_generated_corpus(labelled):
    outlets = OutletTable.default()
    with scan_corpus([labelled / "corpus"], workers=1) as outcome:
        found = records(outcome.result, 2, outlets)
    figures = score(found, load_gold(labelled / "gold.jsonl", labelled / "outlets.json"))
    assert figures["pair_precision"] >= 0.95 and figures["pair_recall"] >= 0.95
    assert figures["canonical_acc"] >= 0.9 and figures["origin_acc"] >= 0.9


def test_credit_kinds_and_origins_with_the_corpus_outlet_table(labelled):
    outlets = OutletTable.default()
    outlets.extend_from_file(labelled / "outlets.json")
    with scan_corpus([labelled / "corpus"], outlets=outlets, workers=1) as outcome:
        found = records(outcome.result, 2, outlets)
    gold = load_gold(labelled / "gold.jsonl", labelled / "outlets.json")
    confusion = credit_confusion(found, gold.credit)
    assert sum(confusion.values()) >= 100 and len({want for want, _ in confusion}) == 5  # every kind is there
    assert credit_accuracy(confusion) >= 0.97, confusion
    figures = score(found, gold)
    assert figures["canonical_acc"] >= 0.98 and figures["origin_acc"] >= 0.98, figures


def test_speed_corpus_reposts_are_found(tmp_path):
    write_speed_corpus(tmp_path, 1000, seed=2, workers=1)
    reposts = {}
    for line in (tmp_path / "part0000" / "chunk000000.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["repost"]:
            reposts[row["id"]] = row["repost"]
    with scan_corpus([tmp_path], workers=1) as outcome:
        result = outcome.result
        together = sum(1 for copy, original in reposts.items()
                       if result.labels[_index(result, copy)] == result.labels[_index(result, original)])
    assert reposts and together / len(reposts) >= 0.98


def _index(result, doc_id):
    return next(k for k in range(len(result.docs)) if result.docs[k].id == doc_id)


def test_strict_raises_the_first_reject(tmp_path, article):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.txt").write_text("\n".join(article), encoding="utf-8")
    (tmp_path / "s" / "b.jsonl").write_bytes(json.dumps({"id": "x", "text": article[1]}).encode() + b"\n{broken\n")
    with scan_corpus([tmp_path], workers=1) as outcome:
        assert [(e.kind, e.line) for e in outcome.rejects] == [("malformed", 2)]
        assert outcome.documents == 2
    with pytest.raises(InputError) as caught:
        scan_corpus([tmp_path], workers=1, strict=True)
    assert caught.value.line == 2 and "b.jsonl" in caught.value.path


def test_site_template_redo_sketches_the_text_left_once_templates_go(tmp_path, article):
    # A site's footer (learned as template) hides a headline list from the page end; once the
    # footer goes, the list goes too, on both paths.
    footer = "汇讯网提醒您：理性看待市场，欢迎留言交流。"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = []
    for k in range(10):
        lines.append({"id": f"hub{k}", "url": f"https://hub.net/p/{k}.html",
                      "text": f"第{k}条消息的正文写到这里，内容各不相同，编号{k * 37}。\n{footer}"})
    lines.append({"id": "hub-article", "url": "https://hub.net/p/a.html", "text": "\n".join(
        [*article, "北湾港集装箱吞吐量首季增长一成", "东岭新能源汽车产业园二期开工", "南江试点跨区域通办社保业务", footer])})
    (corpus / "hub.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    config = Config()
    with scan_corpus([corpus], config, workers=1, keep=frozenset({"hub-article"})) as outcome:
        result = outcome.result
        by_id = {result.docs[k].id: k for k in range(outcome.documents)}
        article_doc = outcome.whole["hub-article"]
        # the redone sketch is the sketch of the text the whole document now compares
        assert result.shingles[by_id["hub-article"]].tolist() == \
            shingles_of(article_doc.compared, config.shingle_size).tolist()
    assert "北湾港" not in article_doc.compared and "专项资金24亿元" in article_doc.compared
    assert [reason for reason, _ in article_doc.removed].count("headline list") == 3
