"""Writes examples/corpus: a small corpus of our own Chinese articles and their reposts.

Run from the repository root: python examples/make_examples.py. The files are committed; this
script documents how they were made (encodings included) and rebuilds them.
"""

from __future__ import annotations

import json
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent / "corpus"

TITLE_A = "江城推出中小企业数字化改造补贴"
PARAS_A = [
    "中证网讯（记者 周文）江城市工业和信息化局3月12日发布通知，今年将安排专项资金2.4亿元，支持全市中小制造企业开展数字化改造，单个企业最高可获得300万元补贴。",
    "通知明确，补贴重点投向设备联网、生产管理系统上云和质量检测数字化三个方向。企业完成改造并通过第三方验收后，可按项目实际投资额的30%申请资金支持。",
    "江城市工业和信息化局相关负责人介绍，截至去年底，全市规模以上工业企业关键工序数控化率为58.6%，较全国平均水平仍有差距，不少中小企业存在“不敢转、不会转”的顾虑。",
    "为此，江城将遴选20家服务商组成数字化改造服务联盟，为企业免费提供诊断评估，并在年内建成5个行业级工业互联网平台，带动1000家以上企业上平台用平台。",
    "业内人士认为，以财政资金撬动企业投入，有助于降低改造门槛。预计全年将带动社会投资超过15亿元，推动全市制造业劳动生产率提高8%左右。",
]

TITLE_B = "北湾港集装箱吞吐量首季增长一成"
PARAS_B = [
    "北湾港务集团4月2日披露，一季度港口完成集装箱吞吐量186万标准箱，同比增长10.4%，其中外贸航线增长13.1%，增速为近三年同期最高。",
    "集团负责人表示，新开通的两条东南亚航线和海铁联运班列是增长的主要来源。一季度海铁联运箱量达到21万标准箱，同比增长近四成。",
    "港口还在推进自动化码头二期工程，建成后年通过能力将增加300万标准箱。集团预计全年吞吐量有望突破800万标准箱。",
]


def market_wrap(day: str, sh: str, sz: str, turnover: str, north: str, up: str, down: str) -> str:
    return (
        f"新华财经讯 {day}，A股三大指数走势分化。截至收盘，沪指{sh}，深成指{sz}。两市成交额{turnover}亿元，"
        f"北向资金净买入{north}亿元。{up}板块涨幅居前，{down}板块跌幅居前。"
    )


def page(site_name: str, title: str, info: str, paragraphs: list[str], charset: str = "utf-8",
         recommend: list[str] | None = None, url: str | None = None) -> str:
    head = [f'<meta charset="{charset}">', f"<title>{title}_{site_name}</title>",
            f'<meta property="og:site_name" content="{site_name}">', f'<meta property="og:title" content="{title}">']
    if url:
        head.append(f'<link rel="canonical" href="{url}">')
    recs = ""
    if recommend:
        items = "".join(f'<li><a href="/r/{i}.html">{t}</a></li>' for i, t in enumerate(recommend))
        recs = f'<div class="recommend"><h3>相关新闻</h3><ul>{items}</ul></div>'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n" + "\n".join(head) + "\n</head>\n<body>\n"
        '<div class="top-nav"><a href="/">首页</a><a href="/finance/">财经</a></div>\n'
        f'<div class="main"><h1>{title}</h1>\n<div class="info"><span>{info}</span></div>\n'
        f'<div class="article">{body}<p class="editor">责任编辑：王芳</p></div>\n{recs}</div>\n'
        f'<div class="footer"><p>Copyright © 2024 {site_name} All Rights Reserved</p></div>\n</body>\n</html>\n'
    )


def spin(paragraphs: list[str], title: str) -> list[str]:
    """Imitate a spinner: title pieces after clause punctuation, commas turned half-width."""
    pieces = [title[i : i + 3] for i in range(0, len(title), 3)]
    out, turn = [], 0
    for para in paragraphs[:3]:
        chars = []
        for ch in para:
            chars.append(ch)
            if ch in "，。":
                chars.append(pieces[turn % len(pieces)])
                turn += 1
        out.append("".join(chars).replace("，", ",").replace("：", ":"))
    return out + [p.replace("，", ",") for p in paragraphs[3:]]


