"""Credit kinds of copies against their story's origin (dedup.stages.credit)."""

from hypothesis import given
from hypothesis import strategies as st

from dedup.document import Document
from dedup.stages.credit import KINDS, CreditLine, copy_flags, credit_kind, credit_of, own_names_of
from dedup.text.clean import clean
from dedup.text.outlets import OutletTable

OUTLETS = OutletTable.default()


def _page(text: str, site: str = "spam.example") -> object:
    return clean(Document(id=f"{site}/1", site=site, title="T", text=f"T\n{text}"))


def test_the_seed_names_itself_first_and_the_outlet_further_down():
    page = _page("2025-07-06 [知识] 来源:庚癸之呼网\n正文第一段。\n媒体来源:中国证券报")
    credit = credit_of(page, "中国证券报", OUTLETS)
    assert credit.kind == "self_then_outlet"
    assert [(line.names, line.outlet) for line in credit.lines] == [("self", "庚癸之呼网"), ("outlet", "中国证券报")]


def test_each_kind_on_a_page_written_for_it():
    cases = {
        "outlet": ("2024-03-12 来源:中证网\n正文。", "finance.sina.com.cn"),
        "other": ("2024-03-12 来源:新浪财经\n正文。", "money.163.com"),
        "none": ("2024-03-12\n正文。", "money.163.com"),
        "self": ("2024-03-12 来源:新浪财经\n正文。", "finance.sina.com.cn"),
    }
    for kind, (text, site) in cases.items():
        assert credit_of(_page(text, site), "中国证券报", OUTLETS).kind == kind, kind


def test_a_dateline_kept_from_the_story_is_evidence_not_a_credit():
    page = _page("新华社北京3月5日电 正文第一段写在这里。\n第二段。", "money.163.com")
    credit = credit_of(page, "新华社", OUTLETS)
    assert credit.kind == "none" and [line.names for line in credit.lines] == ["quote"]


def test_a_name_a_sites_other_page_shows_as_its_own_is_a_self_credit():
    pages = [_page("来源:云帆资讯网 媒体来源:中国证券报\n正文。", "yf.example"), _page("来源:云帆资讯网\n正文。", "yf.example")]
    assert credit_of(pages[1], "中国证券报", OUTLETS).kind == "other"  # alone, an unknown name is another outlet
    own = own_names_of(pages, OUTLETS)
    assert credit_of(pages[1], "中国证券报", OUTLETS, own["yf.example"]).kind == "self"


def test_flags_say_what_a_rights_desk_looks_for():
    assert copy_flags("none", 3600, False, 0.9) == ["no credit"]
    assert copy_flags("other", None, True, 0.3) == ["credits another outlet", "spun", "padded"]
    assert copy_flags("outlet", -1, False, None) == ["backdated"]


_LINES = st.lists(st.builds(CreditLine, st.sampled_from(["outlet", "self", "other", "quote"]), st.just("x"),
                            st.just("来源"), st.just("")), max_size=6)


@given(_LINES)
def test_a_kind_rests_on_lines_that_say_it(lines):
    kind = credit_kind(tuple(lines))
    names = [line.names for line in lines if line.names != "quote"]
    assert kind in KINDS
    assert (kind in ("outlet", "self_then_outlet")) == ("outlet" in names)
    assert (kind == "none") == (not names)
    if kind == "self_then_outlet":
        assert names.index("self") < names.index("outlet")
