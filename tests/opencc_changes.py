"""What OpenCC's t2s conversion can change: the data behind ``dedup/data/t2s_changes.json``.

    python tests/opencc_changes.py        # rewrite the file from the installed OpenCC

Most Chinese news is already Simplified and comes out of t2s unchanged, yet the conversion costs as
much as the rest of normalisation. It can only change a text that holds one of its dictionaries'
keys whose first conversion differs from the key: a single character, or a phrase (回覆 -> 回复).
The file lists those characters and phrases, with the SHA-256 of the dictionaries they were read
from, so that :mod:`dedup.text.normalize` skips the conversion only when it runs on the same ones.
The dictionaries are read with ``opencc_dict``, which the opencc wheel carries.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import opencc

from dedup.text.normalize import T2S_CHANGES, t2s_dictionaries

OPENCC_DICT = Path(opencc.__file__).parent / "clib" / "bin" / "opencc_dict"


def dictionary_entries(path: Path) -> list[tuple[str, list[str]]]:
    """``(key, conversions)`` of one compiled OpenCC dictionary, read with ``opencc_dict``."""
    with tempfile.TemporaryDirectory() as folder:
        text = Path(folder) / "dict.txt"
        env = dict(os.environ, LD_LIBRARY_PATH=str(OPENCC_DICT.parent.parent / "lib64"))
        subprocess.run([str(OPENCC_DICT), "-i", str(path), "-o", str(text), "-f", "ocd2", "-t", "text"],
                       check=True, capture_output=True, env=env)
        entries = []
        for line in text.read_text(encoding="utf-8").splitlines():
            key, values = line.split("\t")
            entries.append((key, values.split(" ")))
        return entries


def t2s_changes() -> dict[str, object]:
    """The content of ``t2s_changes.json`` for the installed OpenCC."""
    digests = t2s_dictionaries()
    chars: set[str] = set()
    phrases: dict[str, str] = {}
    for name in digests:
        if not name.endswith(".ocd2"):
            continue
        for key, values in dictionary_entries(Path(opencc._opencc_share_dir) / name):
            if values[0] == key:
                continue
            if len(key) == 1:
                chars.add(key)
            else:
                phrases.setdefault(key, values[0])
    return {
        "about": "Keys of OpenCC's t2s dictionaries (Apache-2.0) whose first conversion differs from the key; "
                 "written by tests/opencc_changes.py.",
        "opencc": opencc.__version__,
        "dictionaries": digests,
        "chars": "".join(sorted(chars)),
        "phrases": dict(sorted(phrases.items())),
    }


if __name__ == "__main__":
    T2S_CHANGES.write_text(json.dumps(t2s_changes(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {T2S_CHANGES}")
