import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import Config
from dedup.stages.cluster import Edges, cluster, find_digests, same_headline
from dedup.stages.sketch import figures, intersection_size
from dedup.stages.verify import figures_agree, intersection_reaching, verify_pairs


def numbers_agree(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(figures_agree(len(a), len(b), int(intersection_size(a, b))))


def test_formulaic_items_with_different_figures_disagree():
    a = figures("3月11日沪指涨081报306846点深成指涨127报952038点成交额9486亿元北向资金净买入6307亿元")
    b = figures("3月12日沪指跌038报305594点深成指跌092报943214点成交额8827亿元北向资金净买入1255亿元")
    assert not numbers_agree(a, b)
    edited = figures("3月11日沪指涨081报306846点深成指涨127报952038点成交额9500亿元北向资金净买入6307亿元")
    assert numbers_agree(a, edited)


def test_verify_applies_threshold_and_figures():
    s = [np.arange(0, 100, dtype=np.uint32), np.arange(50, 100, dtype=np.uint32), np.arange(80, 200, dtype=np.uint32)]
    nums = [figures("") for _ in range(3)]
    pairs = verify_pairs(np.array([[0, 1], [0, 2], [1, 2]]), lambda k: (s[k], nums[k]), Config(threshold=0.5))
    assert [(p.left, p.right, p.inter) for p in pairs] == [(0, 1, 50)]


def test_star_clusters_do_not_chain():
    # A path 0-1-2-3 of pairwise matches: every member must match its cluster's centre directly,
    # so the two ends never share a cluster.
    sizes = np.array([100, 100, 100, 100])
    labels = cluster(sizes, Edges(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([60, 70, 60])))
    assert labels[0] != labels[3]
    assert len(set(labels.tolist())) == 2


def test_digest_page_joins_only_a_story_that_is_most_of_it():
    # 0: story A (100), 1: story B (100), 2: digest holding A and B whole plus more (260).
    sizes = np.array([100, 100, 260])
    edges = Edges(np.array([0, 1]), np.array([2, 2]), np.array([100, 100]))
    adjacency = [{2: 100}, {2: 100}, {0: 100, 1: 100}]
    assert find_digests(sizes, adjacency) == {2: [0, 1]}
    labels = cluster(sizes, edges, digest_share=0.5)
    assert len(set(labels.tolist())) == 3
    # When story A makes up most of the digest, the digest joins A and B stays apart.
    sizes = np.array([150, 60, 200])
    labels = cluster(sizes, Edges(np.array([0, 1]), np.array([2, 2]), np.array([150, 60])), digest_share=0.5)
    assert labels[2] == labels[0] and labels[1] != labels[0]


def test_partial_copies_of_one_story_are_not_a_digest():
    sizes = np.array([300, 100, 150])
    edges = Edges(np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([100, 150, 100]))
    labels = cluster(sizes, edges)
    assert len(set(labels.tolist())) == 1


def test_copies_without_an_edge_are_judged_on_their_overlap_before_calling_a_page_a_digest():
    # 0: full story (300), 1: its lead only (100), 2: the story without its lead sentence (200).
    # LSH found no pair 1-2; 1 and 2 share 60 shingles, so they are one story and 0 no digest.
    sets = [np.arange(0, 300), np.arange(0, 100), np.arange(40, 240)]
    sizes = np.array([len(s) for s in sets])
    edges = Edges(np.array([0, 0]), np.array([1, 2]), np.array([100, 200]))

    def related(a: int, b: int, held: int) -> bool:
        return len(np.intersect1d(sets[a], sets[b])) >= 0.5 * held

    assert len(set(cluster(sizes, edges, related=related).tolist())) == 1
    # Without the overlap check the page looks like a digest and loses its lead-only copy.
    assert len(set(cluster(sizes, edges).tolist())) == 2
    # Two unrelated stories inside one page still make it a digest.
    sets[2] = np.arange(150, 350)
    sizes = np.array([400, 100, 200])
    assert find_digests(sizes, {0: {1: 100, 2: 200}, 1: {0: 100}, 2: {0: 200}}, related=related) == {0: [1, 2]}


def test_a_partial_copy_joins_through_a_member_but_a_page_holding_it_does_not():
    # 0, 1: full copies (400 each); 2: the lead only (120), linked to 1 but not to the centre 0;
    # 3: a digest page (330) holding the lead whole plus two other stories' leads.
    sizes = np.array([400, 400, 120, 330])
    edges = Edges(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([380, 120, 120]))
    labels = cluster(sizes, edges).tolist()
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]
    # Full copies, not the lead every copy contains, are the centres: with edges from the lead
    # to both copies and the digest, the digest still stays out.
    edges = Edges(np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), np.array([380, 120, 120, 120]))
    labels = cluster(sizes, edges).tolist()
    assert labels[0] == labels[1] == labels[2] and labels[3] != labels[0]


