import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.document import Document
from dedup.text.attribution import find_attributions, parse_time
from dedup.text.clean import clean
from dedup.text.normalize import compact, normalize
from dedup.text.outlets import OutletTable
from dedup.text.spin import clause_openings, title_openings

TITLE = "江城推出中小企业数字化改造补贴"


def test_furniture_lines_are_removed_with_reasons(article):
    text = "\n".join([
        f"当前位置:首页 > 财经 > {TITLE}", TITLE, "2024-03-12 09:30 来源:中国证券报", *article,
        "责任编辑：王芳", "免责声明：本文仅代表作者个人观点，与本站无关。", "分享到：微信 微博", "（完）",
        "推荐文章", "北湾港集装箱吞吐量首季增长一成", "北湾港务集团4月2日披露，一季度港口完成集装箱吞吐量 ...[详细]",
    ])
    doc = clean(Document(id="x.txt", text=text, title=f"当前位置:首页 > 财经 > {TITLE}", site="x.com"))
    reasons = {reason for reason, _ in doc.removed}
    assert {"breadcrumb", "title", "header", "staff credit", "legal notice", "share prompt", "end mark",
            "recommendations"} <= reasons
    assert doc.title == TITLE
    assert doc.published_at == "2024-03-12T09:30:00+08:00"
    assert "北湾港" not in doc.body and "王芳" not in doc.body
    assert "专项资金24亿元" in doc.compared


@pytest.mark.parametrize("line,form,outlet", [
    ("来源：中国证券报", "来源", "中国证券报"),
    ("媒体来源:中证网", "媒体来源", "中证网"),
    ("文章来源：第一财经", "文章来源", "第一财经"),
    ("稿件来源：新华社", "稿件来源", "新华社"),
    ("本文来源于澎湃新闻", "本文来源于", "澎湃新闻"),
    ("转载自上海证券报", "转载自", "上海证券报"),
    ("据新京报报道，某地出台新规。", "据报道", "新京报"),
])
def test_attribution_forms(line, form, outlet):
    from dedup.text.normalize import normalize

    found = find_attributions(normalize(line))
    assert [(a.form, a.outlet) for a in found] == [(form, outlet)]


@pytest.mark.parametrize("first,outlet", [
    ("中证网讯（记者 周文）江城市工业和信息化局发布通知", "中证网"),
    ("新华社北京9月23日电 工信部规划司司长表示", "新华社"),
    ("每经记者 熊帆 每经编辑 唐成明 市场关注焦点", "每经"),
])
def test_datelines_in_the_first_paragraph(first, outlet):
    from dedup.text.normalize import normalize

    found = find_attributions(normalize(first), first_paragraph=True)
    assert ("dateline", outlet) in [(a.form, a.outlet) for a in found]


def test_network_is_not_an_outlet():
    from dedup.text.normalize import normalize

    assert find_attributions(normalize("本文来源于网络，如有侵权请联系删除")) == []


def test_self_attribution_via_site_name_and_outlet_resolution(article):
    text = "\n".join([TITLE, "2025-01-06 15:54:29 [财经] 来源:云帆资讯网 媒体来源:中证网", *article])
    doc = clean(Document(id="s.txt", text=text, title=TITLE, site="yunfan.example", meta={"og:site_name": "云帆资讯网"}))
    assert doc.self_attributed
    assert doc.attributed_source == "中国证券报"


def test_spun_title_fragments_are_removed(article):
    pieces = [TITLE[i:i + 3] for i in range(0, len(TITLE), 3)]
    spun, turn = [], 0
    for paragraph in article[:3]:
        out = []
        for ch in paragraph:
            out.append(ch)
            if ch in "，。":
                out.append(pieces[turn % len(pieces)])
                turn += 1
        spun.append("".join(out))
    doc = clean(Document(id="s.txt", text="\n".join([TITLE, *spun, article[3]]), title=TITLE, site="s.example"))
    plain = clean(Document(id="o.txt", text="\n".join([TITLE, *article]), title=TITLE, site="o.example"))
    assert doc.spun and not plain.spun
    assert doc.compared == plain.compared


def test_unspun_page_is_left_alone(article):
    doc = clean(Document(id="o.txt", text="\n".join(article), title="江城市工业和信息化局发布通知", site="o.example"))
    assert not doc.spun
    assert not any(reason.startswith("spun") for reason, _ in doc.removed)


def test_parse_time_forms():
    assert parse_time("2018年12月11日 20:02") == "2018-12-11T20:02:00+08:00"
    assert parse_time("2018/1/5") == "2018-01-05T00:00:00+08:00"
    assert parse_time("2024-03-12T01:00:00Z") == "2024-03-12T01:00:00+00:00"
    assert parse_time("没有日期") is None
    assert parse_time("2018-13-45") is None


