"""A seeded, labelled syndication corpus built from text generated here (no shared data needed).

Outlets and sites are invented. Each story has an original on its outlet's site (HTML, some in
GBK; absent for some stories, so the origin must come from the copies' credits) and copies made
with the techniques seen on real portal and aggregator pages. Gold tags name them:

``portal`` (text page with 来源/转载 credit, breadcrumb, legal footer), ``spam`` (aggregator JSON
record: shared site template, 来源 naming the aggregator itself and 媒体来源 the outlet, a
recommendation block of ``...[详细]`` items longer than the story, or with ``recs_bare`` a bare list
of other stories' headlines with no header), ``spun`` (title chopped into
pieces set at clause starts, plus advert sentences made of the pieces), ``spun_skip`` (the harder
style: pieces of non-adjacent title characters, some injected mid-clause), ``partial`` (first
30-80% of the paragraphs), ``edit_drop``/``edit_number``/``edit_reorder``, ``traditional`` (a
Traditional-script mirror), ``width`` (full/half-width flips), ``digest`` (a page that is mostly one
story plus briefs of others), ``credit_none`` (a portal copy with no credit line),
``credit_portal`` (a portal copy of another portal's copy, crediting that portal), ``credit_self``
(an aggregator copy naming only itself as the source), ``backdated`` (a portal copy dated before
the outlet's own page).

Every copy's gold line also says whom it credits: ``credit`` (the kind, as
:mod:`dedup.stages.credit` names them) and ``credits`` (each outlet a credit line names, the form,
and the line of the page's text that holds it).

Hard negatives, each its own gold story: daily market wrap-ups from one template with different
figures (``M*``), short flash items from one template (``F*``), short items on many small sites
that share a long blurb (``B*``: too few pages per site for a site template; the corpus-wide
common shingles keep them apart), and digests made of three stories'
leads where none dominates (``D*``, which must join nobody).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import opencc

from benchmarks.textgen import TextModel


@dataclass(frozen=True)
class SiteSpec:
    name: str
    domain: str
    kind: str
    aliases: tuple[str, ...] = ()


ORIGINALS = (
    SiteSpec("东海日报", "donghai-daily.cn", "newspaper", ("东海日报社",)),
    SiteSpec("江城晚报", "jiangcheng-eve.cn", "newspaper"),
    SiteSpec("北原商报", "beiyuan-biz.cn", "newspaper", ("北原商报网",)),
    SiteSpec("南湖财经", "nanhu-fin.com", "digital", ("南湖财经网",)),
    SiteSpec("临江新闻网", "linjiang-news.cn", "digital"),
    SiteSpec("云岭时报", "yunling-times.cn", "newspaper"),
    SiteSpec("青川经济导报", "qingchuan-econ.cn", "newspaper", ("青川导报",)),
    SiteSpec("海州证券报", "haizhou-sec.cn", "newspaper", ("海州证券网",)),
    SiteSpec("西岭科技日报", "xiling-tech.cn", "newspaper"),
    SiteSpec("石门通讯社", "shimen-wire.cn", "wire", ("石门社",)),
)
PORTALS = (
    SiteSpec("新览网", "xinlan.com", "portal"),
    SiteSpec("博闻资讯", "bowen-info.com", "portal"),
    SiteSpec("速看新闻", "sukan-news.com", "portal"),
)
AGGREGATORS = (
    SiteSpec("汇讯网", "zixun-hub.net", "aggregator"),
    SiteSpec("快报镜像网", "kuaibao-mirror.net", "aggregator"),
    SiteSpec("文摘网", "news-digest.org", "aggregator"),
)
MIRROR = SiteSpec("繁体镜像网", "tw-mirror.net", "aggregator")

_AGGREGATOR_HEADERS = {
    "zixun-hub.net": ["汇讯网 - 每日资讯精选", "首页 > 资讯 > 正文"],
    "kuaibao-mirror.net": ["快报镜像网｜热点快报", "当前位置：首页 > 快报"],
    "news-digest.org": ["文摘网 每日更新", "您的位置：首页 > 文摘 > 正文"],
}
_AGGREGATOR_FOOTERS = {
    "zixun-hub.net": ["本站内容来自网络，如有侵权请联系删除。", "汇讯网 版权所有 备案号：00000001"],
    "kuaibao-mirror.net": ["免责声明：本文仅代表作者观点，不代表本站立场。", "快报镜像网 联系我们 关于我们"],
    "news-digest.org": ["文摘网提醒：投资有风险，入市需谨慎。", "文摘网 广告合作 意见反馈"],
}
_BLURB = ("本平台致力于汇聚基层政务动态与民生资讯，内容经编辑整理后发布，旨在传递更多信息，帮助读者了解身边变化。"
          "如您有新闻线索或合作意向，欢迎通过页面底部方式与我们取得联系，我们将认真对待每一位读者的反馈与建议。"
          "平台所载文字与图片部分来自各地政务公开渠道及合作单位投稿，编辑过程中力求准确完整，若有疏漏之处，敬请读者谅解并及时指正，"
          "我们会在核实后第一时间更新，感谢大家长期以来的关注、陪伴与支持。")
_ADVERTS = ("最新消息", "关注我们", "精彩不断", "点击了解", "今日热点")
_MONTHS = range(1, 13)


@dataclass
class Doc:
    id: str
    story: str
    site: str
    kind: str
    is_original: bool
    origin: str
    path: Path | None = None
    record: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    credit: str | None = None
    """The copy's credit kind against its story's origin (see :mod:`dedup.stages.credit`); None for originals."""
    credits: list[tuple[str, str, int]] = field(default_factory=list)
    """Each credit line the copy carries: (outlet it names, form, line number in the page's text)."""


class _Writer:
    def __init__(self, seed: int) -> None:
        self.model = TextModel(seed)
        self.rng = np.random.default_rng(seed + 1)
        self.s2t = opencc.OpenCC("s2t")
        self.docs: list[Doc] = []
        self.records: dict[str, list[dict[str, str]]] = {}
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _time(self, day: tuple[int, int], minutes: int) -> str:
        hour, minute = divmod(8 * 60 + minutes, 60)
        return f"2026-{day[0]:02d}-{day[1]:02d} {min(hour, 23):02d}:{minute:02d}"

    # --- pages ---------------------------------------------------------------------------

    def html_page(self, spec: SiteSpec, story: str, title: str, lines: list[str], kind: str, original: bool,
                  origin: str, when: str, gbk: bool, links: list[str] | None = None) -> None:
        number = self._next()
        rel = f"{spec.domain}/2026/{number:06d}.html"
        charset = "gbk" if gbk else "utf-8"
        paragraphs = "\n".join(f"<p>{line}</p>" for line in lines)
        if links:
            # A list of other headlines inside the article container, with no class to give it away.
            paragraphs += "\n<ul>" + "".join(f'<li><a href="/2026/{k}.html">{t}</a></li>'
                                             for k, t in enumerate(links)) + "</ul>"
        html = (f'<html><head><meta charset="{charset}"><title>{title}</title>'
                f'<meta property="og:url" content="https://www.{spec.domain}/2026/{number:06d}.html">'
                f'<meta name="pubdate" content="{when.replace(" ", "T")}:00+08:00"></head><body>'
                f'<div class="nav">首页 | 新闻 | 财经 | 科技</div><div class="article"><h1>{title}</h1>'
                f'<div class="info">{when} 来源：{spec.name}</div>\n{paragraphs}\n'
                f'<p>（责任编辑：{self.model.words[int(self.rng.integers(0, 50))]}）</p></div>'
                f'<div class="footer">关于我们 | 联系方式 | 版权所有 {spec.name}</div></body></html>')
        self.docs.append(Doc(rel, story, spec.domain, kind, original, origin, Path(rel),
                             content=html.encode("gb18030" if gbk else "utf-8")))

    def text_page(self, spec: SiteSpec, story: str, title: str, lines: list[str], kind: str, origin: str) -> None:
        number = self._next()
        rel = f"{spec.domain}/{number:06d}.txt"
        self.docs.append(Doc(rel, story, spec.domain, kind, False, origin, Path(rel),
                             content=("\n".join([title, *lines]) + "\n").encode("utf-8")))

    def record(self, spec: SiteSpec, story: str, title: str, lines: list[str], kind: str, origin: str,
               when: str) -> None:
        number = self._next()
        doc_id = f"{spec.domain}#{number:06d}"
        self.records.setdefault(spec.domain, []).append({
            "id": doc_id, "url": f"https://{spec.domain}/p/{number:06d}.html", "title": title,
            "published_at": when, "text": "\n".join(lines),
        })
        self.docs.append(Doc(doc_id, story, spec.domain, kind, False, origin))

    def credited(self, kind: str, lines: list[str], named: list[tuple[str, str]]) -> None:
        """Record the credit of the copy just written: its kind and, for each (outlet, form) it
        names, the line that names it."""
        doc = self.docs[-1]
        doc.credit = kind
        for outlet, form in named:
            line = next(k for k, text in enumerate(lines) if form + outlet in text or form + "：" + outlet in text)
            doc.credits.append((outlet, form, line))

    # --- techniques ----------------------------------------------------------------------

    def pieces(self, title: str) -> list[str]:
        out, position = [], 0
        while position < len(title):
            size = int(self.rng.integers(2, 5))
            out.append(title[position : position + size])
            position += size
        return [p for p in out if len(p) >= 2]

    def spin(self, title: str, paragraphs: list[str], skip: bool) -> list[str]:
        """Pieces of the title at clause starts (or, with ``skip``, non-adjacent characters, some
        mid-clause) in the first paragraphs, and advert sentences made of pieces."""
        if skip:
            chars = list(title)
            pieces = ["".join(chars[i : i + 6 : 2]) for i in range(0, max(1, len(chars) - 4), 3)]
        else:
            pieces = self.pieces(title)
        if len(pieces) < 2:
            return paragraphs
        out = []
        for position, paragraph in enumerate(paragraphs):
            if position >= 3:
                out.append(paragraph)
                continue
            clauses = paragraph.replace("。", "。|").replace("，", "，|").split("|")
            spun = []
            for clause in clauses:
                if clause and self.rng.random() < 0.6:
                    piece = pieces[int(self.rng.integers(0, len(pieces)))]
                    if skip and len(clause) > 6 and self.rng.random() < 0.5:
                        cut = int(self.rng.integers(2, len(clause) - 2))
                        clause = clause[:cut] + piece + clause[cut:]
                    else:
                        clause = piece + clause
                spun.append(clause)
            out.append("".join(spun))
        advert = "，".join(pieces[i % len(pieces)] + _ADVERTS[i % len(_ADVERTS)] for i in range(4)) + "。"
        return [advert, *out]

    def recs_block(self, titles: list[str], bare: bool = False) -> list[str]:
        """A recommendation block: a 推荐文章 header and ``...[详细]`` items, or (``bare``) only a
        list of other stories' headlines, some with a date."""
        picked = [titles[int(k)] for k in self.rng.choice(len(titles), size=min(6, len(titles)), replace=False)]
        if bare:
            return [f"{t} 2026-{int(self.rng.integers(1, 13)):02d}-{int(self.rng.integers(1, 28)):02d}"
                    if self.rng.random() < 0.5 else t for t in picked]
        return ["推荐文章", *[f"{t}，{self.model.sentence(self.rng, False)[:30]}...[详细]" for t in picked]]

    def widen(self, line: str) -> str:
        table = {ord(c): ord(c) + 0xFEE0 for c in "0123456789%"} | {ord("，"): ord(","), ord("："): ord(":")}
        return line.translate(table)

    # --- a story ---------------------------------------------------------------------------

    def story(self, number: int, titles: list[str]) -> None:
        story = f"S{number:05d}"
        rng = self.rng
        outlet = ORIGINALS[int(rng.integers(0, len(ORIGINALS)))]
        title = titles[number]
        paragraphs = self.model.paragraphs(rng, int(rng.integers(500, 1400))).split("\n")
        day = (int(rng.choice(_MONTHS)), int(rng.integers(1, 28)))
        if rng.random() < 0.85:
            links = [titles[int(k)] for k in rng.choice(len(titles), size=min(5, len(titles)), replace=False)]
            self.html_page(outlet, story, title, paragraphs, "original", True, outlet.name, self._time(day, 0),
                           gbk=rng.random() < 0.3, links=links if rng.random() < 0.3 else None)
        copies = int(rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 7]))
        for copy in range(copies):
            when = self._time(day, 30 + 40 * copy + int(rng.integers(0, 30)))
            body = list(paragraphs)
            tags: list[str] = []
            roll = rng.random()
            if roll < 0.2 and len(body) >= 3:
                keep = max(1, int(round(len(body) * float(rng.uniform(0.3, 0.8)))))
                body, tags = body[:keep], ["partial"]
            elif roll < 0.3:
                drop = int(rng.integers(0, len(body)))
                sentences = body[drop].split("。")
                body[drop] = "。".join(sentences[1:]) if len(sentences) > 2 else body[drop]
                tags = ["edit_drop"]
            elif roll < 0.38 and len(body) >= 3:
                body = [body[1], body[0], *body[2:]]
                tags = ["edit_reorder"]
            elif roll < 0.45:
                body = [p.replace("1", "7", 1) for p in body]
                tags = ["edit_number"]
            style = rng.random()
            if style < 0.35:
                portal = PORTALS[int(rng.integers(0, len(PORTALS)))]
                form = ["来源：", "稿件来源：", "转载自"][int(rng.integers(0, 3))]
                variant = rng.random()
                if variant < 0.12:  # no credit at all
                    named, kind, credit_line = [], "none", ""
                    tags.append("credit_none")
                elif variant < 0.24:  # a copy of another portal's copy, crediting that portal
                    other = PORTALS[(PORTALS.index(portal) + 1) % len(PORTALS)]
                    named, kind, credit_line = [(other.name, "来源：")], "other", f"来源：{other.name}"
                    tags.append("credit_portal")
                else:
                    named, kind, credit_line = [(outlet.name, form)], "outlet", form + outlet.name
                if rng.random() < 0.08:  # dated before the outlet's own page
                    when = self._time(day, -int(rng.integers(30, 450)))
                    tags.append("backdated")
                lines = [f"{portal.name} > 新闻 > 正文", f"{when} {credit_line}".strip(), *body,
                         "免责声明：本文转载自合作媒体，不代表本站观点。"]
                if rng.random() < 0.3:
                    lines = [self.widen(line) for line in lines]
                    tags.append("width")
                self.text_page(portal, story, title, lines, "+".join(["portal", *tags]), outlet.name)
                self.credited(kind, [self.widen(line) for line in lines] if "width" in tags else lines,
                              [(name, self.widen(f) if "width" in tags else f) for name, f in named])
            elif style < 0.8:
                site = AGGREGATORS[int(rng.integers(0, len(AGGREGATORS)))]
                skip = rng.random() < 0.25
                spun = self.spin(title, body, skip) if rng.random() < 0.7 else body
                if spun is not body:
                    tags.append("spun_skip" if skip else "spun")
                bare = rng.random() < 0.4
                if bare:
                    tags.append("recs_bare")
                self_only = rng.random() < 0.15
                if self_only:
                    tags.append("credit_self")
                credit_line = f"{when[:10]} 来源：{site.name}" + ("" if self_only else f" 媒体来源：{outlet.name}")
                lines = [*_AGGREGATOR_HEADERS[site.domain], credit_line,
                         *spun, *self.recs_block(titles, bare), *_AGGREGATOR_FOOTERS[site.domain]]
                self.record(site, story, title, lines, "+".join(["spam", *tags]), outlet.name, when)
                self.credited("self" if self_only else "self_then_outlet", lines,
                              [(site.name, "来源：")] + ([] if self_only else [(outlet.name, "媒体来源：")]))
            else:
                lines = [f"{when} 來源：{outlet.name}", *body]
                converted = [self.s2t.convert(line) for line in lines]
                self.text_page(MIRROR, story, self.s2t.convert(title), converted,
                               "+".join(["traditional", *tags]), outlet.name)
                self.credited("outlet", lines, [(outlet.name, "來源：")])

    def market(self, number: int) -> None:
        """A day's market wrap-up: one template, different figures (each its own story)."""
        rng = self.rng
        month, day = int(rng.choice(_MONTHS)), int(rng.integers(1, 28))
        figures = [f"{rng.uniform(0, 3):.2f}", f"{rng.uniform(2900, 3500):.2f}", f"{rng.uniform(0, 3):.2f}",
                   f"{rng.uniform(9000, 12000):.2f}", f"{rng.integers(6000, 12000)}", f"{rng.uniform(10, 90):.2f}"]
        up = ["涨", "跌"][int(rng.integers(0, 2))]
        text = [f"{month}月{day}日，沪指{up}{figures[0]}%报{figures[1]}点，深成指{up}{figures[2]}%报{figures[3]}点，"
                f"两市成交额{figures[4]}亿元，北向资金净买入{figures[5]}亿元。",
                "板块方面，半导体、券商、医药等板块表现活跃，煤炭、钢铁板块走弱。",
                "分析人士认为，短期市场仍以震荡为主，建议投资者关注业绩确定性较高的品种。"]
        story = f"M{number:05d}"
        spec = ORIGINALS[7]
        title = f"{month}月{day}日收评：沪指{up}{figures[0]}%"
        self.html_page(spec, story, title, text, "market", True, spec.name, self._time((month, day), 420), gbk=False)
        if rng.random() < 0.5:
            portal = PORTALS[int(rng.integers(0, len(PORTALS)))]
            self.text_page(portal, story, title, [f"来源：{spec.name}", *text], "market+portal", spec.name)
            self.credited("outlet", [f"来源：{spec.name}", *text], [(spec.name, "来源：")])

    def flash(self, number: int) -> None:
        rng = self.rng
        company = "".join(self.model.words[self.model._word_indices(rng, 2)].tolist()) + "股份"
        text = [f"快讯：{company}公告，预计2026年上半年净利润同比增长{rng.integers(5, 300)}%至"
                f"{rng.integers(1, 90)}.{rng.integers(0, 99)}亿元。"]
        spec = ORIGINALS[3]
        self.html_page(spec, f"F{number:05d}", f"{company}业绩预告", text, "flash", True, spec.name,
                       self._time((int(rng.choice(_MONTHS)), int(rng.integers(1, 28))), 60), gbk=False)

    def boilerplate(self, number: int) -> None:
        """A short item on a small site (three pages each: too few for a site template) ending
        in the blurb dozens of such sites carry: different stories whose shared part is the
        blurb, only common shingles can keep them apart."""
        rng = self.rng
        body = self.model.paragraphs(rng, int(rng.integers(60, 110))).replace("\n", "")
        body = "".join(ch for ch in body if not ch.isdigit())
        domain = f"quxian{number // 3:02d}.cn"
        spec = SiteSpec(f"区县快讯{number // 3:02d}", domain, "portal")
        self.text_page(spec, f"B{number:05d}", self.model.title(rng), [body, _BLURB], "boilerplate", "")

    def digest(self, number: int, bodies: dict[str, list[str]], titles: list[str]) -> None:
        """Three stories' leads on one page: none dominates, so it joins nobody."""
        rng = self.rng
        chosen = list(rng.choice(sorted(bodies), size=3, replace=False))
        lines = ["今日要闻汇总"]
        for story in chosen:
            lines.extend(bodies[story][:1])
        site = AGGREGATORS[2]
        self.record(site, f"D{number:05d}", "今日要闻汇总", lines, "digest3", "", self._time((6, 1), 0))


