"""A full disk under the scratch folder, the output, and the SQLite index: a clear error naming
what was being written where, exit code 1, no scratch left, no partial output, and an index that
opens and answers as before the batch that found no room.

Each case runs in a mount namespace of its own with a small tmpfs mounted on a folder of the
test (``unshare -m`` as root, ``unshare -rm`` otherwise): a real filesystem that fills up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from services import required

from benchmarks.generate import write_speed_corpus

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "corpus"


def _unshare() -> list[str] | None:
    """The unshare command that may mount a tmpfs here, or None."""
    if not shutil.which("unshare"):
        return None
    for command in (["unshare", "-m"], ["unshare", "-rm"]):
        probe = subprocess.run([*command, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || "
                                "mount -t tmpfs -o size=64k tmpfs \"$TMPDIR\""], capture_output=True,
                               env={**os.environ, "TMPDIR": "/tmp"})
        if probe.returncode == 0:
            return command
    return None


@pytest.fixture(scope="module")
def unshare() -> list[str]:
    found = _unshare()
    if found is None:
        required("mount namespace to mount a small tmpfs in", "unshare -m, or unshare -rm")
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("speed")
    write_speed_corpus(out, 4000, seed=5)
    return out


def _on_small_disk(unshare: list[str], disk: Path, kib: int, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the shell ``script`` with a ``kib`` KiB tmpfs mounted on ``disk`` ($DISK, $DEDUP)."""
    disk.mkdir(exist_ok=True)
    env = {**os.environ, "DISK": str(disk), "DEDUP": f"{sys.executable} -m dedup"}
    return subprocess.run([*unshare, "bash", "-c", f'mount -t tmpfs -o size={kib}k tmpfs "$DISK" && {script}'],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)


def test_a_full_scratch_folder_gives_a_clear_error_and_leaves_nothing(unshare, corpus, tmp_path):
    out = tmp_path / "clusters.jsonl"
    done = _on_small_disk(unshare, tmp_path / "disk", 2048,
                          f'TMPDIR="$DISK" $DEDUP scan {corpus} -o {out} --workers 2; rc=$?; '
                          f'ls -A "$DISK" > {tmp_path}/left; exit $rc', tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"no space left while writing scratch in {tmp_path / 'disk'}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "left").read_text() == ""
    assert not out.exists()


def test_a_full_output_disk_gives_a_clear_error_and_no_partial_file(unshare, corpus, tmp_path):
    disk = tmp_path / "disk"
    done = _on_small_disk(unshare, disk, 64,
                          f'$DEDUP scan {corpus} -o "$DISK/clusters.jsonl" --workers 2; rc=$?; '
                          f'ls -A "$DISK" > {tmp_path}/left; exit $rc', tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"no space left while writing {disk / 'clusters.jsonl'}" in done.stderr, done.stderr
    assert (tmp_path / "left").read_text() == ""


def test_a_full_index_disk_keeps_the_index_as_it_was_before_the_batch(unshare, corpus, tmp_path):
    probe = tmp_path / "probe.jsonl"
    probe.write_text("".join(json.dumps({"id": f"probe{k}", "title": title, "text": text}, ensure_ascii=False) + "\n"
                             for k, (title, text) in enumerate(_example_texts())), encoding="utf-8")
    script = (f'$DEDUP index {EXAMPLES} --db "$DISK/i.db" || exit 10; '
              f'$DEDUP query {probe} --db "$DISK/i.db" > {tmp_path}/before || exit 11; '
              f'$DEDUP index {corpus} --db "$DISK/i.db" --batch 200 --workers 1 2> {tmp_path}/err; rc=$?; '
              f'$DEDUP query {probe} --db "$DISK/i.db" > {tmp_path}/after || exit 12; '
              f'$DEDUP stats --db "$DISK/i.db" > {tmp_path}/stats || exit 13; exit $rc')
    disk = tmp_path / "disk"
    done = _on_small_disk(unshare, disk, 1536, script, tmp_path)
    err = (tmp_path / "err").read_text() if (tmp_path / "err").exists() else ""
    assert done.returncode == 1, done.stderr + err
    assert f"no space left while writing the index {disk / 'i.db'}" in err, err
    before = (tmp_path / "before").read_text().splitlines()
    after = (tmp_path / "after").read_text().splitlines()
    assert before and [json.loads(line)["canonical_id"] for line in before] == \
        [json.loads(line)["canonical_id"] for line in after]
    assert [json.loads(line)["status"] for line in before] == [json.loads(line)["status"] for line in after]
    assert json.loads((tmp_path / "stats").read_text())["documents"] >= 10


def _example_texts() -> list[tuple[str, str]]:
    """Two of the example corpus's stories (as dedup reads them), as a crawler would send them again."""
    from dedup.io.formats import read_file

    texts = []
    for rel in ("hk-mirror.example/news/a1.txt", "bwport.example/news/q1.txt"):
        (doc,) = read_file(EXAMPLES / rel, rel)
        texts.append((doc.title or "", doc.text))
    return texts
