"""`dedup extract` and the library's Article: the article text of each document, what went, rejects."""

import json

from click.testing import CliRunner
from conftest import write

from dedup.cli import cli
from dedup.outputs.article import Article, extract_bytes


def _corpus(root, article):
    write(root, "cs.com.cn/a.html",
          '<html><head><meta charset="gbk"><title>江城补贴_中国证券报</title></head><body>'
          '<div class="nav"><a href="/">首页</a><a href="/n">新闻</a></div><h1>江城补贴</h1>'
          '<div class="info">2024-03-12 09:30 来源：中国证券报</div><div class="article">'
          + "".join(f"<p>{p}</p>" for p in article) + "<p>（责任编辑：王芳）</p></div></body></html>", "gbk")
    write(root, "feed/items.jsonl", json.dumps({"id": "item-1", "url": "https://finance.sina.com.cn/1.html",
                                               "title": "江城补贴", "text": "\n".join(article[:2])},
                                              ensure_ascii=False) + "\n{not json\n"
          + json.dumps({"id": "tiny", "text": "短讯"}, ensure_ascii=False) + "\n")


def test_extract_writes_one_record_per_document_and_reports_rejects(tmp_path, article):
    _corpus(tmp_path / "c", article)
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "c"), "-o", str(out), "--rejects", str(rejects),
                                      "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 3
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(records) == {"cs.com.cn/a.html", "item-1"}
    page = records["cs.com.cn/a.html"]
    assert set(page) == {"id", "site", "url", "title", "published_at", "attributed_source", "text", "removed"}
    assert page["text"].split("\n") == article  # as written: full-width punctuation kept
    assert page["attributed_source"] == "中国证券报" and page["published_at"].startswith("2024-03-12T09:30")
    assert {"kind": "staff credit", "text": "(责任编辑:王芳)"} in page["removed"]
    assert records["item-1"]["site"] == "finance.sina.com.cn"
    found = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [(r["path"], r["line"], r["kind"]) for r in found] == [
        ("feed/items.jsonl", 2, "malformed"), ("feed/items.jsonl", 3, "empty")]


def test_extract_strict_stops_at_the_first_reject(tmp_path, article):
    _corpus(tmp_path / "c", article)
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "c"), "--strict", "--workers", "1"])
    assert result.exit_code == 3 and "--strict" in result.output


def test_extract_all_good_exits_zero_on_stdout(tmp_path, article):
    write(tmp_path / "c", "x.com/a.txt", "标题\n" + "\n".join(article))
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "c"), "--workers", "1"])
    assert result.exit_code == 0
    assert json.loads(result.stdout.splitlines()[0])["id"] == "x.com/a.txt"


def test_extract_bytes_gives_the_record_of_a_page(article):
    html = ("<html><head><title>江城补贴</title></head><body><div>" + "".join(f"<p>{p}</p>" for p in article)
            + "</div></body></html>").encode("gb18030")
    found = extract_bytes(html, "x.com/a.html")
    assert isinstance(found, Article) and found.text.split("\n") == article
    assert found.record()["site"] == "x.com"
