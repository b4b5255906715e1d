"""Crawled text reaches a terminal with its control characters made visible: the summary, the
rejects, explain, and extract's JSON when it is written to a terminal. JSON keeps its value."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.outputs.terminal import json_for_terminal, printable

ESCAPES = "\x1b[2J\x1b]0;owned\x07\r\x9b31m\u202e"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_printable_leaves_no_control_character_but_newline_and_tab(text):
    shown = printable(text)
    assert all(ch in "\n\t" or (ord(ch) >= 0x20 and not 0x7f <= ord(ch) <= 0x9f) for ch in shown)
    assert "\u202e" not in shown and "\u2066" not in shown
    assert printable(shown) == shown


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text() | st.integers(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_for_terminal_keeps_the_value(value):
    line = json_for_terminal(json.dumps(value, ensure_ascii=False))
    assert json.loads(line) == value
    assert not any(0x7f <= ord(ch) <= 0x9f or ch == "\u202e" for ch in line)


def _corpus(root):
    story = "江城市工业和信息化局发布通知，今年将安排专项资金支持中小制造企业开展数字化改造，单个企业最高可获补贴。" * 3
    docs = [{"id": f"a{ESCAPES}", "title": f"标题{ESCAPES}", "text": f"{story}\n编辑{ESCAPES}", "site": "a.cn"},
            {"id": "b", "title": "标题", "text": story, "site": "b.cn"},
            {"id": f"short{ESCAPES}", "text": "太短"}]
    (root / "c.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    (root / "bad\x1b[2J\x9b1m.jsonl").write_text("{not json\n", encoding="utf-8")  # a crawled name


def _dedup(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)


def _raw(text):
    """The control characters of ESCAPES found raw in ``text``."""
    return [ch for ch in ESCAPES if (ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f or ch == "\u202e") and ch in text]


def test_the_rejects_summary_and_explain_show_control_characters_escaped(tmp_path):
    _corpus(tmp_path)
    scanned = _dedup("scan", str(tmp_path), "-o", str(tmp_path / "out.jsonl"), tmp_path=tmp_path)
    assert scanned.returncode == 3
    assert "bad\\x1b[2J\\x9b1m.jsonl:1" in scanned.stderr and not _raw(scanned.stderr)
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert {m["id"] for m in record["members"]} == {f"a{ESCAPES}", "b"}  # JSON outputs keep the text

    explained = _dedup("explain", str(tmp_path), "--id", f"a{ESCAPES}", tmp_path=tmp_path)
    assert explained.returncode in (0, 3), explained.stderr
    assert "\\x1b]0;owned\\x07" in explained.stdout and not _raw(explained.stdout + explained.stderr)


def test_extract_escapes_only_on_a_terminal(tmp_path):
    _corpus(tmp_path)
    piped = _dedup("extract", str(tmp_path), tmp_path=tmp_path)
    assert ESCAPES.replace("\x1b", "\\u001b").replace("\x07", "\\u0007").replace("\r", "\\r")[:6] in piped.stdout
    assert "\x9b" in piped.stdout  # a pipe or a file gets the JSON as it is

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "dedup", "extract", str(tmp_path)], stdout=follower,
                               stderr=subprocess.DEVNULL, cwd=tmp_path)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8")
    lines = [json.loads(line) for line in screen.replace("\r\n", "\n").splitlines() if line.startswith("{")]
    assert {line["id"] for line in lines} >= {f"a{ESCAPES}", "b"}
    assert "\x9b" not in screen and "\u202e" not in screen and "\x1b" not in screen
