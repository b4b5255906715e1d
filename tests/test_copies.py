"""The copies ledger (dedup.outputs.copies) and ``dedup copies`` over a scan's clusters and an index."""

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import cli
from dedup.engines.incremental.index import Index
from dedup.outputs.copies import FIELDS, copies_in, credit_table, csv_text
from dedup.text.outlets import OutletTable

OUTLETS = OutletTable.default()


def _member(doc_id, site, when, kind="outlet", role="copy", share=0.95):
    return {"id": doc_id, "site": site, "role": role, "published_at": when, "taken": 0.9, "copied_share": share,
            "credit": {"kind": kind, "lines": [{"names": "outlet", "outlet": "中国证券报", "form": "来源",
                                                 "text": "来源:中国证券报"}] if kind == "outlet" else []}}


def _records():
    return [
        {"cluster_id": "c1", "origin": {"outlet": "中国证券报"}, "members": [
            {"id": "a", "site": "www.cs.com.cn", "role": "canonical", "published_at": "2024-03-12T09:30:00+08:00"},
            _member("b", "finance.sina.com.cn", "2024-03-12T10:30:00+08:00"),
            _member("c", "spam.example", "2024-03-11T09:30:00+08:00", "self", "spun", 0.4),
            _member("d", "cs.com.cn", "2024-03-12T12:00:00+08:00")]},
        {"cluster_id": "c2", "origin": {"outlet": "中证网"}, "members": [
            {"id": "e", "site": "www.cs.com.cn", "role": "canonical", "published_at": "2024-04-01T09:30:00+08:00"},
            _member("f", "money.163.com", None, "none")]},
        {"cluster_id": "c3", "origin": {"outlet": "新华社"}, "members": [
            {"id": "g", "site": "xinhuanet.com", "role": "canonical"}, _member("h", "money.163.com", None)]},
    ]


def test_every_copy_of_the_outlets_stories_by_name_or_alias_and_none_of_its_own_pages():
    found = list(copies_in(_records(), "中证网", OUTLETS))
    assert [c.id for c in found] == ["b", "c", "f"]
    assert [c.outlet for c in found] == ["中国证券报"] * 3
    b, c, f = found
    assert (b.delay_hours, b.credit, b.credited, b.flags) == (1.0, "outlet", ["中国证券报"], [])
    assert (c.delay_hours, c.flags) == (-24.0, ["self-credit", "backdated", "spun", "padded"])
    assert (f.delay_hours, f.flags) == (None, ["no credit"])
    assert credit_table(found) == {"outlet": 1, "self_then_outlet": 0, "self": 1, "other": 0, "none": 1}


def test_days_and_credit_kinds_narrow_the_list():
    assert [c.id for c in copies_in(_records(), "中国证券报", OUTLETS, since="2024-03-13")] == ["f"]
    assert [c.id for c in copies_in(_records(), "中国证券报", OUTLETS, until="2024-03-12")] == ["b", "c"]
    assert [c.id for c in copies_in(_records(), "中国证券报", OUTLETS, credits=["none", "self"])] == ["c", "f"]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        list(copies_in(_records(), "中国证券报", OUTLETS, since="12/03/2024"))
    with pytest.raises(ValueError, match="use any or one of"):
        list(copies_in(_records(), "中国证券报", OUTLETS, credits=["credited"]))


def test_the_csv_has_a_header_and_one_row_per_copy():
    rows = list(csv.DictReader(io.StringIO("".join(csv_text(copies_in(_records(), "中国证券报", OUTLETS))))))
    assert list(rows[0]) == list(FIELDS) and [r["id"] for r in rows] == ["b", "c", "f"]
    assert rows[1]["flags"] == "self-credit; backdated; spun; padded" and rows[0]["credit_lines"] == "来源:中国证券报"


def _gold(root: Path) -> dict[str, dict]:
    return {row["id"]: row for row in map(json.loads, (root / "gold.jsonl").read_text(encoding="utf-8").splitlines())}


def _check_against_gold(listed: list[dict], gold: dict[str, dict], outlet: str) -> None:
    assert listed, "the outlet's stories have copies"
    for copy in listed:
        row = gold[copy["id"]]
        assert row["origin_outlet"] == outlet and not row["is_original"], copy["id"]
    right = sum(copy["credit"] == gold[copy["id"]]["credit"] for copy in listed)
    assert right >= 0.95 * len(listed), Counter((gold[c["id"]]["credit"], c["credit"]) for c in listed)


