"""Site statistics as one mergeable summary (dedup/sites.py) and the template rule over it."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.sites import SiteCounts
from dedup.stages.templates import SiteProfiles, template_lines

SITES = ["a.cn", "b.cn", "c.cn"]
# a line key is made from its site: keys of different sites never meet
_ROWS = st.lists(st.tuples(st.integers(0, 2),
                           st.lists(st.integers(0, 20), max_size=6, unique=True),
                           st.lists(st.sampled_from(["甲网", "乙报", "丙社"]), max_size=2, unique=True)), max_size=30)


def _counts(rows, sign=1):
    return SiteCounts.of([SITES[s] for s, _, _ in rows],
                         [np.array([100 * s + k for k in keys], dtype=np.uint64) for s, keys, _ in rows],
                         [names for _, _, names in rows], sign)


def _same(a: SiteCounts, b: SiteCounts) -> bool:
    a, b = a.positive(), b.positive()
    return (a.docs_by_site() == b.docs_by_site() and a.keys.tolist() == b.keys.tolist()
            and a.counts.tolist() == b.counts.tolist() and a.key_sites.tolist() == b.key_sites.tolist()
            and a.sources == b.sources)


@given(_ROWS, _ROWS, _ROWS)
@settings(max_examples=60, deadline=None)
def test_summaries_merge_like_one_pass_in_any_grouping(a, b, c):
    whole = _counts(a + b + c)
    left = _counts(a).merge(_counts(b)).merge(_counts(c))
    right = _counts(a).merge(_counts(b).merge(_counts(c)))
    swapped = _counts(c).merge(_counts(a)).merge(_counts(b))
    for merged in (left, right, swapped):
        assert _same(merged, whole)
        assert template_lines(merged, 2, 0.3).tolist() == template_lines(whole, 2, 0.3).tolist()
        profiles, expected = SiteProfiles.from_counts(merged), SiteProfiles.from_counts(whole)
        assert all(profiles.self_name(site) == expected.self_name(site) for site in SITES)


@given(_ROWS, _ROWS)
@settings(max_examples=40, deadline=None)
def test_taking_documents_away_undoes_adding_them(kept, taken):
    assert _same(_counts(kept + taken).merge(_counts(taken, -1)), _counts(kept))


def test_a_line_is_template_by_its_own_sites_page_count():
    # 12 pages on a.cn, 300 on b.cn (a line must be on 5% of them: 15); one line on 11 pages of each
    rows = [(0, [1] if k < 11 else [], []) for k in range(12)] + [(1, [1] if k < 11 else [], []) for k in range(300)]
    found = template_lines(_counts(rows))
    assert found.tolist() == [1]  # a.cn's key (0 * 100 + 1); b.cn's line is on too few of its pages


def test_columns_and_documents_give_the_same_summary():
    doc_site = np.array([0, 1, 0], dtype=np.int32)
    keys = np.array([1, 2, 205, 2], dtype=np.uint64)
    owners = np.array([0, 0, 1, 2])
    sources = {("a.cn", "甲网"): 2, ("a.cn", "乙报"): 1}
    by_columns = SiteCounts.of_columns(("a.cn", "c.cn"), doc_site, keys, doc_site[owners], sources)
    rows = [(0, [1, 2], ["甲网"]), (2, [5], []), (0, [2], ["甲网", "乙报"])]
    assert _same(by_columns, _counts(rows))
