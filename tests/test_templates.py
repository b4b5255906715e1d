
from dedup.document import Document
from dedup.stages.templates import SiteProfiles
from dedup.text.clean import clean


def learn_profiles(cleaned):
    profiles = SiteProfiles.of(cleaned)
    for doc in cleaned:
        profiles.apply(doc)


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


def _small_site(root, article, other_article):
    from conftest import write

    for k in range(6):  # six different stories in one template
        body = [f"第{k}条消息的正文写到这里，内容各不相同，编号{k * 37}，记者从有关部门获悉详细情况。",
                f"这是第{k}篇稿件的第二段，讲了另一件事情，涉及多个部门和{k + 3}个项目。"]
        write(root, f"hub.net/{k}.txt", "\n".join([f"标题{k}", HEADER, *body, FOOTER]))
    # A page that is the template and one short line: the template stage leaves it too short.
    write(root, "hub.net/stub.txt", "\n".join(["短讯", HEADER, "详见附件。", FOOTER]))
    # The same story four times on a mirror of five pages: every line of those pages is "template".
    for k in range(4):
        write(root, f"mirror.net/{k}.txt", "\n".join(["江城补贴", *article]))
    write(root, "mirror.net/9.txt", "\n".join(["北湾港", *other_article]))
    write(root, "cs.com.cn/a.txt", "\n".join(["江城补贴", *article]))


def test_a_page_emptied_by_site_templates_is_a_reject_naming_the_stage(tmp_path, article, other_article):
    from dedup import Config, scan_corpus

    _small_site(tmp_path / "c", article, other_article)
    with scan_corpus([str(tmp_path / "c")], Config(), workers=1) as outcome:
        emptied = [e for e in outcome.rejects if e.doc_id == "hub.net/stub.txt"]
        assert len(emptied) == 1 and "site templates" in emptied[0].reason and emptied[0].kind == "empty"
        # A reject is not written as a cluster of one either.
        written = [outcome.result.docs[c.members[0]].id for c in outcome.result.every_cluster()]
        assert "hub.net/stub.txt" not in written and "hub.net/0.txt" in written
        # A site carrying one story several times keeps it: all four copies join the original.
        result = outcome.result
        groups = [sorted(result.docs[m].id for m in c.members) for c in result.clusters]
        assert ["cs.com.cn/a.txt", *[f"mirror.net/{k}.txt" for k in range(4)]] in groups


def test_explain_says_why_a_document_was_rejected(tmp_path, article, other_article):
    from click.testing import CliRunner

    from dedup.cli import cli

    _small_site(tmp_path / "c", article, other_article)
    (tmp_path / "c" / "x.net").mkdir()
    (tmp_path / "c" / "x.net" / "ad.txt").write_text("广告\n推荐阅读\n某某新闻标题一\n某某新闻标题二", encoding="utf-8")
    result = CliRunner().invoke(cli, ["explain", str(tmp_path / "c"), "--id", "x.net/ad.txt", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "rejected: empty after cleaning (no article text; removed: recommendations 3, title 1)" in result.output
    assert "[recommendations] 某某新闻标题一" in result.output


def test_keeps_whole_page_only_when_every_line_is_template():
    from dedup.stages.templates import keeps_whole_page

    assert keeps_whole_page(3, 3) and not keeps_whole_page(2, 3) and not keeps_whole_page(0, 3)