def write(path: str, text: str, encoding: str = "utf-8") -> None:
    target = ROOT / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode(encoding))


def main() -> None:
    t2t = opencc.OpenCC("s2tw")
    # The original, on the outlet's own site.
    write("cs.com.cn/2024/0312/a1.html", page("中国证券报", TITLE_A, "2024-03-12 09:30　来源：中国证券报·中证网", PARAS_A,
                                              url="https://www.cs.com.cn/2024/0312/a1.html"))
    # A portal copy that credits the original, in GBK.
    portal = page("新浪财经", TITLE_A, "2024年03月12日 10:05　来源：中国证券报", PARAS_A[1:], charset="gbk",
                  recommend=["北湾港集装箱吞吐量首季增长一成", "多地出台稳外贸新举措"])
    write("finance.sina.com.cn/2024-03-12/doc-a1.html", portal, "gb18030")
    # A partial copy: the first two paragraphs only.
    write("money.163.com/24/0312/a1.txt",
          f"{TITLE_A}\n\n2024-03-12 11:20:00　来源：中证网\n\n" + "\n\n".join(PARAS_A[:3]) + "\n\n（未完）\n")
    # A Traditional-character mirror in Big5.
    mirror = f"{t2t.convert(TITLE_A)}\n\n2024-03-13 08:00　來源：中國證券報\n\n" + "\n\n".join(t2t.convert(p) for p in PARAS_A)
    write("hk-mirror.example/news/a1.txt", mirror, "big5hkscs")
    # An aggregator page: breadcrumb, self-credit, media credit, spun text, recommendations.
    spam = (
        f"当前位置:首页 > 财经 > {TITLE_A}\n\n{TITLE_A}\n\n2025-01-06 15:54:29 [财经] 来源:云帆资讯网\n\n"
        f"炒股就看,{TITLE_A[:3]}权威,{TITLE_A[3:6]}专业,及时,全面,助您挖掘潜力主题机会!\n\n媒体来源:中国证券报\n\n"
        + "\n\n".join(spin(PARAS_A, TITLE_A))
        + "\n\n(责任编辑:财经)\n\n推荐文章\n  • "
        + f"{TITLE_B}\n\n    {TITLE_B} {PARAS_B[0][:60]} ...[详细]\n热点阅读\n"
    )
    write("yunfan-news.example/caijing/8812.txt", spam)
    # A different story on the same aggregator template (must not join story A).
    spam_b = (
        f"当前位置:首页 > 财经 > {TITLE_B}\n\n{TITLE_B}\n\n2025-01-07 09:12:03 [财经] 来源:云帆资讯网\n\n"
        + "\n\n".join(p.replace("，", ",") for p in PARAS_B)
        + "\n\n(责任编辑:财经)\n\n推荐文章\n  • "
        + f"{TITLE_A}\n\n    {TITLE_A} {PARAS_A[0][:60]} ...[详细]\n热点阅读\n"
    )
    write("yunfan-news.example/caijing/8813.txt", spam_b, "utf-8-sig")
    # Story B's original and a feed with a copy of it and two look-alike market wraps.
    write("bwport.example/news/q1.txt", f"{TITLE_B}\n\n2024-04-02 16:00　来源：北湾港务\n\n" + "\n\n".join(PARAS_B))
    feed = [
        {"id": "feed-001", "url": "https://news.example.com/2024/0403/q1.html", "title": TITLE_B,
         "text": "\n".join(PARAS_B) + "\n本文来源于北湾港务", "published_at": "2024-04-03 08:00:00"},
        {"id": "feed-002", "url": "https://news.example.com/2024/0311/m1.html", "title": "3月11日A股收评",
         "text": market_wrap("3月11日", "涨0.81%，报3068.46点", "涨1.27%，报9520.38点", "9486", "63.07", "半导体", "煤炭"),
         "published_at": "2024-03-11 15:10:00"},
        {"id": "feed-003", "url": "https://news.example.com/2024/0312/m2.html", "title": "3月12日A股收评",
         "text": market_wrap("3月12日", "跌0.38%，报3055.94点", "跌0.92%，报9432.14点", "8827", "12.55", "白酒", "光伏"),
         "published_at": "2024-03-12 15:08:00"},
    ]
    write("news.example.com/feed.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in feed))


if __name__ == "__main__":
    main()
