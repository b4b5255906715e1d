"""The documentation site builds with no warning (a broken link, anchor or API reference fails),
and the API reference's docstring rewriting turns doctests into code blocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

from griffe_docstrings import markdown_docstring  # noqa: E402


def test_doctests_become_pycon_blocks_and_roles_code_spans():
    text = "Scan it with :func:`~dedup.engines.local.scan`.\n\n>>> scan([])\n[['a']]\n\nAfter."
    assert markdown_docstring(text) == "Scan it with ``scan``.\n\n```pycon\n>>> scan([])\n[['a']]\n```\n\nAfter."
    assert markdown_docstring(markdown_docstring(text)) == markdown_docstring(text)


def test_an_indented_doctest_keeps_its_indentation():
    assert markdown_docstring("- item:\n\n    >>> 1\n    1") == "- item:\n\n    ```pycon\n    >>> 1\n    1\n    ```"


def test_the_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("dedup.Index.add", "dedup.Config", "dedup.scan_corpus", "dedup.Verdict"):
        assert f'id="{name}"' in api, name
    assert not (tmp_path / "site" / "griffe_docstrings.py").exists()
