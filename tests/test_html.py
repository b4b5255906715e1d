import pytest

from dedup.io.html import extract_html


def test_main_text_without_navigation_recommendations_and_footer(article):
    html = (
        '<html><head><title>江城补贴_中国证券报</title><meta property="og:site_name" content="中国证券报">'
        '<meta property="article:published_time" content="2024-03-12T09:30:00+08:00"></head><body>'
        '<div class="top-nav"><a href="/">首页</a><a>财经</a></div><h1>江城补贴</h1>'
        '<div class="info"><span>2024-03-12 09:30 来源：中国证券报</span></div>'
        '<div class="article">' + "".join(f"<p>{p}</p>" for p in article) + "</div>"
        '<div class="recommend"><h3>相关新闻</h3><ul><li><a>另一篇完全无关的报道标题</a></li></ul></div>'
        '<div class="footer">Copyright 2024</div><script>var x = "不应出现";</script></body></html>'
    )
    page = extract_html(html)
    assert page.title == "江城补贴"
    assert page.meta["og:site_name"] == "中国证券报"
    text = "\n".join(page.lines)
    for paragraph in article:
        assert paragraph in page.lines
    assert "来源：中国证券报" in text
    assert "另一篇完全无关" not in text and "Copyright" not in text and "不应出现" not in text and "首页" not in text


def test_inline_markup_stays_in_its_sentence():
    page = extract_html("<html><body><div><p>今年将安排<strong>专项资金</strong>2.4亿元。</p><p>第二段文字在这里。</p></div></body></html>")
    assert page.lines == ["今年将安排专项资金2.4亿元。", "第二段文字在这里。"]


def test_title_from_title_tag_drops_site_suffix():
    page = extract_html("<html><head><title>江城推出补贴_新浪财经</title></head><body><p>正文内容。</p></body></html>")
    assert page.title == "江城推出补贴"


# --- real-page layouts, as small pages written here --------------------------------------------

NAV = '<div class="top"><a href="/">首页</a> | <a href="/n">新闻</a> | <a href="/c">财经</a> | <a href="/t">科技</a></div>'
FOOT = '<div class="bottom">关于我们 | 联系方式 | 网站地图 | 京ICP备12345678号</div>'


def _page(body: str, title: str = "江城补贴") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def _has_article(page, article) -> bool:
    text = "\n".join(page.lines)
    return all(paragraph in text for paragraph in article)


def test_a_form_wrapping_the_whole_page_keeps_its_article(article):
    # ASP.NET pages put everything inside one <form>.
    html = _page('<form id="form1" method="post">' + NAV + "<div>" + "".join(f"<p>{p}</p>" for p in article)
                 + "</div>" + FOOT + "</form>")
    assert _has_article(extract_html(html), article)


def test_text_split_by_br_directly_in_a_table_cell_is_found(article):
    html = _page("<table><tr><td class=l>" + "<br>".join(f'<a href="/{k}">栏目{k}</a>' for k in range(8))
                 + "</td><td>" + "<br><br>".join(article) + "</td></tr></table>" + FOOT)
    page = extract_html(html)
    assert _has_article(page, article)
    assert "栏目3" not in "\n".join(page.lines)


def test_text_directly_in_a_div_beats_a_header_of_short_lines(article):
    html = _page("<div>" + "<br>".join(["2024-03-12", "作者：周文", "浏览：1024", "字号：大 中 小"]) + "</div>"
                 + "<div>" + "<br>".join(article) + "</div>")
    assert _has_article(extract_html(html), article)


def test_paragraphs_inside_custom_tags_count(article):
    html = _page(NAV + '<div class="main"><founder-content>' + "".join(f"<p>{p}</p>" for p in article)
                 + "</founder-content></div>" + '<div class="list">' + "".join(f"<p>{p[:12]}</p>" for p in article)
                 + "</div>")
    assert _has_article(extract_html(html), article)


def test_a_hidden_container_never_wins(article, other_article):
    html = _page('<div class="hidden">' + "".join(f"<p>{p}</p>" for p in other_article * 3) + "</div>"
                 + '<div style="display: none">' + "".join(f"<p>{p}</p>" for p in other_article * 3) + "</div>"
                 + "<div>" + "".join(f"<p>{p}</p>" for p in article) + "</div>")
    page = extract_html(html)
    assert _has_article(page, article)
    assert other_article[0] not in "\n".join(page.lines)


