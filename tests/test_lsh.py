"""Keys that propose candidate pairs: a text inside another shares a passage key with it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import Config
from dedup.stages.candidates import keys_of, passage_keys, sketch_document
from dedup.stages.sketch import sketch, sketch_with_figures
from dedup.text.normalize import compact

STORY = compact(
    "江城市政府今天发布消息，今年将安排专项资金二十四亿元，支持中小企业开展数字化改造，单个项目最高补贴三百万元。"
    "市工信局负责人介绍，补贴将优先投向智能制造、工业互联网和绿色低碳等方向，申报工作将于下月启动。"
    "据统计，去年全市共有一千二百家企业完成数字化改造，平均生产效率提高百分之十八，运营成本下降百分之十一。"
    "业内人士认为，持续的财政支持将帮助中小企业跨过转型门槛，带动上下游产业链协同升级。"
    "市财政局表示，资金将分三批下达，首批八亿元已经到位，相关企业可通过政务服务网在线申报。"
) * 2


def test_a_stub_and_an_excerpt_share_passage_keys_with_the_whole_story():
    whole = set(passage_keys(STORY, 5, 32, 16, 1).tolist())
    stub = passage_keys(STORY[:90], 5, 32, 16, 2)  # the story's start, cut short
    excerpt = passage_keys(STORY[120:260], 5, 32, 16, 3)  # a passage from its middle
    assert set(stub.tolist()) & whole
    assert set(excerpt.tolist()) & whole
    other = passage_keys(compact("南岭县第一季度新增就业岗位三千个，县政府表示将继续加大招商引资力度，吸引更多企业落户。") * 3,
                         5, 32, 16, 4)
    assert not set(other.tolist()) & whole


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动", max_size=400),
       st.integers(min_value=0, max_value=2**63))
def test_passage_keys_are_distinct_and_as_many_as_asked(text, pad):
    keys = passage_keys(text, 5, 16, 12, pad)
    assert keys.shape == (12,) and keys.dtype == np.uint64
    assert len(set(keys.tolist())) == 12  # no key twice: a document never pairs with itself


def test_passage_span_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        passage_keys(STORY, 5, 24, 16)


def test_keys_of_appends_the_passage_keys_after_the_bands():
    config = Config()
    _, signature = sketch(STORY, config.shingle_size, config.num_perm, config.seed)
    keys = keys_of(STORY, signature, config)
    assert keys.shape == (config.total_keys,)
    assert keys_of(STORY, signature, config.replace(passage_keys=0)).tolist() == keys[: config.total_bands].tolist()


@settings(deadline=None)  # the first example may load compiled kernels
@given(st.text(alphabet=st.sampled_from(list("工信部表示将加快培育一批有国际竞争力的先进制造业集群,。12ab")), max_size=400),
       st.sampled_from([0, 3, 5, 50, 200]), st.sampled_from([3, 5]), st.sampled_from([0, 6]))
def test_sketching_a_document_once_gives_what_sketching_each_part_gives(text, lead_chars, k, passages):
    config = Config(lead_chars=lead_chars, shingle_size=k, passage_keys=passages)
    sketched = sketch_document(text, config)
    shingles, signature, figures = sketch_with_figures(text, k, config.num_perm, config.seed)
    assert sketched.shingles.tolist() == shingles.tolist() and sketched.signature.tolist() == signature.tolist()
    assert sketched.figures.tolist() == figures.tolist()
    assert sketched.keys.tolist() == keys_of(text, signature, config).tolist()