def test_items_are_judged_on_the_parts_the_page_holds_and_on_their_headlines():
    # Page 0 (400) holds two items: 1 (160, all inside) and 2 (300, of which 150 inside).
    # They share 80 shingles: half of the smaller part held (150), so one story, no digest.
    sizes = np.array([400, 160, 300])
    adjacency = {0: {1: 160, 2: 150}, 1: {0: 160}, 2: {0: 150}}
    assert find_digests(sizes, adjacency, inside=0.5, related=lambda a, b, held: 0.5 * held <= 80) == {}
    assert find_digests(sizes, adjacency, inside=0.5, related=lambda a, b, held: 0.5 * held <= 70) == {0: [1, 2]}
    # Under the old bar (80% of an item inside the page) item 2 is no item at all.
    assert find_digests(sizes, adjacency) == {}


def test_a_compilation_joins_none_of_its_commentaries_but_a_copy_with_a_flash_keeps_its_story():
    # 0: a compilation (1000) of commentary 1 (530 inside) and commentary 2 (430 inside).
    sizes = np.array([1000, 560, 450])
    edges = Edges(np.array([0, 0]), np.array([1, 2]), np.array([530, 430]))
    labels = cluster(sizes, edges, digest_share=0.75, inside=0.5)
    assert len(set(labels.tolist())) == 3
    # 0: a story page (1000) that is story 1 (900) plus a short unrelated flash 2 (80).
    sizes = np.array([1000, 900, 80])
    labels = cluster(sizes, Edges(np.array([0, 0]), np.array([1, 2]), np.array([900, 80])), digest_share=0.75,
                     inside=0.5)
    assert labels[0] == labels[1] != labels[2]


@pytest.mark.parametrize(("a", "b", "same"), [
    ("央行宣布降准0.5个百分点", "央行：降准0.5个百分点 释放资金", True),
    ("刘姝威“请命”清盘钜盛华持股万科资管计划", "刘姝威\"请命\"清盘钜盛华持股万科的七个资管计划", True),
    ("A股市场避险情绪发酵", "过度解读造成股灾", False),
    ("", "过度解读造成股灾", False),
    (None, None, False),
])
def test_same_headline(a, b, same):
    assert same_headline(a, b) is same


_SETS = st.lists(st.integers(0, 60), max_size=40).map(lambda v: np.unique(np.array(v, dtype=np.uint32)))
_FIGURES = st.lists(st.integers(0, 6), max_size=6).map(lambda v: np.unique(np.array(v, dtype=np.uint64)))


@settings(deadline=None)  # the first example loads compiled kernels and tables
@given(_SETS, _SETS, st.floats(0, 50))
def test_the_bounded_intersection_is_exact_unless_it_cannot_reach_what_is_needed(a, b, needed):
    exact = len(np.intersect1d(a, b))
    found = intersection_reaching(a, b, needed)
    assert found == exact or (found == -1 and exact < needed)


@settings(deadline=None)  # the first example loads compiled kernels and tables
@given(st.lists(st.tuples(_SETS, _FIGURES), min_size=2, max_size=6), st.sampled_from([0.3, 0.5, 0.8]),
       st.sampled_from([0, 10]))
def test_packed_checks_follow_the_rule_pair_by_pair(docs, threshold, short):
    config = Config(threshold=threshold, short_shingles=short)
    pairs = [(i, j) for i in range(len(docs)) for j in range(i + 1, len(docs))]
    kept = {(p.left, p.right): (p.inter, p.jaccard, p.containment)
            for p in verify_pairs(pairs, lambda k: docs[k], config)}
    for i, j in pairs:
        a, b = docs[i][0], docs[j][0]
        inter = len(np.intersect1d(a, b))
        smaller = min(len(a), len(b))
        containment = inter / smaller if smaller else 0.0
        figures_small = min(len(docs[i][1]), len(docs[j][1]))
        shared_figures = len(np.intersect1d(docs[i][1], docs[j][1]))
        agree = figures_small < (2 if smaller < short else 4) or shared_figures >= 0.5 * figures_small
        expected = smaller > 0 and containment >= threshold and agree
        assert ((i, j) in kept) == expected
        if expected:
            assert kept[(i, j)] == (inter, inter / (len(a) + len(b) - inter), containment)
