import gzip
import json
import tempfile
from pathlib import Path

from conftest import write
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.errors import InputError
from dedup.io.formats import read_file, walk
from dedup.io.readers import record_lines, record_parts, site_of_url


def _read_all(root):
    walked = walk([root])
    items = []
    for path, rel in walked.files:
        items.extend(read_file(path, rel))
    return walked, [i for i in items if not isinstance(i, InputError)], [i for i in items if isinstance(i, InputError)]


def test_ids_and_sites_follow_the_contract(tmp_path, article):
    write(tmp_path, "a.com/2024/x.txt", "标题\n\n" + "\n".join(article))
    write(tmp_path, "b.com/y.html", '<html><head><link rel="canonical" href="https://www.b-news.cn/y.html"><title>T</title>'
          "</head><body><div><p>" + "</p><p>".join(article) + "</p></div></body></html>")
    write(tmp_path, "c.com/feed.jsonl", json.dumps({"id": "rec-1", "text": article[0], "url": "https://c.cn/1"}) + "\n"
          + json.dumps({"text": article[1], "site": "feed-site.cn"}) + "\n")
    write(tmp_path, "top.txt", "\n".join(article))
    walked, docs, errors = _read_all(tmp_path)
    by_id = {d.id: d for d in docs}
    assert not errors
    assert by_id["a.com/2024/x.txt"].site == "a.com"
    assert by_id["b.com/y.html"].site == "www.b-news.cn"
    assert by_id["rec-1"].site == "c.cn"
    assert by_id["c.com/feed.jsonl:2"].site == "feed-site.cn"
    assert by_id["top.txt"].site == ""
    assert by_id["a.com/2024/x.txt"].title == "标题"


def test_jsonl_gz_and_json_arrays(tmp_path, article):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "f.jsonl.gz").write_bytes(gzip.compress(json.dumps({"id": "g1", "text": article[0]}).encode()))
    write(tmp_path, "s/arr.json", json.dumps([{"id": "j1", "text": article[1]}, {"text": article[2]}], ensure_ascii=False))
    _, docs, errors = _read_all(tmp_path)
    assert {d.id for d in docs} == {"g1", "j1", "s/arr.json:2"}
    assert not errors


def test_broken_jsonl_lines_are_reported_with_line_and_the_rest_is_read(tmp_path, article):
    lines = [json.dumps({"id": "ok1", "text": article[0]}), '{"id": "bad", "text": ', json.dumps({"id": "no-text"}),
             json.dumps(["not", "an", "object"]), json.dumps({"id": "ok2", "text": article[1]})]
    write(tmp_path, "s/feed.jsonl", "\n".join(lines) + "\n")
    _, docs, errors = _read_all(tmp_path)
    assert [d.id for d in docs] == ["ok1", "ok2"]
    assert [(e.line, e.kind) for e in errors] == [(2, "malformed"), (3, "missing_text"), (4, "malformed")]
    assert str(errors[0]).startswith("s/feed.jsonl:2: malformed JSON")


def test_unsupported_files_are_counted_and_binary_pages_rejected(tmp_path, article):
    write(tmp_path, "s/readme.md", "# notes")
    write(tmp_path, "s/logo.png", "x")
    (tmp_path / "s" / "fake.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    walked, docs, errors = _read_all(tmp_path)
    assert walked.unsupported == 2
    assert [e.kind for e in errors] == ["binary"]
    assert errors[0].path == "s/fake.html"


def test_too_large_files_are_rejected(tmp_path, article):
    path = write(tmp_path, "s/big.txt", "\n".join(article * 10))
    items = list(read_file(path, "s/big.txt", max_bytes=100))
    assert len(items) == 1 and isinstance(items[0], InputError) and items[0].kind == "too_large"


def test_gbk_html_with_meta_charset(tmp_path, article):
    html = '<html><head><meta charset="gbk"><title>标题_网站</title></head><body><div class="article"><p>' + article[0] + "</p></div></body></html>"
    write(tmp_path, "s/p.html", html, "gbk")
    _, docs, _ = _read_all(tmp_path)
    assert article[0] in docs[0].text


def test_site_of_url():
    assert site_of_url("https://Finance.Sina.com.cn/x") == "finance.sina.com.cn"
    assert site_of_url("not a url") == ""
    assert site_of_url(None) == ""


def test_a_reader_failure_is_a_reject_naming_the_file_and_line(tmp_path, monkeypatch, article):
    from dedup import scan_corpus

    def broken(html):
        raise ValueError("parser bug")

    monkeypatch.setattr("dedup.io.readers.extract_html", broken)
    folder = tmp_path / "c" / "feed"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "ok", "text": "\n".join(article)}, {"id": "bad", "text": "", "html": "<p>x</p>"}]), encoding="utf-8")
    (folder / "p.html").write_text("<p>x</p>", encoding="utf-8")
    with scan_corpus([tmp_path / "c"], workers=1) as outcome:
        found = sorted((e.path, e.line, e.kind) for e in outcome.rejects)
        assert found == [("feed/a.jsonl", 2, "internal"), ("feed/p.html", None, "internal")]
        assert outcome.documents == 1


_LINES = st.lists(st.one_of(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")),
                            st.integers(0, 120).map(lambda n: b"x" * n)), max_size=30)


@settings(deadline=None)
@given(_LINES, st.integers(1, 64), st.booleans())
def test_the_parts_of_a_file_hold_its_lines_once_each_with_their_numbers(lines, size, trailing_break):
    data = b"\xef\xbb\xbf" + b"\n".join(lines) + (b"\n" if trailing_break else b"")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.jsonl"
        path.write_bytes(data)
        whole = list(record_lines(path, "a.jsonl", 50))
        parts = list(record_parts(path, "a.jsonl", size))
        assert all(not isinstance(p, InputError) for p in parts)
        assert [p[0] for p in parts] == [0, *(p[1] for p in parts[:-1])] and (not parts or parts[-1][1] == len(data))
        by_parts = [item for part in parts for item in record_lines(path, "a.jsonl", 50, part)]
    def same(items):
        return [(i.line, i.kind) if isinstance(i, InputError) else i for i in items]
    assert same(by_parts) == same(whole)


def test_a_binary_file_is_one_error_and_no_parts(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"\x00\x01\x02" * 5000)
    parts = list(record_parts(path, "b.jsonl", 1024))
    assert len(parts) == 1 and isinstance(parts[0], InputError) and parts[0].kind == "binary"
