import numpy as np
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.stages.reference import candidate_pairs, hash32, shingle_hashes, signature, signatures
from dedup.stages.sketch import jaccard_containment


def test_signature_equals_datasketch_affine32(article):
    shingles = shingle_hashes("".join(article), 5)
    ours = signature(shingles, 128, 1)
    reference = MinHash(num_perm=128, seed=1, hashfunc=int)
    reference.update_batch([int(v) for v in hash32(shingles)])
    assert np.array_equal(ours, reference.hashvalues)


def test_signature_estimates_jaccard(article, other_article):
    a = shingle_hashes("".join(article), 5)
    b = shingle_hashes("".join(article[:3]), 5)
    c = shingle_hashes("".join(other_article), 5)
    sa, sb, sc = signature(a), signature(b), signature(c)
    _, true_j, _ = jaccard_containment(a, b)
    assert abs(float(np.mean(sa == sb)) - true_j) < 0.15
    assert float(np.mean(sa == sc)) < 0.1


def test_short_texts_do_not_share_an_empty_signature():
    sigs = signatures([shingle_hashes(t, 5) for t in ["快讯", "涨停", "跌停", ""]])
    valid = np.array([True, True, True, False])
    assert candidate_pairs(sigs, 42, 3, valid=valid).size == 0
    assert len({s.tobytes() for s in sigs[:3]}) == 3


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_a_document_is_a_full_duplicate_of_itself(text):
    shingles = shingle_hashes(text, 5)
    inter, jaccard, containment = jaccard_containment(shingles, shingles)
    assert jaccard == 1.0 and containment == 1.0 and inter == len(shingles)
    assert np.array_equal(signature(shingles), signature(shingle_hashes(text, 5)))


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=10, max_size=200), st.text(max_size=100))
def test_a_prefix_is_fully_contained(text, tail):
    whole = shingle_hashes(text + tail, 4)
    part = shingle_hashes(text, 4)
    _, _, containment = jaccard_containment(whole, part)
    assert containment == 1.0


def test_lsh_finds_identical_and_skips_huge_buckets():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(10, 128), dtype=np.uint64).astype(np.uint32)
    sigs[7] = sigs[2]
    assert candidate_pairs(sigs, 42, 3).tolist() == [[2, 7]]
    same = np.repeat(sigs[:1], 5, axis=0)
    assert candidate_pairs(same, 42, 3, max_bucket=4).size == 0
    assert len(candidate_pairs(same, 42, 3, max_bucket=5)) == 10
