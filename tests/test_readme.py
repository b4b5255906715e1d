"""The README stays short and true: its example output is what `dedup scan` writes for the example
corpus, its test command is the one CI runs, and its links lead to pages that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _example_block() -> dict:
    after = README.split("<!-- example-output", 1)[1]
    block = re.search(r"```json\n(.*?)\n```", after, re.S)
    assert block, "the README's example output block is missing"
    return json.loads(block.group(1))


def test_the_readmes_example_output_is_the_first_cluster_of_the_example_corpus(tmp_path):
    out = tmp_path / "clusters.jsonl"
    done = CliRunner().invoke(cli, ["scan", str(ROOT / "examples" / "corpus"), "-o", str(out), "--workers", "1"])
    assert done.exit_code == 0, done.output
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert _example_block() == first


def test_the_readme_is_short_and_its_test_command_is_cis():
    assert len(README.splitlines()) <= 200
    command = re.search(r"^pip install -e \"\.\[test\]\" && .*pytest$", README, re.M)
    assert command, "the README's test command is missing"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command.group(0).replace('"', "") in ci.replace('"', "").replace("--quiet ", "")


def test_the_readmes_links_lead_to_files_that_exist():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert links
    missing = [link for link in links if "://" not in link and not (ROOT / link).exists()]
    assert not missing
