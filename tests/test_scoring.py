from pathlib import Path

import pytest

from benchmarks.scoring import Gold, bcubed, canonical_accuracy, origin_accuracy, pairwise, score


def _gold():
    return Gold(story={"a": "S1", "b": "S1", "c": "S1", "d": "S2", "e": "S3"}, original={"S1": "a", "S2": "d"},
                origin={"S1": "中国证券报", "S2": "新华社", "S3": "人民日报"}, kind={}, aliases={"中证网": "中国证券报"})


def test_perfect_prediction_scores_one():
    clusters = [{"cluster_id": "c1", "canonical_id": "a", "origin": {"outlet": "中证网"},
                 "members": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}]
    result = score(clusters, _gold())
    assert result["pair_f1"] == 1.0 and result["pair_ari"] == 1.0 and result["bcubed_f1"] == 1.0
    assert result["canonical_acc"] == 1.0 and result["origin_acc"] == 1.0


def test_known_pairwise_and_ari_values():
    pred = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    gold = _gold().story
    r = pairwise(pred, gold)
    # gold pairs: ab ac bc; predicted: ab cd; true positive: ab
    assert r["precision"] == 0.5 and abs(r["recall"] - 1 / 3) < 1e-9
    # ARI by hand: index 1, expected 2*3/10 = 0.6, max 2.5 -> (1-0.6)/(2.5-0.6)
    assert abs(r["ari"] - (0.4 / 1.9)) < 1e-9
    b = bcubed(pred, gold)
    # a, b: 2/2 of their cluster share their story; c, d: 1/2; e: 1/1
    assert abs(b["precision"] - (1 + 1 + 1 / 2 + 1 / 2 + 1) / 5) < 1e-9


def test_canonical_and_origin_accuracy_count_wrong_choices():
    clusters = [{"cluster_id": "c1", "canonical_id": "b", "origin": {"outlet": "新华社"},
                 "members": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}]
    assert canonical_accuracy(clusters, _gold()) == (0.0, 1)
    assert origin_accuracy(clusters, _gold()) == (0.0, 1)


def test_cases_split_present_absent_and_backdated():
    from benchmarks.scoring import accuracy_by_case

    gold = Gold(story={"a": "S1", "b": "S1", "x": "S2", "y": "S2"}, original={"S1": "a"},
                origin={"S1": "中国证券报", "S2": "新华社"}, kind={"b": "spam+attr_self"}, aliases={})
    clusters = [
        {"cluster_id": "c1", "canonical_id": "b", "origin": {"outlet": "中国证券报"},
         "members": [{"id": "a", "published_at": "2024-03-12"}, {"id": "b", "published_at": "2020-01-01"}]},
        {"cluster_id": "c2", "canonical_id": "x", "origin": None, "members": [{"id": "x"}, {"id": "y"}]},
    ]
    cases = accuracy_by_case(clusters, gold)
    assert cases["original present"] == {"stories": 1.0, "canonical_acc": 0.0, "origin_acc": 1.0}
    assert cases["backdated copy"]["canonical_acc"] == 0.0
    assert cases["self-attributing spam"]["stories"] == 1.0
    assert cases["original absent"]["origin_acc"] == 0.0


def test_judged_pairs_count_misses_and_wrong_joins_by_kind(tmp_path):
    from benchmarks.scoring import load_judgements, score_judged_pairs

    path = tmp_path / "gold.jsonl"
    path.write_text(
        '{"a": "x", "b": "y", "same": true, "kind": "copy"}\n'
        '{"a": "x", "b": "z", "same": true, "kind": "excerpt"}\n'
        '{"a": "y", "b": "w", "same": false, "kind": "digest"}\n', encoding="utf-8")
    judgements = load_judgements(path)
    clusters = [{"members": [{"id": "x"}, {"id": "y"}, {"id": "w"}]}, {"members": [{"id": "z"}]}]
    scored = score_judged_pairs(clusters, judgements)
    # joined: x-y (same), x-w (unjudged), y-w (judged different); same: x-y, x-z
    assert scored["precision"] == 1 / 3 and scored["recall"] == 1 / 2
    assert scored["missed_by_kind"] == {"excerpt": 1}
    assert scored["wrong_by_kind"] == {"digest": 1, "unjudged": 1}


def test_judgement_without_a_verdict_names_the_line(tmp_path):
    from benchmarks.scoring import load_judgements

    path = tmp_path / "gold.jsonl"
    path.write_text('{"a": "x", "b": "y", "same": true, "kind": "copy"}\n{"a": "x", "b": "z", "kind": "copy"}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"gold.jsonl:2: .*'same'"):
        load_judgements(path)


def test_finnews_gold_is_well_formed():
    from benchmarks.scoring import load_judgements

    judgements = load_judgements(Path(__file__).resolve().parent.parent / "benchmarks" / "finnews_gold.jsonl")
    pairs = [frozenset((j.a, j.b)) for j in judgements]
    assert len(pairs) == len(set(pairs)) and all(len(p) == 2 for p in pairs)
    assert {j.kind for j in judgements if j.same} <= {"copy", "partial", "excerpt"}
    assert {j.kind for j in judgements if not j.same} <= {"quote", "digest", "links", "boilerplate"}
