import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import quoting_docs, write

from dedup.cli import cli
from dedup.errors import ConfigMismatchError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "corpus"


def _corpus(root: Path, article, other_article):
    write(root, "cs.com.cn/a.txt", "江城补贴\n2024-03-12 09:30 来源：中国证券报\n" + "\n".join(article))
    write(root, "finance.sina.com.cn/b.html", '<html><head><meta charset="gbk"><title>江城补贴_新浪财经</title></head><body>'
          '<div class="info">2024-03-12 10:00 来源：中证网</div><div class="article">'
          + "".join(f"<p>{p}</p>" for p in article[:3]) + "</div></body></html>", "gbk")
    write(root, "port.example/c.txt", "北湾港\n2024-04-02 16:00\n" + "\n".join(other_article))


def _run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_scan_writes_the_contract(tmp_path, article, other_article):
    _corpus(tmp_path / "corpus", article, other_article)
    out = tmp_path / "out.jsonl"
    result = _run(["scan", str(tmp_path / "corpus"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1
    cluster = lines[0]
    assert set(cluster) >= {"cluster_id", "size", "canonical_id", "origin", "members"}
    assert cluster["canonical_id"] == "cs.com.cn/a.txt" and cluster["size"] == 2
    assert cluster["origin"]["outlet"] == "中国证券报" and cluster["origin"]["evidence"]
    members = {m["id"]: m for m in cluster["members"]}
    assert members["cs.com.cn/a.txt"]["role"] == "canonical"
    copy = members["finance.sina.com.cn/b.html"]
    assert copy["site"] == "finance.sina.com.cn" and copy["attributed_source"] == "中国证券报"
    assert copy["containment"] >= 0.9 and 0 < copy["jaccard"] < 1
    assert copy["published_at"] == "2024-03-12T10:00:00+08:00"
    assert "documents" in result.output  # the summary goes to stderr


def test_min_size_one_writes_singletons_once(tmp_path, article, other_article):
    _corpus(tmp_path / "corpus", article, other_article)
    out = tmp_path / "out.jsonl"
    assert _run(["scan", str(tmp_path / "corpus"), "-o", str(out), "--min-size", "1"]).exit_code == 0
    ids = [m["id"] for line in out.read_text(encoding="utf-8").splitlines() for m in json.loads(line)["members"]]
    assert sorted(ids) == sorted(["cs.com.cn/a.txt", "finance.sina.com.cn/b.html", "port.example/c.txt"])


def test_rejected_input_gives_exit_code_3_and_a_rejects_file(tmp_path, article, other_article):
    _corpus(tmp_path / "corpus", article, other_article)
    write(tmp_path / "corpus", "feeds/broken.jsonl", json.dumps({"id": "ok", "text": article[0]}) + "\n{broken\n")
    rejects = tmp_path / "rejects.jsonl"
    result = _run(["scan", str(tmp_path / "corpus"), "-o", str(tmp_path / "o.jsonl"), "--rejects", str(rejects)])
    assert result.exit_code == 3
    rows = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"path": "feeds/broken.jsonl", "line": 2, "kind": "malformed", "reason": rows[0]["reason"]}]
    assert "feeds/broken.jsonl:2" in result.output
    # the good documents were still clustered, the good line of the broken file among them
    assert json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()[0])["size"] == 3


def test_usage_errors_exit_2(tmp_path):
    process = subprocess.run([sys.executable, "-m", "dedup.cli", "scan", str(tmp_path), "--threshold", "1.5"],
                             capture_output=True, text=True)
    assert process.returncode == 2
    assert "threshold must be in (0, 1]" in process.stderr and "Traceback" not in process.stderr
    process = subprocess.run([sys.executable, "-m", "dedup.cli", "scan", str(tmp_path / "missing")], capture_output=True, text=True)
    assert process.returncode == 2