def test_market_item_with_decimal_figures_is_not_taken_for_a_header():
    text = "中国新闻网讯 8月16日，A股三大指数窄幅震荡。截至收盘，沪指跌1.51%，报3420.70点；深成指涨1.61%，报11497.46点。"
    doc = clean(Document(id="m", text=text, title="8月16日A股收评", site="chinanews.com.cn"))
    assert "3420" in doc.compared


def test_dateline_with_place_and_date_names_the_outlet():
    from dedup.text.normalize import normalize

    found = find_attributions(normalize("中国经济网杭州11月27日讯（记者 王强）浙江省发布新规"), first_paragraph=True)
    assert ("dateline", "中国经济网") in [(a.form, a.outlet) for a in found]


def test_english_wire_bylines_and_latin_outlet_names():
    from dedup.text.normalize import normalize
    from dedup.text.outlets import OutletTable

    found = find_attributions(normalize("BEIJING (Reuters) - China's factory activity grew in March."))
    assert [(a.form, OutletTable.default().canonical_name(a.outlet)) for a in found] == [("wire", "路透社")]
    found = find_attributions(normalize("来源：The Paper"))
    assert OutletTable.default().canonical_name(found[0].outlet) == "澎湃新闻"


def test_compound_outlet_names_resolve():
    from dedup.text.outlets import OutletTable

    table = OutletTable.default()
    assert table.resolve("第一财经·一财网").name == "第一财经"
    assert table.resolve("中国证券报·中证网").name == "中国证券报"


def test_meta_source_tag_is_a_credit_and_relative_times_use_the_fetch_time(article):
    doc = clean(Document(id="p.html", site="portal.example", title="T", text="3小时前\n" + "\n".join(article),
                         published_at=None, meta={"source": "中证网", "fetched_at": "2024-03-12T12:00:00+08:00",
                                                  "article:author": "周文"}))
    assert ("meta source", "中国证券报") in [(a.form, a.outlet) for a in doc.attributions]
    assert doc.published_at == "2024-03-12T09:00:00+08:00"
    assert all(a.outlet != "周文" for a in doc.attributions)


def test_spinning_is_found_even_when_a_title_word_opens_many_genuine_clauses(article):
    # The article itself opens clauses with 江城 (part of its title); the spinner's pieces
    # (进中小, 业数字, 化改造 ...) sit together in the advert line and the first paragraph.
    title = "江城加快推进中小企业数字化改造"
    advert = "看资讯就来,进中小权威,业数字专业,化改造及时,快推全面,助您挖掘机会!"
    first = ("3月12日,进中小江城市工业和信息化局发布通知,业数字今年将安排专项资金2.4亿元,化改造支持全市中小制造企业"
             "开展数字化改造,快推单个企业最高可获得300万元补贴。")
    genuine = ["江城市工业和信息化局相关负责人介绍,江城将遴选20家服务商,江城还将建成5个平台。", *article[1:]]
    doc = clean(Document(id="s", title=title, text="\n".join([title, advert, first, *genuine])))
    assert doc.spun
    assert "化改造" not in doc.body.split("\n")[0][:20]
    assert all(line in doc.body for line in genuine[:1])
    plain = clean(Document(id="p", title=title, text="\n".join([title, *genuine])))
    assert not plain.spun


HEADLINES = ["北湾港集装箱吞吐量首季增长一成", "东岭新能源汽车产业园二期开工 2024-03-11",
             "·南江试点跨区域通办社保业务", "西川发布首批智慧农业示范基地名单"]


def test_a_bare_headline_list_at_the_end_is_removed(article):
    doc = clean(Document(id="x.txt", text="\n".join([*article, *HEADLINES]), site="x.com"))
    assert [line for reason, line in doc.removed if reason == "headline list"] == HEADLINES
    assert "北湾港" not in doc.compared and doc.compared.endswith(clean(
        Document(id="y.txt", text="\n".join(article), site="y.com")).compared[-20:])


@pytest.mark.parametrize("tail", [
    # numbered points, a data table and prose lines are the article's, not a list of links
    ["一、加快设备联网改造", "二、推动生产管理系统上云", "三、完善质量检测体系"],
    ["上证指数 3068.46 0.81%", "深证成指 9520.38 1.27%", "创业板指 1630.12 1.95%"],
    ["企业完成改造后可申请补贴。", "补贴按投资额的三成计算。", "服务联盟年内组建完成。"],
    HEADLINES[:2],
])
def test_lines_that_are_not_a_headline_list_stay(article, tail):
    doc = clean(Document(id="x.txt", text="\n".join([*article, *tail]), site="x.com"))
    assert not any(reason == "headline list" for reason, _ in doc.removed)


