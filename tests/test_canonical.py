from dedup.document import Document
from dedup.stages.canonical import Member, choose
from dedup.text.clean import clean
from dedup.text.outlets import OutletTable

TABLE = OutletTable.default()
BODY = "江城市工业和信息化局发布通知，今年将安排专项资金支持中小制造企业开展数字化改造。"


def _doc(doc_id, site, header, meta=None, body=BODY):
    return clean(Document(id=doc_id, site=site, title="江城补贴", text=f"江城补贴\n{header}\n{body}", meta=meta or {}), TABLE)


def test_the_outlets_own_site_wins_over_an_earlier_backdated_spam_copy():
    original = _doc("cs.com.cn/a.html", "cs.com.cn", "2024-03-12 09:30 来源：中国证券报")
    spam = _doc("spam.example/1.txt", "spam.example", "2020-01-01 08:00 来源:云帆网 媒体来源:中国证券报",
                meta={"og:site_name": "云帆网"})
    portal = _doc("finance.sina.com.cn/a.html", "finance.sina.com.cn", "2024-03-12 10:00 来源：中证网")
    choice = choose([Member(spam, 50), Member(portal, 50), Member(original, 50)], TABLE)
    assert choice.canonical == 2
    assert choice.origin == "中国证券报"
    assert any("credit 中国证券报" in e for e in choice.evidence)
    assert choice.roles[2] == "canonical"


def test_self_attributing_spam_does_not_become_the_origin():
    spam_a = _doc("a.example/1.txt", "a.example", "2025-07-06 来源:庚癸之呼网 媒体来源:中国证券报", meta={"og:site_name": "庚癸之呼网"})
    spam_b = _doc("b.example/2.txt", "b.example", "2025-07-07 来源:别的网 文章来源:中证网", meta={"og:site_name": "别的网"})
    choice = choose([Member(spam_a, 50), Member(spam_b, 50)], TABLE)
    assert choice.origin == "中国证券报"


def test_original_absent_prefers_a_faithful_portal_copy_over_spam():
    portal = _doc("money.163.com/a.txt", "money.163.com", "2024-03-12 12:00 来源：中国证券报")
    spun_text = "江城补贴今年将安排专项资金，江城补贴支持中小制造企业，江城补贴开展数字化改造。"
    spam = _doc("spam.example/9.txt", "spam.example", "2024-03-12 10:00 来源:某网 媒体来源:中国证券报", body=spun_text)
    spam.spun = True
    choice = choose([Member(spam, 50), Member(portal, 50)], TABLE)
    assert choice.canonical == 1
    assert choice.origin == "中国证券报"
    assert choice.roles[0] == "spun"


def test_earliest_time_breaks_ties_between_equal_copies_then_completeness():
    early = _doc("x.example/1.txt", "x.example", "2024-03-12 08:00 来源：北湾港务")
    late = _doc("y.example/1.txt", "y.example", "2024-03-13 08:00 来源：北湾港务")
    choice = choose([Member(late, 60), Member(early, 50)], TABLE)
    assert choice.canonical == 1
    assert choice.origin == "北湾港务"  # unknown to the table, but credited by every copy
    assert choice.roles[0] == "copy"


def test_no_credit_and_no_known_site_means_no_origin():
    a = _doc("x.example/1.txt", "x.example", "2024-03-12 08:00")
    b = _doc("y.example/1.txt", "y.example", "2024-03-13 08:00")
    assert choose([Member(a, 50), Member(b, 50)], TABLE).origin is None


def test_outlet_table_aliases_domains_and_extension(tmp_path):
    table = OutletTable.default()
    assert len(table.outlets) >= 80
    assert table.resolve("上证报").name == "上海证券报"
    assert table.resolve("中國證券報").name == "中国证券报"
    assert table.by_site("news.xinhuanet.com").name == "新华社"
    extra = tmp_path / "extra.json"
    extra.write_text('[{"name": "江城日报", "aliases": ["江城网"], "domains": ["jcdaily.example"], "kind": "newspaper"}]',
                     encoding="utf-8")
    table.extend_from_file(extra)
    assert table.resolve("江城网").name == "江城日报"
    assert table.by_site("www.jcdaily.example").name == "江城日报"


def test_a_source_quoted_in_the_story_is_not_the_origin():
    body = "据伊朗媒体报道，当地时间周二油价上涨。" + BODY
    original = _doc("stcn.com/a.html", "stcn.com", "2018-10-02 18:47 来源：证券时报", body=body)
    copies = [_doc(f"p{i}.example/a.txt", f"p{i}.example", "2018-10-02 19:00 来源：证券时报网", body=body) for i in range(3)]
    choice = choose([Member(original, 50)] + [Member(c, 50) for c in copies], TABLE)
    assert choice.origin == "证券时报" and choice.canonical == 0


def test_a_feed_that_names_the_outlet_as_its_site_is_the_outlets_own_site():
    # JSON Lines feeds often give the outlet's name as `site`: that page is on the outlet's own site.
    original = _doc("bjnews-feed/1", "新京报", "2024-03-12 09:30")
    portal = _doc("money.163.com/a.html", "money.163.com", "2024-03-12 10:00")
    choice = choose([Member(portal, 50), Member(original, 50)], TABLE)
    assert choice.canonical == 1
    assert choice.origin == "新京报"


def test_credits_of_a_picture_or_of_data_are_not_the_story_source():
    doc = _doc("a.cn/1.html", "a.cn", "2024-03-12 09:30", body=BODY + "\n（图片来源：达志影像）\n数据来源：东方财富Choice")
    assert doc.attributions == [] and doc.attributed_source is None