@pytest.fixture(scope="module")
def scanned(labelled_corpus, tmp_path_factory):
    root = labelled_corpus(60, 13)
    out = tmp_path_factory.mktemp("copies") / "clusters.jsonl"
    done = CliRunner().invoke(cli, ["scan", str(root / "corpus"), "--outlets", str(root / "outlets.json"),
                                    "-o", str(out)], catch_exceptions=False)
    assert done.exit_code in (0, 3), done.output
    origins = Counter(json.loads(line)["origin"]["outlet"] for line in out.read_text(encoding="utf-8").splitlines()
                      if json.loads(line).get("origin"))
    return root, out, origins.most_common(1)[0][0]


def test_dedup_copies_lists_an_outlets_copies_with_the_credit_the_gold_gives(scanned):
    root, clusters, outlet = scanned
    done = CliRunner().invoke(cli, ["copies", str(clusters), "--outlet", outlet, "--outlets", str(root / "outlets.json")])
    assert done.exit_code == 0, done.output
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    _check_against_gold(listed, _gold(root), outlet)
    gold = _gold(root)
    copies = {doc for doc, row in gold.items() if row["origin_outlet"] == outlet and row.get("credit")
              and row["story"].startswith("S")}
    assert len({c["id"] for c in listed} & copies) >= 0.9 * len(copies)


def test_dedup_copies_reads_an_index_by_its_stored_origins(scanned, tmp_path):
    root, _, outlet = scanned
    for mode in ("--bulk", "--one-by-one"):
        db = tmp_path / f"index{mode}.db"
        made = CliRunner().invoke(cli, ["index", str(root / "corpus"), "--db", str(db), mode, "--outlets",
                                        str(root / "outlets.json")], catch_exceptions=False)
        assert made.exit_code in (0, 3), made.output
        out = tmp_path / f"copies{mode}.csv"
        done = CliRunner().invoke(cli, ["copies", "--db", str(db), "--outlet", outlet, "--outlets",
                                        str(root / "outlets.json"), "--format", "csv", "-o", str(out)])
        assert done.exit_code == 0, done.output
        listed = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        _check_against_gold(listed, _gold(root), outlet)
        assert all(row["shared_sentences"] and int(row["shared_sentences"]) > 0 for row in listed), mode
        with Index(db, readonly=True) as index:
            assert not index.store.origins_stale(), mode


def test_a_bad_line_is_named_and_the_exit_code_says_inputs_were_rejected(tmp_path):
    path = tmp_path / "clusters.jsonl"
    path.write_text(json.dumps(_records()[0] | {"size": 4}, ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["copies", str(path), "--outlet", "中国证券报"])
    assert done.exit_code == 3 and f"{path}:2" in done.stderr and len(done.stdout.splitlines()) == 2
    usage = CliRunner().invoke(cli, ["copies", "--outlet", "中国证券报"])
    assert usage.exit_code == 2 and "CLUSTERS.jsonl or --db" in usage.output


def test_copies_of_takes_a_scan_result_a_clusters_file_or_records(tmp_path):
    from dedup import copies_of, scan_corpus
    from dedup.errors import InputError
    from dedup.outputs.records import records

    examples = Path(__file__).resolve().parent.parent / "examples" / "corpus"
    with scan_corpus([examples], workers=1) as outcome:
        found = list(copies_of(outcome.result, "中证网"))
        lines = records(outcome.result, 2, OUTLETS)
    assert Counter(c.credit for c in found) == {"outlet": 3, "self_then_outlet": 1}
    spun = next(c for c in found if c.credit == "self_then_outlet")
    assert spun.chain == ["中国证券报"] and "spun" in spun.flags and spun.delay_hours > 24 * 300
    path = tmp_path / "clusters.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines) + "{broken\n", encoding="utf-8")
    read = []
    with pytest.raises(InputError, match="clusters.jsonl"):
        for copy in copies_of(path, "中国证券报"):
            read.append(copy.id)
    assert sorted(read) == sorted(c.id for c in found)  # every good line was read first