def test_a_page_of_headlines_only_is_not_emptied():
    doc = clean(Document(id="x.txt", text="\n".join(HEADLINES), site="x.com"))
    assert not any(reason == "headline list" for reason, _ in doc.removed)


def test_an_unlabelled_link_list_in_an_html_article_is_removed(article):
    from dedup.io.readers import read_page

    links = "".join(f'<li><a href="/n/{k}.html">{t}</a></li>' for k, t in enumerate(HEADLINES))
    html = ("<html><head><title>" + TITLE + "</title></head><body><div><h1>" + TITLE + "</h1>"
            + "".join(f"<p>{p}</p>" for p in article) + f"<ul>{links}</ul><p>（责任编辑：王芳）</p></div></body></html>")
    doc = clean(read_page(html.encode(), "x.com/1.html"))
    assert "南江" not in doc.compared and "专项资金24亿元" in doc.compared
    assert sum(reason in ("headline list", "link list or furniture") for reason, _ in doc.removed) == len(HEADLINES)


def test_menu_bars_and_byline_rows_are_removed_by_shape(article):
    text = "\n".join(["首页 | 新闻 | 财经 | 科技 | 图片", *article, "本报记者 周文 江城报道", "light of my life and fire"])
    doc = clean(Document(id="x.txt", text=text, site="x.com"))
    assert ("navigation", "首页 | 新闻 | 财经 | 科技 | 图片") in doc.removed
    assert any(reason == "staff credit" and "周文" in line for reason, line in doc.removed)
    assert "lightofmylifeandfire" in doc.compared


def test_a_bracketed_recommendation_block_above_the_story_ends_where_the_story_starts(article):
    text = "\n".join(["【推荐阅读】", "专题：", *HEADLINES[:2], "多方评论：", HEADLINES[2], *article])
    doc = clean(Document(id="x.txt", text=text, site="x.com"))
    recs = [line for reason, line in doc.removed if reason == "recommendations"]
    assert recs[0] == "【推荐阅读】" and len(recs) == 6
    assert "北湾港" not in doc.compared and "专项资金24亿元" in doc.compared and "带动1000家" in doc.compared
    # Below the story, the block still runs to the end of the page.
    doc = clean(Document(id="y.txt", text="\n".join([*article, "[相关阅读]", *article[:1]]), site="x.com"))
    assert doc.compared.count("专项资金24亿元") == 1


def test_a_recommendation_block_under_an_untitled_pages_first_line_is_still_on_top(article):
    # JSON records often carry no title field: the page's first line is its title, not its story.
    text = "\n".join([TITLE, "【推荐阅读】", *HEADLINES[:3], *article])
    doc = clean(Document(id="r1", text=text, site="x.com"))
    assert "专项资金24亿元" in doc.compared and "北湾港" not in doc.compared


# --- rules that know their language, and article text they must leave alone -------------------

ENGLISH = [
    "The city council voted on Tuesday to extend the tram line by four miles, ending years of debate.",
    "The council said the line would open in 2027, and the council expects 20,000 riders a day on it.",
    "The line, the council said, would run along the river. The tram would stop at six new stations.",
    "The council will meet again in June to set fares, the line's operator and the council agreed.",
]


def test_spinning_is_not_looked_for_in_english_text():
    doc = clean(Document(id="e.html", title="The council extends the tram line", site="x.com",
                         text="\n".join(ENGLISH)))
    assert not doc.spun and not any(reason.startswith("spun") for reason, _ in doc.removed)
    assert doc.compared == "".join(compact(normalize(line)) for line in ENGLISH)


def test_english_bylines_and_wire_credits_are_attributions():
    text = "\n".join(["By Jane Doe and John Roe, Associated Press", *ENGLISH, "Reuters",
                      "Reporting by Ann Lee; Editing by Tom Hall"])
    doc = clean(Document(id="e.html", title="Tram", site="x.com", text=text))
    table = OutletTable.default()
    wires = {table.resolve(name).name for name in ("Associated Press", "Reuters")}  # type: ignore[union-attr]
    assert {a.outlet for a in doc.attributions} >= wires
    assert [reason for reason, _ in doc.removed] == ["byline", "attribution", "attribution"]
    prose = clean(Document(id="f.html", title="Tram", site="x.com",
                           text="By the end of the year, prices had doubled in the city.\n" + "\n".join(ENGLISH)))
    assert "by the end of the year" in prose.body


def test_interview_questions_are_not_staff_credits(article):
    question = "记者：你通过什么渠道最快地获取这些信息？"
    doc = clean(Document(id="a.txt", text="\n".join([article[0], question, article[1], "记者：周文 张三"]), site="x.com"))
    assert "你通过什么渠道" in doc.body
    assert ("staff credit", "记者:周文 张三") in doc.removed


