"""Bad input and faults: junk is reported with path, line and reason, the rest is read, results hold."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import write_quality_corpus
from dedup.config import Config
from dedup.document import Document
from dedup.engines.local.engine import scan_corpus
from dedup.errors import InputError
from dedup.io.formats import read_file, walk
from dedup.io.readers import parse_record_line, read_page
from dedup.outputs.records import records
from dedup.text.outlets import OutletTable

# --- fuzzing the readers ---------------------------------------------------------------------

_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["s/a.txt", "s/a.html", "s/a.htm"]))
def test_any_page_bytes_give_a_document_or_an_input_error(data, relpath):
    try:
        doc = read_page(data, relpath)
    except InputError as error:
        assert error.path == relpath and error.kind
    else:
        assert isinstance(doc, Document) and doc.id == relpath


@_FUZZ
@given(st.binary(max_size=2000), st.integers(min_value=1, max_value=10**6))
def test_any_record_line_gives_a_document_an_error_or_nothing(raw, number):
    item = parse_record_line(raw, "s/f.jsonl", number)
    assert item is None or isinstance(item, Document | InputError)
    if isinstance(item, InputError):
        assert item.line == number and item.path == "s/f.jsonl"


@_FUZZ
@given(st.lists(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)), max_size=8),
       st.sampled_from(["f.jsonl", "f.json", "f.jsonl.gz", "f.html"]))
def test_any_file_yields_only_documents_and_input_errors(tmp_path, lines, name):
    data = b"\n".join(lines)
    if name.endswith(".gz") and lines and lines[0][:1] == b"z":
        data = gzip.compress(data)[:-5]  # sometimes a truncated stream
    elif name.endswith(".gz"):
        data = gzip.compress(data)
    path = tmp_path / name
    path.write_bytes(data)
    for item in read_file(path, name):
        assert isinstance(item, Document | InputError)


# --- encodings and invisible characters ------------------------------------------------------


def test_page_declaring_utf8_but_written_in_gbk_is_read(tmp_path, article):
    html = '<html><head><meta charset="utf-8"><title>标题</title></head><body><div class="article"><p>' \
        + "</p><p>".join(article) + "</p></div></body></html>"
    write(tmp_path, "s/lie.html", html, "gbk")
    items = list(read_file(tmp_path / "s/lie.html", "s/lie.html"))
    assert len(items) == 1 and isinstance(items[0], Document) and article[1] in items[0].text


def test_jsonl_with_lines_in_different_encodings(tmp_path, article):
    utf8 = json.dumps({"id": "u", "text": article[0]}, ensure_ascii=False).encode("utf-8")
    gbk = json.dumps({"id": "g", "text": article[1]}, ensure_ascii=False).encode("gbk")
    (tmp_path / "mixed.jsonl").write_bytes(b"\xef\xbb\xbf" + utf8 + b"\n" + gbk + b"\n")
    docs = [d for d in read_file(tmp_path / "mixed.jsonl", "mixed.jsonl") if isinstance(d, Document)]
    assert [(d.id, d.text) for d in docs] == [("u", article[0]), ("g", article[1])]


def test_invisible_and_control_characters_do_not_break_matching(tmp_path, article, other_article):
    # Spinners sprinkle zero-width and bidi marks; broken crawls leave NULs, controls and lone surrogates.
    tricks = ["\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\x00", "\x07", "\u00ad"]
    noisy = []
    for number, paragraph in enumerate(article):
        chars = list(paragraph)
        for position in range(3, len(chars), 7):
            chars[position] += tricks[(position + number) % len(tricks)]
        noisy.append("".join(chars))
    write(tmp_path, "a.cn/orig.txt", "标题\n" + "\n".join(article))
    (tmp_path / "b.cn").mkdir()
    records_text = json.dumps({"id": "noisy", "text": "\n".join(noisy) + "\ud800"}, ensure_ascii=True) + "\n"
    (tmp_path / "b.cn" / "feed.jsonl").write_text(records_text, encoding="utf-8")
    write(tmp_path, "c.cn/other.txt", "另一个标题\n" + "\n".join(other_article))
    with scan_corpus([tmp_path], workers=1) as outcome:
        result = outcome.result
        groups = [sorted(result.docs[m].id for m in c.members) for c in result.clusters if len(c.members) > 1]
        assert groups == [["a.cn/orig.txt", "noisy"]]
        assert not outcome.rejects


# --- unreadable, vanished, looping -----------------------------------------------------------


def test_symlink_loop_is_reported_not_followed_forever(tmp_path, article):
    write(tmp_path, "a.cn/x.txt", "\n".join(article))
    os.symlink(tmp_path / "a.cn", tmp_path / "a.cn" / "loop")
    with scan_corpus([tmp_path], workers=1) as outcome:
        assert outcome.documents == 1
        assert any("symlink loop" in e.reason for e in outcome.rejects)


def test_file_deleted_after_the_walk_is_a_reject(tmp_path, article, other_article):
    write(tmp_path, "a.cn/x.txt", "\n".join(article))
    write(tmp_path, "a.cn/gone.txt", "\n".join(other_article))
    write(tmp_path, "a.cn/gone.jsonl", json.dumps({"text": other_article[0]}))
    walked = walk([tmp_path])
    (tmp_path / "a.cn" / "gone.txt").unlink()
    (tmp_path / "a.cn" / "gone.jsonl").unlink()
    with scan_corpus([tmp_path], workers=1, walked=walked) as outcome:
        assert outcome.documents == 1
        assert sorted((e.path, e.kind) for e in outcome.rejects) == [("a.cn/gone.jsonl", "unreadable"),
                                                                    ("a.cn/gone.txt", "unreadable")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_file_without_read_permission_is_a_reject(tmp_path, article):
    path = write(tmp_path, "a.cn/x.txt", "\n".join(article))
    path.chmod(0)
    with scan_corpus([tmp_path], workers=1) as outcome:
        assert [(e.path, e.kind) for e in outcome.rejects] == [("a.cn/x.txt", "unreadable")]


def test_empty_and_tiny_documents_are_rejected_and_never_grouped(tmp_path):
    write(tmp_path, "a.cn/empty.txt", "标题\n\n责任编辑：张三\n")
    write(tmp_path, "a.cn/blank.txt", "   \n\n")
    write(tmp_path, "b.cn/tiny1.txt", "快讯\n涨停")
    write(tmp_path, "b.cn/tiny2.txt", "快讯\n涨停")
    with scan_corpus([tmp_path], workers=1) as outcome:
        assert outcome.documents == 0
        assert sorted(e.path for e in outcome.rejects) == ["a.cn/blank.txt", "a.cn/empty.txt", "b.cn/tiny1.txt",
                                                           "b.cn/tiny2.txt"]
        assert {e.kind for e in outcome.rejects} == {"empty"}


def test_documents_over_the_length_limit_are_rejected(tmp_path, article):
    write(tmp_path, "a.cn/huge.txt", "\n".join(article * 50))
    write(tmp_path, "a.cn/fine.txt", "\n".join(article))
    with scan_corpus([tmp_path], Config(max_doc_chars=2000), workers=1) as outcome:
        assert outcome.documents == 1
        assert [(e.path, e.kind) for e in outcome.rejects] == [("a.cn/huge.txt", "too_large")]
        assert "--max-doc-chars" in outcome.rejects[0].reason


# --- a corrupted corpus of a thousand files --------------------------------------------------


def _junk(root: Path, count: int, article: list[str]) -> Counter[str]:
    """Write ``count`` junk files of every kind a crawl leaves behind; returns the expected reject kinds."""
    expected: Counter[str] = Counter()
    body = "\n".join(article)
    makers = [
        ("binary", lambda k: (f"junk/bin{k}.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)),
        ("empty", lambda k: (f"junk/empty{k}.txt", b"")),
        ("empty", lambda k: (f"junk/menu{k}.html", "<html><body><div class='nav'>首页 | 新闻</div></body></html>".encode())),
        ("malformed", lambda k: (f"junk/broken{k}.jsonl", b'{"id": "half", "text": "')),
        ("missing_text", lambda k: (f"junk/notext{k}.jsonl", json.dumps({"id": f"nt{k}", "title": "x"}).encode())),
        ("undecodable", lambda k: (f"junk/gz{k}.jsonl.gz",
                                   gzip.compress(json.dumps({"text": body}, ensure_ascii=False).encode())[:60])),
        ("too_large", lambda k: (f"junk/big{k}.txt", ("大" * 70_000).encode())),
    ]
    for k in range(count):
        kind, make = makers[k % len(makers)]
        rel, data = make(k)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expected[kind] += 1
    # Truncated GBK pages are not junk: what survives of them is read (and is too short here).
    truncated = body.encode("gbk")[: len(body.encode("gbk")) // 3 + 1]
    (root / "junk" / "cut.txt").write_bytes(truncated)
    return expected


def test_corrupted_corpus_of_a_thousand_files(tmp_path, article):
    good = tmp_path / "good"
    write_quality_corpus(good, stories=40, seed=11)
    corpus = good / "corpus"
    config, outlets = Config(max_file_bytes=150_000), OutletTable.default()
    with scan_corpus([corpus], config, outlets, workers=2) as clean_run:
        expected_records = records(clean_run.result, 2, outlets)
        good_documents = clean_run.documents
        assert not clean_run.rejects
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    expected = _junk(corpus, 1000 - files, article)
    with scan_corpus([corpus], config, outlets, workers=2) as outcome:
        assert records(outcome.result, 2, outlets) == expected_records
        assert outcome.documents == good_documents + 1  # the readable part of the cut GBK page
        kinds = Counter(e.kind for e in outcome.rejects)
        assert kinds == expected
        for error in outcome.rejects:
            assert error.path.startswith("junk/") and error.reason
        assert all(e.line == 1 for e in outcome.rejects if e.kind in ("malformed", "missing_text"))


# --- the command line ------------------------------------------------------------------------


def _dedup(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup.cli", *args], capture_output=True, text=True, **kwargs)


def test_cli_reports_one_line_per_reject_and_a_rejects_file(tmp_path, article):
    write(tmp_path, "c/a.txt", "\n".join(article))
    write(tmp_path, "c/b.jsonl", json.dumps({"id": "ok", "text": article[2]}) + "\n{oops\n")
    (tmp_path / "c" / "x.html").write_bytes(bytes(500))
    rejects = tmp_path / "rejects.jsonl"
    process = _dedup("scan", str(tmp_path / "c"), "-o", str(tmp_path / "out.jsonl"), "--rejects", str(rejects))
    assert process.returncode == 3
    assert "Traceback" not in process.stderr
    assert "c/b.jsonl:2" in process.stderr or "b.jsonl:2" in process.stderr
    rows = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert sorted((r["path"], r["line"], r["kind"]) for r in rows) == [("b.jsonl", 2, "malformed"),
                                                                       ("x.html", None, "binary")]
    strict = _dedup("scan", str(tmp_path / "c"), "-o", str(tmp_path / "o2.jsonl"), "--strict")
    assert strict.returncode == 3 and "--strict" in strict.stderr


def test_cli_closed_stdout_pipe_is_quiet(tmp_path):
    write_quality_corpus(tmp_path / "q", stories=30, seed=2)
    command = f"{sys.executable} -m dedup.cli scan {tmp_path / 'q' / 'corpus'} --workers 1 | head -c 100 > /dev/null"
    process = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert "Traceback" not in process.stderr and "Broken pipe" not in process.stderr
    assert process.returncode == 0


def test_cli_config_error_is_one_line_and_traceback_only_with_verbose(tmp_path):
    bad = tmp_path / "outlets.json"
    bad.write_text('{"outlets": [{"kind": "newspaper"}]}', encoding="utf-8")
    (tmp_path / "c").mkdir()
    quiet = _dedup("scan", str(tmp_path / "c"), "--outlets", str(bad))
    assert quiet.returncode == 2 and "needs a string 'name'" in quiet.stderr
    assert "Traceback" not in quiet.stderr and len(quiet.stderr.strip().splitlines()) == 1
