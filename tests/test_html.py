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