def test_an_article_wrapper_named_like_furniture_is_kept(article, other_article):
    # Real sites wrap articles in "Page-ad-margins" and "penci_sidebar"; the recommendations inside stay out.
    html = _page(NAV + '<div class="Page-ad-margins penci_sidebar"><div class="story">'
                 + "".join(f"<p>{p}</p>" for p in article) + '</div><div class="recommend">'
                 + "".join(f'<p><a href="/r">{p}</a></p>' for p in other_article) + "</div></div>")
    page = extract_html(html)
    assert _has_article(page, article)
    assert other_article[0] not in "\n".join(page.lines)


def test_a_recommendation_block_longer_than_the_article_does_not_win(article, other_article):
    teasers = "".join(f'<li><a href="/{k}">{p[:16]}</a><p>{p} ...[详细]</p></li>'
                      for k, p in enumerate(other_article * 3))
    html = _page('<div class="main"><div class="article">' + "".join(f"<p>{p}</p>" for p in article[:2])
                 + f'</div><div class="recommend"><h3>推荐文章</h3><ul>{teasers}</ul></div></div>')
    page = extract_html(html)
    assert _has_article(page, article[:2])
    assert other_article[1] not in "\n".join(page.lines)


def test_an_article_inside_an_anchor_left_open_is_prose(article):
    html = _page(NAV + '<div class="floor"><a name=top1>楼层：第 1 楼</div><div>'
                 + "<br>".join(article) + "</div>")
    assert _has_article(extract_html(html), article)


def test_articles_split_into_chunks_are_joined(article):
    chunks = "".join(f'<div class="StoryBodyCompanionColumn"><div><p>{p}</p></div></div>' for p in article)
    html = _page('<article><section name="articleBody">' + chunks + "</section></article>"
                 + '<div class="more"><p>' + "相关报道：" * 3 + "</p></div>")
    assert _has_article(extract_html(html), article)


def test_hangul_counts_as_text():
    korean = ["서울시는 올해 중소기업의 디지털 전환을 지원하기 위해 24억 원의 예산을 편성했다고 밝혔다.",
              "지원 대상은 설비 연결, 생산 관리 시스템 클라우드 전환, 품질 검사 디지털화 세 가지 분야이다.",
              "시 관계자는 기업들이 전환을 망설이는 이유를 줄이기 위해 무료 진단을 제공할 예정이라고 말했다."]
    html = _page('<div class="menu-list">' + "".join(f'<span><a href="/{k}">Section {k}</a></span>'
                                                     for k in range(12))
                 + '</div><div id="content">' + "".join(f"<p>{p}</p>" for p in korean) + "</div>", title="서울")
    assert _has_article(extract_html(html), korean)


def test_english_article_beats_a_teaser_list():
    story = ["The city council voted on Tuesday to extend the downtown tram line by four miles, ending a decade "
             "of debate over its cost.", "Supporters said the extension would cut commuting times for thousands "
             "of residents on the east side.", "Opponents warned that the budget, already stretched, could not "
             "absorb another overrun like the one on the first line."]
    teasers = "".join(f'<li><a href="/s/{k}">Other headline number {k}</a> A summary sentence about another story '
                      f'that runs on for a while, number {k}.</li>' for k in range(12))
    html = _page(f"<ul>{teasers}</ul>" + '<div class="body">' + "".join(f"<p>{p}</p>" for p in story) + "</div>",
                 title="Tram line")
    page = extract_html(html)
    assert _has_article(page, story)
    assert "Other headline number 3" not in "\n".join(page.lines)


def test_link_lists_inside_the_article_are_left_out_and_listed(article, other_article):
    links = "".join(f'<li><a href="/{k}">{p[:20]}</a></li>' for k, p in enumerate(other_article * 2))
    html = _page("<div>" + "".join(f"<p>{p}</p>" for p in article) + f"<ul>{links}</ul></div>")
    page = extract_html(html)
    assert _has_article(page, article)
    assert other_article[0][:20] not in page.lines
    assert ("link list or furniture", other_article[0][:20]) in page.removed