def test_a_paragraph_that_mentions_copyright_is_prose(article):
    paragraph = ("其次，播客使本来已经很麻烦的互联网版权问题更加复杂，有些歌曲可能出现数千个版本。"
                 "唱片工会表示：“播客在使用其它音乐时，一定要获得版权所有者或制作人的许可。”")
    doc = clean(Document(id="a.txt", text="\n".join([article[0], paragraph, "版权所有 © 2005 某某网"]), site="x.com"))
    assert "版权所有者或制作人" in doc.body
    assert ("legal notice", "版权所有 © 2005 某某网") in doc.removed


def test_commentator_lines_and_pagers(article):
    text = "\n".join([article[0], "评论人：李明，江城大学经济学院教授", article[1], "第1页/共1页", "上一页 | 下一页"])
    doc = clean(Document(id="a.txt", text=text, site="x.com"))
    assert "评论人:李明" in doc.body
    assert [text for reason, text in doc.removed if reason != "dateline"] == ["第1页/共1页", "上一页 | 下一页"]
    assert all(reason == "pager" for reason, _ in doc.removed if reason != "dateline")


def test_an_article_quoting_its_headline_is_not_spun():
    title = "17种产品、1个园区入选国家绿色制造名单"
    lines = [f"近日，工信部公布名单，{title}。", "其中，17种产品来自本省企业，1个园区入选国家级绿色园区名单。",
             "17种产品、1个园区入选国家绿色制造名单，标志着本省绿色制造体系建设取得新进展。",
             "据介绍，1个园区入选国家绿色园区，17种产品入选绿色设计产品名单，数量居西部前列。"]
    doc = clean(Document(id="a.txt", title=title, text="\n".join(lines), site="x.com"))
    assert not doc.spun


def test_text_keeps_the_pages_own_characters():
    doc = clean(Document(id="a.txt", title="標題", site="x.com",
                         text="標題\n2022-09-23 來源：中國證券報\n　　兩岸關係，ＡＢＣ產業鏈供應鏈穩定。\n責任編輯：張三"))
    assert doc.text == "兩岸關係，ＡＢＣ產業鏈供應鏈穩定。"
    assert doc.body == "两岸关系,abc产业链供应链稳定。"


def test_rejects_name_the_stage_and_what_it_removed():
    from dedup.stages.prepare import rejected_after_cleaning

    doc = clean(Document(id="a.txt", text="推荐阅读\n某某新闻标题一\n某某新闻标题二", site="x.com"))
    error = rejected_after_cleaning(doc, 0, 8)
    assert error is not None and error.doc_id == "a.txt" and error.cleaned is doc
    assert "after cleaning" in error.reason and "recommendations 3" in error.reason


def test_a_truncated_copy_keeps_its_own_cut_off_paragraph_but_teasers_go():
    story = ("北湾港务集团4月2日披露，一季度港口完成集装箱吞吐量一百二十万标准箱，同比增长一成，"
             "其中外贸航线增长较快，集团表示将继续扩大堆场并开通两条新航线 ...[详细]")
    # The page's only prose is the story, cut short with a "read more" link: it stays.
    alone = clean(Document(id="a.html", text="\n".join([TITLE, "来源：中国证券报", story, "责任编辑：王芳"]), site="a.com"))
    assert "一季度港口完成集装箱吞吐量" in alone.compared
    # After a story's own prose, the first such paragraph is the story's cut-off end too...
    first = "江城今年安排专项资金二十四亿元，支持中小企业数字化改造，单个项目最高补贴三百万元。"
    teaser = "南岭县第一季度新增就业岗位三千个，县政府表示将继续加大招商引资力度，吸引更多企业落户 ...[详细]"
    page = clean(Document(id="b.html", text="\n".join([TITLE, first, story, teaser]), site="b.com"))
    assert "一季度港口完成集装箱吞吐量" in page.compared
    # ...but the next one is a teaser for another story.
    assert "南岭县" not in page.compared
    assert ("recommendations", teaser) in page.removed or any("南岭县" in text for _, text in page.removed)


_CLAUSE_TEXT = st.lists(st.sampled_from(list("新规出台落地后市场,.。、“” \t()ab_1") + ["𠀀", "é"]), max_size=40).map("".join)


@settings(deadline=None)  # the first example loads compiled kernels and tables
@given(st.lists(_CLAUSE_TEXT, min_size=1, max_size=5), st.sets(st.sampled_from(list("新规出台落地ab1_𠀀")), min_size=1))
def test_title_openings_are_the_clause_openings_that_start_with_two_title_characters(lines, title_chars):
    lines = [line.strip() for line in lines]
    expected = [(index, ordinal, opening) for index, line in enumerate(lines)
                for ordinal, opening in enumerate(clause_openings(line))
                if opening[0] in title_chars and opening[1] in title_chars]
    assert title_openings(lines, title_chars) == expected
