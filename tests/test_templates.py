from dedup.clean import clean
from dedup.document import Document
from dedup.pipeline import learn_profiles

FOOTER = "汇讯网提醒您：理性看待市场，欢迎留言交流。"
HEADER = "汇讯网 每日资讯精选"


def _page(number: int, body: list[str], tail: list[str]) -> Document:
    return Document(id=f"hub.net#{number}", text="\n".join([HEADER, *body, *tail, FOOTER]), site="hub.net")


def test_site_template_lines_are_learned_and_dropped_with_the_headline_list_they_hid(article, other_article):
    bodies = [[f"第{k}条消息的正文写到这里，内容各不相同，编号{k * 37}。", f"这是第{k}篇稿件的第二段，讲了另一件事情。"]
              for k in range(8)]
    headlines = ["北湾港集装箱吞吐量首季增长一成", "东岭新能源汽车产业园二期开工", "南江试点跨区域通办社保业务"]
    pages = [_page(k, body, []) for k, body in enumerate(bodies)]
    pages.append(_page(99, article, headlines))
    cleaned = [clean(page) for page in pages]
    # Before the footer is known as the site's, it keeps the headlines from ending the page.
    assert "北湾港" in cleaned[-1].compared
    learn_profiles(cleaned)
    last = cleaned[-1]
    reasons = [(reason, line) for reason, line in last.removed if reason in ("site template", "headline list")]
    assert [reason for reason, _ in reasons] == ["site template"] * 2 + ["headline list"] * 3
    assert "理性看待市场" in reasons[1][1] and reasons[0][1] == HEADER
    assert [line for reason, line in reasons if reason == "headline list"] == headlines
    assert "北湾港" not in last.compared and "专项资金24亿元" in last.compared
    # Pages of other sites are not touched by this site's template.
    elsewhere = clean(Document(id="b.txt", text="\n".join([*other_article, FOOTER]), site="b.cn"))
    learn_profiles([elsewhere])
    assert "理性看待市场" in elsewhere.body