@pytest.mark.parametrize("head, body, day", [
    ('<meta property="article:published_time" content="2024-03-12T09:30:00+08:00">', "", "2024-03-12"),
    ("", '<script type="application/ld+json">{"datePublished": "2023-05-06T10:00:00Z"}</script>', "2023-05-06"),
    ("", "<script>var publish_time = '2019-09-08 11:42:03';</script>", "2019-09-08"),
    ("", '<span class="date">2020年4月17日</span>', "2020年4月17日"),
    ("", '<div>某某 发表于 2005-9-15 11:46:00</div>', "2005-9-15"),
    ("", "<div>2003-7-24 钱江晚报</div>", "2003-7-24"),
])
def test_publication_time_from_markup_scripts_and_dated_lines(article, head, body, day):
    html = (f"<html><head><title>江城补贴</title>{head}</head><body>{body}<div>"
            + "".join(f"<p>{p}</p>" for p in article) + "</div></body></html>")
    published = extract_html(html).published
    assert published is not None and published.startswith(day)


def test_no_publication_time_is_invented(article):
    html = _page("<div>" + "".join(f"<p>{p}</p>" for p in article) + "</div>")
    assert extract_html(html).published is None


def _portal(title: str, paragraphs: list[str]) -> str:
    """A portal template of our own: header, menu, a sidebar of blurbs, recommendations and a long footer."""
    blurbs = "".join(f"<p>本站精选：第{k}期财经观察栏目持续关注宏观经济走势与产业政策变化，欢迎订阅。</p>" for k in range(4))
    recs = "".join(f'<li><a href="/r/{k}">热门推荐标题第{k}条，点击查看更多精彩内容</a></li>' for k in range(8))
    return (f"<html><head><title>{title}_云帆财经网</title></head><body>" + NAV
            + '<div class="header"><p>云帆财经网 — 专业的财经资讯平台，每日更新宏观、产业与市场报道。</p></div>'
            + f'<div class="wrap"><div class="left"><h1>{title}</h1><div class="content">'
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div></div>"
            + f'<div class="right">{blurbs}</div></div><div class="recommend"><ul>{recs}</ul></div>'
            + '<div class="copyright"><p>云帆财经网版权所有，未经书面授权不得转载、摘编或以其他方式使用本网站内容。</p>'
            + "<p>违法和不良信息举报电话：010-12345678 举报邮箱：jubao@yunfan.example</p></div></body></html>")


def test_two_articles_in_one_template_stay_apart_and_one_article_in_two_templates_matches(article, other_article):
    from dedup import Config, scan
    from dedup.io.readers import read_page

    docs = [read_page(_portal("江城补贴", article[:2]).encode(), "yunfan.example/1.html"),
            read_page(_portal("北湾港", other_article[:2]).encode(), "yunfan.example/2.html"),
            read_page(_page("<div>" + "".join(f"<p>{p}</p>" for p in article[:2]) + "</div>").encode(),
                      "cs.com.cn/a.html")]
    result = scan(docs, Config())
    groups = [sorted(result.docs[m].id for m in c.members) for c in result.clusters]
    assert groups == [["cs.com.cn/a.html", "yunfan.example/1.html"]]


def test_a_page_nested_deeper_than_the_stack_is_still_read(tmp_path, article):
    from dedup import scan_corpus

    deep = ("<html><head><title>江城补贴</title></head><body>" + "<div>" * 5000 + "".join(f"<p>{p}</p>" for p in article)
            + "</div>" * 5000 + "</body></html>")
    page = extract_html(deep)
    assert all(paragraph in page.lines for paragraph in article)
    (tmp_path / "x.com").mkdir()
    (tmp_path / "x.com" / "deep.html").write_text(deep, encoding="utf-8")
    (tmp_path / "x.com" / "b.txt").write_text("标题\n" + "\n".join(article), encoding="utf-8")
    with scan_corpus([tmp_path], workers=1) as outcome:
        assert outcome.documents == 2 and not outcome.rejects
        assert [len(c.members) for c in outcome.result.clusters] == [2]