def write_quality_corpus(out: Path, stories: int = 600, seed: int = 7) -> dict[str, int]:
    """Write ``out/corpus``, ``out/gold.jsonl`` and ``out/outlets.json``; returns counts."""
    writer = _Writer(seed)
    titles: list[str] = []
    while len(titles) < stories:
        title = writer.model.title(writer.rng)
        if title not in titles:
            titles.append(title)
    for number in range(stories):
        writer.story(number, titles)
    for number in range(max(10, stories // 10)):
        writer.market(number)
        writer.flash(number)
    for number in range(max(30, stories // 4)):
        writer.boilerplate(number)
    originals = {d.story: d for d in writer.docs if d.is_original and d.story.startswith("S")}
    bodies: dict[str, list[str]] = {}
    for story in sorted(originals)[:60]:
        text = originals[story].content.decode("gb18030", errors="replace")
        bodies[story] = [p.split("</p>")[0] for p in text.split("<p>")[1:3]]
    for number in range(max(3, stories // 60)):
        writer.digest(number, bodies, titles)
    corpus = out / "corpus"
    for doc in writer.docs:
        if doc.path is not None:
            target = corpus / doc.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(doc.content)
    for domain, rows in writer.records.items():
        target = corpus / domain / "records.jsonl"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with open(out / "gold.jsonl", "w", encoding="utf-8") as handle:
        for doc in writer.docs:
            row = {"id": doc.id, "story": doc.story, "is_original": doc.is_original,
                   "origin_outlet": doc.origin or None, "kind": doc.kind, "site": doc.site}
            if doc.credit is not None:
                row["credit"] = doc.credit
                row["credits"] = [{"outlet": name, "form": form, "line": line} for name, form, line in doc.credits]
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    outlets = [{"name": s.name, "aliases": list(s.aliases), "domains": [s.domain], "kind": s.kind}
               for s in (*ORIGINALS, *PORTALS, *AGGREGATORS, MIRROR)]
    (out / "outlets.json").write_text(json.dumps(outlets, ensure_ascii=False, indent=1), encoding="utf-8")
    kinds = Counter(tag for doc in writer.docs for tag in doc.kind.split("+"))
    return {"documents": len(writer.docs), "stories": len({d.story for d in writer.docs}), **kinds}