def test_example_corpus_end_to_end(tmp_path):
    out = tmp_path / "clusters.jsonl"
    process = subprocess.run([sys.executable, "-m", "dedup.cli", "scan", str(EXAMPLES), "-o", str(out)],
                             capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    clusters = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_canonical = {c["canonical_id"]: c for c in clusters}
    story = by_canonical["cs.com.cn/2024/0312/a1.html"]
    ids = {m["id"] for m in story["members"]}
    assert ids == {"cs.com.cn/2024/0312/a1.html", "finance.sina.com.cn/2024-03-12/doc-a1.html", "money.163.com/24/0312/a1.txt",
                   "hk-mirror.example/news/a1.txt", "yunfan-news.example/caijing/8812.txt"}
    assert story["origin"]["outlet"] == "中国证券报"
    roles = {m["id"]: m["role"] for m in story["members"]}
    assert roles["yunfan-news.example/caijing/8812.txt"] == "spun"
    assert roles["money.163.com/24/0312/a1.txt"] == "partial"
    # the other story on the same aggregator template stays apart, and so do the two market wraps
    all_ids = [m["id"] for c in clusters for m in c["members"]]
    assert "yunfan-news.example/caijing/8813.txt" not in ids
    assert not ({"feed-002", "feed-003"} <= set(all_ids) and any(
        {"feed-002", "feed-003"} <= {m["id"] for m in c["members"]} for c in clusters))
    assert len(all_ids) == len(set(all_ids))


def test_explain_shows_removals_and_neighbours():
    result = _run(["explain", str(EXAMPLES), "--id", "yunfan-news.example/caijing/8812.txt"])
    assert result.exit_code == 0
    assert "[breadcrumb]" in result.output and "[spun title fragment]" in result.output
    assert "cs.com.cn/2024/0312/a1.html" in result.output and "containment=" in result.output
    assert _run(["explain", str(EXAMPLES), "--id", "nope"]).exit_code != 0


def test_common_share_option_turns_the_corpus_wide_rule_off(tmp_path, blurb_items):
    for doc in blurb_items(40, seed=3):
        write(tmp_path / "corpus", f"{doc.site}/{doc.id}.txt", f"{doc.id}\n{doc.text}")
    default = _run(["scan", str(tmp_path / "corpus"), "-o", str(tmp_path / "a.jsonl")])
    assert default.exit_code == 0 and (tmp_path / "a.jsonl").read_text(encoding="utf-8") == ""
    off = _run(["scan", str(tmp_path / "corpus"), "-o", str(tmp_path / "b.jsonl"), "--common-share", "0"])
    clusters = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert off.exit_code == 0 and max(c["size"] for c in clusters) >= 30


def test_word_tokens_scan_and_an_index_keeps_its_tokens(tmp_path, article, other_article):
    _corpus(tmp_path / "corpus", article, other_article)
    out = tmp_path / "out.jsonl"
    result = _run(["scan", str(tmp_path / "corpus"), "-o", str(out), "--tokens", "words", "--shingle-size", "3"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["canonical_id"] == "cs.com.cn/a.txt"
    db = tmp_path / "i.db"
    assert _run(["index", str(tmp_path / "corpus"), "--db", str(db), "--tokens", "words"]).exit_code == 0
    # without --tokens the index goes on with the tokens it was built with...
    assert _run(["index", str(tmp_path / "corpus"), "--db", str(db)]).exit_code == 0
    # ...and asked for character shingles it refuses, naming the stored setting
    with pytest.raises(ConfigMismatchError, match="tokens: 'words' != 'chars'"):
        _run(["index", str(tmp_path / "corpus"), "--db", str(db), "--tokens", "chars"])


def test_scan_and_clusters_write_csv_rows_per_member_with_keywords(tmp_path):
    import csv

    from dedup.outputs.writers import CSV_COLUMNS

    out = tmp_path / "clusters.csv"
    assert _run(["scan", str(EXAMPLES), "-o", str(out), "--format", "csv", "--keywords"]).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    jsonl = tmp_path / "clusters.jsonl"
    assert _run(["scan", str(EXAMPLES), "-o", str(jsonl), "--keywords"]).exit_code == 0
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    # one row per member, each carrying its cluster's fields; the origin's evidence joined in one cell
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(r["size"] for r in records)
    for record in records:
        mine = [row for row in rows if row["cluster_id"] == record["cluster_id"]]
        assert [row["member_id"] for row in mine] == [m["id"] for m in record["members"]]
        assert {row["canonical_id"] for row in mine} == {record["canonical_id"]}
        assert {row["keywords"] for row in mine} == {" ".join(record["keywords"])}
        assert [float(row["member_containment"]) for row in mine] == [m["containment"] for m in record["members"]]
        assert len(record["keywords"]) == 5 and not any(k.isdigit() for k in record["keywords"])
    # the subsidy story is about the subsidy: its keywords come from its canonical copy's words
    subsidy = next(r for r in records if r["canonical_id"].startswith("cs.com.cn"))
    assert "补贴" in subsidy["keywords"]
    db = tmp_path / "index.db"
    assert _run(["index", str(EXAMPLES), "--db", str(db)]).exit_code in (0, 3)
    from_index = tmp_path / "index.csv"
    assert _run(["clusters", "--db", str(db), "-o", str(from_index), "--format", "csv", "--keywords"]).exit_code == 0
    indexed = list(csv.DictReader(from_index.open(encoding="utf-8", newline="")))
    assert {(r["cluster_id"], r["member_id"], r["keywords"]) for r in indexed} == \
        {(r["cluster_id"], r["member_id"], r["keywords"]) for r in rows}


def test_scan_says_which_keys_proposed_the_candidates_and_takes_the_partner_bound(tmp_path):
    for doc in quoting_docs():
        write(tmp_path / "corpus", doc.id, f"{doc.title}\n{doc.text}")
    counts = {}
    for partners in ("1", "6"):
        result = _run(["scan", str(tmp_path / "corpus"), "-o", str(tmp_path / "out.jsonl"), "--passage-partners", partners])
        assert result.exit_code == 0, result.output
        line = next(line for line in result.stderr.splitlines() if "candidate pairs" in line)
        assert "per document; bands" in line and "passage partners" in line and "pairs sharing passages scored" in line
        counts[partners] = int(line.split("passage partners ")[1].split(",")[0])
        clusters = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
        assert {"daily/story.txt", "portal/excerpt.txt"} in [{m["id"] for m in c["members"]} for c in clusters]
    # one earlier partner each (and the few pairs that share a rare passage) against six each
    assert counts["1"] <= 2 * 92 and counts["1"] < counts["6"] <= 7 * 92
    bad = subprocess.run([sys.executable, "-m", "dedup.cli", "scan", str(tmp_path / "corpus"), "--passage-partners", "0"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "passage_partners must be at least 1" in bad.stderr


def test_python_dash_m_dedup_is_the_command_line_with_its_version_and_completion(tmp_path):
    import os
    import subprocess
    import sys

    from dedup import __version__

    version = subprocess.run([sys.executable, "-m", "dedup", "--version"], capture_output=True, text=True,
                             cwd=tmp_path, check=True)
    assert version.stdout.strip() == f"dedup, version {__version__}"
    env = {**os.environ, "_DEDUP_COMPLETE": "bash_complete", "COMP_WORDS": "dedup sc", "COMP_CWORD": "1"}
    completed = subprocess.run([sys.executable, "-m", "dedup"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 0 and "plain,scan" in completed.stdout.splitlines()
    script = subprocess.run([sys.executable, "-m", "dedup"], env={**os.environ, "_DEDUP_COMPLETE": "zsh_source"},
                            capture_output=True, text=True, cwd=tmp_path)
    assert "#compdef dedup" in script.stdout
