"""Corpus-wide common shingles: a blurb many unrelated pages carry is no evidence; a story
reposted many times does not make its own text common."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.textgen import TextModel
from dedup.config import Config
from dedup.document import Document
from dedup.engines.local.engine import scan
from dedup.stages.common_shingles import CommonShingles, holder_groups, sample_positions, sample_rank


def _groups(result) -> list[list[str]]:
    return sorted(sorted(result.docs[m].id for m in c.members) for c in result.clusters)


def test_items_sharing_a_blurb_across_many_sites_stay_apart(blurb_items):
    docs = blurb_items(40, seed=3)
    assert _groups(scan(docs)) == []
    # Without the rule the blurb makes up most of every item, and they all merge.
    merged = scan(docs, Config(common_share=0))
    assert max(len(c.members) for c in merged.clusters) >= 30


def test_a_story_reposted_many_times_does_not_make_its_own_text_common(blurb_items):
    model, rng = TextModel(5), np.random.default_rng(5)
    story = model.paragraphs(rng, 900)
    # each copy adds a line of its own (enough to be compared on, were the story's text common)
    copies = [Document(id=f"copy{k}", text=story + "\n" + model.sentence(rng), site=f"mirror{k}.cn")
              for k in range(60)]
    # and partial copies, which are not near-identical to the full ones
    copies += [Document(id=f"part{k}", text=story[: 300 + 5 * k], site=f"part{k}.cn") for k in range(25)]
    others = blurb_items(30, seed=9)
    result = scan([*copies, *others])
    assert sorted(m for m in _groups(result) if m[0].startswith("copy"))[0] == sorted(d.id for d in copies)
    assert result.stats["common_shingles"] > 0  # the blurb is common, the story is not


def test_sample_is_the_same_whatever_the_order():
    ids = [f"doc{k}" for k in range(500)]
    ranks = np.array([sample_rank(i) for i in ids])
    chosen = {ids[k] for k in sample_positions(ranks, np.ones(500, bool), 50)}
    shuffled = ids[::-1]
    ranks2 = np.array([sample_rank(i) for i in shuffled])
    assert {shuffled[k] for k in sample_positions(ranks2, np.ones(500, bool), 50)} == chosen


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 3000), min_size=0, max_size=200), st.lists(st.integers(0, 3000), max_size=50))
def test_evidence_is_a_subset_and_never_too_small(values, common_values):
    shingles = np.unique(np.array(values, dtype=np.uint32))
    common = CommonShingles(np.unique(np.array(common_values, dtype=np.uint32)), min_left=8)
    evidence = common.evidence(shingles)
    assert set(evidence.tolist()) <= set(shingles.tolist())
    assert len(evidence) >= 8 or len(evidence) == len(shingles)
    if len(evidence) < len(shingles):
        assert not set(evidence.tolist()) & set(common.hashes.tolist())


def test_near_identical_documents_are_one_holder():
    a = np.arange(1000, dtype=np.uint32)
    sets = [a, a[10:], a[:990], np.arange(5000, 6000, dtype=np.uint32)]
    assert holder_groups(sets, np.array([[0, 1], [0, 2], [1, 2], [2, 3]])) == [[0, 1, 2], [3]]


def test_explain_says_how_many_shingles_were_left_out_as_common(blurb_items):
    from dedup.outputs.explain import explain
    from dedup.text.outlets import OutletTable

    result = scan(blurb_items(40, seed=3))
    text = explain(result, 0, OutletTable.default())
    assert "common in the corpus and left out" in text
    assert "common in the corpus" not in explain(scan(blurb_items(5, seed=3)), 0, OutletTable.default())


@settings(deadline=None)  # the first example loads compiled kernels and tables
@given(st.lists(st.tuples(st.lists(st.integers(0, 2**32 - 1), max_size=30), st.lists(st.integers(0, 2**64 - 1), max_size=4)),
                max_size=6),
       st.lists(st.integers(0, 2**32 - 1), max_size=10), st.integers(0, 12))
def test_unpacked_records_are_each_documents_evidence_and_figures(docs, common_values, min_left):
    common = CommonShingles(np.unique(np.array(common_values + [v for d in docs for v in d[0][:2]], dtype=np.uint32)),
                            min_left)
    sets = [np.unique(np.array(s, dtype=np.uint32)) for s, _ in docs]
    figures = [np.unique(np.array(f, dtype=np.uint64)) for _, f in docs]
    words = np.frombuffer(b"".join(s.tobytes() + f.tobytes() for s, f in zip(sets, figures, strict=True)), dtype=np.uint32)
    packed = common.unpack(words, np.array([len(s) for s in sets]), np.array([len(f) for f in figures]))
    for k, (shingles, figs) in enumerate(zip(sets, figures, strict=True)):
        evidence = packed.shingles[packed.shingle_starts[k] : packed.shingle_starts[k + 1]]
        assert evidence.tolist() == common.evidence(shingles).tolist()
        left = np.setdiff1d(shingles, common.hashes)
        assert evidence.tolist() == (left if len(left) >= min_left or len(common) == 0 else shingles).tolist()
        assert packed.numbers[packed.number_starts[k] : packed.number_starts[k + 1]].tolist() == figs.tolist()
