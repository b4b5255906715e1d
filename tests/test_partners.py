"""Passage partners: the containment estimate, the per-document bound, and order independence."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import Config
from dedup.stages.candidates import keys_of
from dedup.stages.partners import (
    PartnerHeaps,
    best_partners,
    estimated_containment,
    part_partners,
    passage_rows,
    passage_rows_of,
)
from dedup.stages.sketch import passage_keys, sketch
from dedup.text.normalize import compact

SENTENCES = [compact(s) for s in (
    "江城市政府今天发布消息，今年将安排专项资金二十四亿元，支持中小企业开展数字化改造。",
    "市工信局负责人介绍，补贴将优先投向智能制造、工业互联网和绿色低碳等方向。",
    "据统计，去年全市共有一千二百家企业完成数字化改造，平均生产效率提高百分之十八。",
    "业内人士认为，持续的财政支持将帮助中小企业跨过转型门槛，带动上下游产业链协同升级。",
    "市财政局表示，资金将分三批下达，首批八亿元已经到位，相关企业可通过政务服务网在线申报。",
    "南岭县第一季度新增就业岗位三千个，县政府表示将继续加大招商引资力度，吸引更多企业落户。",
    "气象台预计，未来三天本市以多云天气为主，最高气温二十八摄氏度，夜间有零星小雨。",
    "该公司公告称，董事会审议通过了回购股份的议案，回购资金总额不低于五千万元。",
    "教育部门提醒考生，准考证打印将于本月十日开始，请考生及时登录报名网站下载。",
    "铁路部门介绍，暑运期间将加开旅客列车一百二十对，重点保障学生流和旅游流。",
)]
QUOTE = compact("发言人强调，我们坚决反对任何形式的单边主义和保护主义，愿同各方一道维护多边贸易体制的权威性和有效性。")


def _row(text: str, config: Config) -> np.ndarray:
    _, signature = sketch(text, config.shingle_size, config.num_perm, config.seed)
    return passage_rows_of(keys_of(text, signature, config)[None, :], config.total_bands)[0]


def _story(seed: int, length: int = 30) -> str:
    rng = np.random.default_rng(seed)
    return "".join(SENTENCES[int(k)] for k in rng.integers(0, len(SENTENCES), length)) + str(seed) * 3


def test_padding_is_not_a_passage():
    config = Config()
    short = compact("快讯：本市今日起调整公交线路。")
    row = _row(short, config)
    assert (row == 0).sum() > 0  # a short text has fewer passages than slots
    assert set(row[row != 0].tolist()) <= set(passage_keys(short, 5, 32, 16, 7).tolist())


def test_an_excerpt_scores_high_and_a_shared_quote_low():
    config = Config()
    story = "".join(SENTENCES[:5]) * 3
    excerpt = story[len(story) // 3 : len(story) // 3 + 180]
    other = "".join(SENTENCES[5:]) * 3
    quoting_story, quoting_other = story + QUOTE, other + QUOTE
    assert estimated_containment(_row(story, config), _row(excerpt, config)) >= 0.5
    assert estimated_containment(_row(quoting_story, config), _row(quoting_other, config)) < 0.3
    assert estimated_containment(_row(story, config), _row(other, config)) == 0


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E60), min_size=1, max_size=400))
def test_a_text_is_always_its_own_full_partner(text):
    config = Config()
    row = _row(text, config)
    if (row != 0).any():
        assert estimated_containment(row, row) == 1.0


def test_each_document_keeps_at_most_k_partners_however_many_share_its_passages():
    # Sixty documents all quote one passage; each also holds a different story.
    config = Config(passage_partners=3, passage_floor=0.0, rare_passage=1)
    texts = [_story(seed) + QUOTE * 2 for seed in range(60)]
    rows = np.stack([_row(text, config) for text in texts])
    keys, owners = rows.ravel(), np.repeat(np.arange(len(rows)), rows.shape[1])
    heaps = part_partners(keys[keys != 0], owners[keys != 0], rows, config, PartnerHeaps(len(rows), 3))
    pairs = heaps.pairs()
    assert heaps.scored >= 60 * 59 // 2  # every pair sharing the quote was scored...
    assert 0 < len(pairs) <= 3 * len(rows)  # ...and only the best few earlier ones of each document kept
    assert np.bincount(heaps.kept()[0], minlength=60).max() <= 3
    assert not heaps.rare  # the quotes are held by sixty documents: no rare passage among them


def test_parts_of_the_key_space_merge_to_the_heaps_of_the_whole_in_any_order():
    config = Config(passage_partners=2, passage_floor=0.0)
    texts = [_story(seed % 7) + _story(100 + seed, 8) for seed in range(24)]
    rows = np.stack([_row(text, config) for text in texts])
    keys, owners = rows.ravel(), np.repeat(np.arange(len(rows)), rows.shape[1])
    real = keys != 0
    whole = part_partners(keys[real], owners[real], rows, config, PartnerHeaps(len(rows), 2))
    for parts, order in ((3, [0, 1, 2]), (3, [2, 0, 1]), (5, [4, 3, 2, 1, 0])):
        merged = PartnerHeaps(len(rows), 2)
        for part in order:
            mine = real & (keys % np.uint64(parts) == np.uint64(part))
            merged.merge(part_partners(keys[mine], owners[mine], rows, config, PartnerHeaps(len(rows), 2)))
        assert merged.pairs().tolist() == whole.pairs().tolist()
        assert (merged.partners == whole.partners).all()


def test_crowded_passages_and_low_scores_propose_nothing():
    rows = np.array([[5, 6, 7, 8], [5, 9, 10, 11], [5, 12, 13, 14]], dtype=np.uint64)
    keys, owners = rows.ravel(), np.repeat(np.arange(3), 4)
    heaps = PartnerHeaps(3, 4)
    heaps.offer_buckets(keys, owners, rows, cap=2)  # key 5 is held by three documents: over the cap
    assert heaps.pairs().tolist() == []
    # One passage in common: of the other's sampled range, two of four comparable: 0.5.
    heaps.offer_buckets(keys, owners, rows, cap=3, floor=0.6)
    assert heaps.pairs().tolist() == []
    heaps.offer_buckets(keys, owners, rows, cap=3, floor=0.5)
    # (0, 1): the second of the bucket shares a rare passage; document 2 keeps its best four earlier ones
    assert heaps.pairs().tolist() == [[0, 1], [0, 2], [1, 2]]
    assert [pair.tolist() for pair in heaps.rare] == [[[0, 1]]]


def test_best_partners_is_the_heaps_rule_for_the_document_that_arrives():
    # What a scan keeps of the pairs sharing passages is what the index keeps adding one by one.
    config = Config(passage_partners=2, passage_floor=0.05, rare_passage=2)
    texts = [_story(seed % 5) + _story(200 + seed, 6) for seed in range(15)]
    rows = np.stack([_row(text, config) for text in texts])
    keys, owners = rows.ravel(), np.repeat(np.arange(len(rows)), rows.shape[1])
    real = keys != 0
    scanned = part_partners(keys[real], owners[real], rows, config, PartnerHeaps(len(rows), 2)).pairs()
    added = []
    for doc in range(len(rows)):
        own = set(rows[doc][rows[doc] != 0].tolist())
        earlier = [k for k in range(doc) if own & set(rows[k].tolist())]
        # a passage is rare when at most two documents up to this one hold it
        holders = {key: sum(key in set(rows[k].tolist()) for k in range(doc + 1)) for key in own}
        shared = [own & set(rows[k].tolist()) for k in earlier]
        rare = np.array([any(holders[key] <= 2 for key in keys) for keys in shared], dtype=bool)
        crowded = np.array([any(holders[key] > 2 for key in keys) for keys in shared], dtype=bool)
        chosen = best_partners(rows[doc], rows[earlier], np.array(earlier, dtype=np.int64), rare, crowded, 2, 0.05)
        added.extend((int(k), doc) for k in chosen)
    assert sorted(added) == [tuple(pair) for pair in scanned.tolist()]
    assert len(added) > 15


def test_passage_rows_refuse_mismatched_pads():
    import pytest

    with pytest.raises(ValueError, match="m pads"):
        passage_rows(np.zeros((2, 4), dtype=np.uint64), np.zeros(3, dtype=np.uint64))
    with pytest.raises(ValueError, match="at least one"):
        PartnerHeaps(3, 0)
