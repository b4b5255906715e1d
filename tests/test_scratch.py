"""Scratch folders never outlive their run: closed, collected, at interpreter exit, on SIGTERM and
SIGINT; after a kill -9 the next run removes them and says so. Outputs of an interrupted run are
absent, never truncated."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.generate import write_speed_corpus
from dedup.engines.local.engine import scan_corpus
from dedup.engines.scratch import OWNER_FILE, Scratch, owner_gone, sweep


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("speed")
    write_speed_corpus(out, 4000, seed=3)
    return out


def _scratch_folders(parent: Path) -> list[Path]:
    return sorted(parent.glob("dedup-*"))


def test_a_folder_is_removed_on_close_and_when_its_owner_is_collected(corpus, tmp_path):
    outcome = scan_corpus([corpus], workers=1, scratch_dir=str(tmp_path))
    (folder,) = _scratch_folders(tmp_path)
    assert folder.name.startswith(f"dedup-scan-{os.getpid()}-") and (folder / OWNER_FILE).is_file()
    assert outcome.result.clusters
    del outcome
    gc.collect()
    assert not folder.exists()

    with scan_corpus([corpus], workers=1, scratch_dir=str(tmp_path)):
        assert _scratch_folders(tmp_path)
    assert not _scratch_folders(tmp_path)


def test_a_library_result_left_open_is_removed_when_the_interpreter_exits(corpus, tmp_path):
    code = ("import sys; from dedup.engines.local.engine import scan_corpus; "
            f"outcome = scan_corpus([{str(corpus)!r}], workers=1, scratch_dir={str(tmp_path)!r}); "
            "import os; print(len(os.listdir(outcome.scratch)) > 1)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert not _scratch_folders(tmp_path)


def test_an_exception_during_the_scan_removes_the_folder(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "a", "text": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(Exception, match="a.jsonl:1"):
        scan_corpus([tmp_path / "in"], workers=1, scratch_dir=str(tmp_path), strict=True)
    assert not _scratch_folders(tmp_path)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_sweep_removes_only_folders_whose_owner_is_gone(tmp_path, caplog):
    def made(name: str, owner: dict | None) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "spool.bin").write_bytes(b"x" * 1000)
        if owner is not None:
            (folder / OWNER_FILE).write_text(json.dumps(owner))
        return folder

    host = socket.gethostname()
    dead = made("dedup-scan-1-aaaa", {"host": host, "pid": _dead_pid(), "started": None})
    alive = made("dedup-scan-2-bbbb", {"host": host, "pid": os.getpid(), "started": None})
    reused = made("dedup-scan-3-cccc", {"host": host, "pid": os.getpid(), "started": "0"})
    elsewhere = made("dedup-scan-4-dddd", {"host": host + "-other", "pid": _dead_pid(), "started": None})
    unknown = made("dedup-scan-5-eeee", None)
    assert not owner_gone(alive) and not owner_gone(elsewhere) and not owner_gone(unknown)
    with caplog.at_level("WARNING", logger="dedup"):
        removed = sweep(tmp_path)
    expected = [dead, reused] if sys.platform == "linux" else [dead]
    assert sorted(removed) == sorted(expected)
    assert [path.exists() for path in (dead, alive, elsewhere, unknown)] == [False, True, True, True]
    (line,) = [record.getMessage() for record in caplog.records]
    assert f"removed {len(expected)} scratch folder" in line and str(tmp_path) in line


def test_scratch_create_sweeps_first(tmp_path):
    stale = tmp_path / "dedup-scan-9-ffff"
    stale.mkdir()
    (stale / OWNER_FILE).write_text(json.dumps({"host": socket.gethostname(), "pid": _dead_pid()}))
    scratch = Scratch.create("scan", tmp_path)
    assert not stale.exists() and scratch.path.exists()
    scratch.remove()
    scratch.remove()  # once
    assert scratch.removed and not scratch.path.exists()


def _run_until_scratch(args: list[str], tmp_path: Path, pipes: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    # after a kill -9 the pool's workers hold the pipes until they notice: no pipes then
    where = subprocess.PIPE if pipes else subprocess.DEVNULL
    # a shell starts background jobs with SIGINT ignored, and Python keeps it so: start the run as
    # a terminal would, with SIGINT at its default, whatever launched the tests
    process = subprocess.Popen([sys.executable, "-m", "dedup", *args], env=env, stdout=where, stderr=where, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        folders = _scratch_folders(tmp_path)
        if folders and any(path.suffix == ".spool" or path.stat().st_size > 0 for path in folders[0].iterdir()
                           if path.name != OWNER_FILE):
            return process
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the scan never wrote scratch")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_scan_stopped_by_a_signal_exits_with_its_code_and_leaves_nothing(corpus, tmp_path, signum, code):
    out = tmp_path / "out" / "clusters.jsonl"
    out.parent.mkdir()
    process = _run_until_scratch(["scan", str(corpus), "-o", str(out), "--workers", "2"], tmp_path)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert not _scratch_folders(tmp_path)
    assert not list(out.parent.iterdir()), "an interrupted scan left an output"


def test_after_a_kill_9_the_next_scan_removes_the_folder_and_says_so(corpus, tmp_path):
    out = tmp_path / "clusters.jsonl"
    process = _run_until_scratch(["scan", str(corpus), "-o", str(out), "--workers", "2"], tmp_path, pipes=False)
    process.kill()
    process.wait(timeout=60)
    (left,) = _scratch_folders(tmp_path)
    small = tmp_path / "small"
    (small / "a").mkdir(parents=True)
    (small / "a" / "1.txt").write_text("标题\n" + "江城发布数字化改造补贴细则，市民可以申领。" * 5, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "dedup", "scan", str(small), "-o", str(out)],
                          env={**os.environ, "TMPDIR": str(tmp_path)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not left.exists() and not _scratch_folders(tmp_path)
    notes = [line for line in done.stderr.splitlines() if "scratch folder" in line]
    assert len(notes) == 1 and "left by runs that were killed" in notes[0]
    assert out.read_text(encoding="utf-8") == ""  # one document: no cluster, but a whole (empty) file


def test_an_index_load_stopped_by_sigterm_leaves_no_scratch_and_a_rerun_completes(corpus, tmp_path):
    db = tmp_path / "index" / "i.db"
    db.parent.mkdir()
    process = _run_until_scratch(["index", str(corpus), "--db", str(db), "--workers", "2"], tmp_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    assert not _scratch_folders(tmp_path)
    rerun = subprocess.run([sys.executable, "-m", "dedup", "index", str(corpus), "--db", str(db), "--workers", "2"],
                           env={**os.environ, "TMPDIR": str(tmp_path)}, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    stats = subprocess.run([sys.executable, "-m", "dedup", "stats", "--db", str(db)], capture_output=True, text=True,
                           check=True)
    assert json.loads(stats.stdout)["documents"] == 4000
    assert not _scratch_folders(tmp_path)
