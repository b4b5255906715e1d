"""The spread of stories as one self-contained HTML page: who copied whom, how fast, with credit.

:func:`build_report` turns cluster records (``dedup scan``'s output, or an index's clusters) into
one HTML file with its style, script and data inside it: it opens offline in any browser. The
page has an overview (documents and clusters, the size distribution, origin outlets ranked by
stories and by copies, copying sites ranked by copies with the share that credits the origin and
the median delay after the canonical copy, and a site-by-outlet table of who copies whom), a
list of clusters to search and filter by outlet, site and keyword, and a view per cluster (its
keywords, canonical copy, origin and evidence, members with their delay, role, credit, Jaccard and
containment, a timeline; with texts, each member's text beside the canonical's with the shared
sentences marked and what cleaning removed struck out).

At a million documents the page stays small and quick: every cluster gets a compact row (size,
title, origin, sites, first time, keywords), only the ``detail`` largest get their members in
full, and only the ``with_texts`` largest their texts; the script renders a hundred rows at a time.

>>> page = build_report([{"cluster_id": "c000001", "size": 2, "canonical_id": "a", "origin": None,
...     "members": [{"id": "a", "site": "a.cn", "role": "canonical", "jaccard": 1.0, "containment": 1.0},
...                 {"id": "b", "site": "b.cn", "role": "copy", "jaccard": 0.9, "containment": 1.0}]}])
>>> page.startswith("<!DOCTYPE html>") and "http://" not in page and "https://" not in page
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from dedup.document import CleanDocument
from dedup.errors import InputError
from dedup.outputs.copies import Copy, copies_in
from dedup.text.normalize import compact
from dedup.text.outlets import OutletTable

DETAIL = 2000
"""Clusters (the largest) whose members the page holds in full."""
WITH_TEXTS = 200
"""Clusters (the largest) whose texts the page holds, when texts are given."""
COPIES = 20000
"""Copy rows (for the outlet pages) the page holds at most, besides those of the outlet it opens at."""
TITLE_CHARS = 48
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n")
SIZE_BINS = ((1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, 50), (51, 100), (101, None))


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _hours(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None or (later.tzinfo is None) != (earlier.tzinfo is None):
        return None
    return round((later - earlier).total_seconds() / 3600, 2)


class _Names:
    """Strings numbered in order of first use (the page keeps each site and outlet once)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, name: str | None) -> int:
        if name is None:
            return -1
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
        return self._index[name]


class _CopyRows:
    """The copy rows of the outlet pages: at most :data:`COPIES`, besides ``open_outlet``'s."""

    def __init__(self, sites: _Names, outlets: _Names, open_outlet: str | None) -> None:
        self.sites, self.outlets, self.open_outlet = sites, outlets, open_outlet
        self.rows: dict[int, list[list[Any]]] = defaultdict(list)
        self.held = 0

    def add(self, copy: Copy) -> None:
        mine = copy.outlet == self.open_outlet
        if not mine and self.held >= COPIES:
            return
        self.held += not mine
        self.rows[self.outlets(copy.outlet)].append([
            copy.cluster_id, copy.id, self.sites(copy.site), copy.url or "", (copy.title or "")[:80],
            (copy.published_at or "")[:16], copy.delay_hours, copy.credit, copy.taken, copy.copied_share,
            " · ".join(copy.flags), " > ".join(copy.chain) or " · ".join(copy.credited), copy.shared_sentences,
            copy.original_id])


def spread(records: Iterable[dict[str, Any]], detail: int = DETAIL, table: OutletTable | None = None,
           copies: Iterable[Copy] = (), open_outlet: str | None = None) -> dict[str, Any]:
    """The page's data: the overview's figures, a compact row per cluster, the full members of
    the ``detail`` largest clusters (records are ``dedup scan``'s, largest first), and the copies
    of each origin outlet's stories (:func:`dedup.outputs.copies.copies_in`; ``copies`` given are
    added, and ``open_outlet``'s are all kept)."""
    table = table or OutletTable.default()
    sites, outlets = _Names(), _Names()
    held = _CopyRows(sites, outlets, open_outlet)
    for copy in copies:
        held.add(copy)
    rows: list[list[Any]] = []
    detailed: dict[str, dict[str, Any]] = {}
    sizes: Counter[int] = Counter()
    stories: Counter[int] = Counter()
    copies_of: Counter[int] = Counter()
    site_copies: Counter[int] = Counter()
    site_credits: Counter[int] = Counter()
    site_delays: dict[int, list[float]] = defaultdict(list)
    pairs: Counter[tuple[int, int]] = Counter()
    documents = 0
    for record in records:
        members = record["members"]
        size = int(record["size"])
        documents += size
        sizes[size] += 1
        origin = outlets((record.get("origin") or {}).get("outlet"))
        canonical = next((m for m in members if m.get("role") == "canonical"), members[0])
        start = _time(canonical.get("published_at"))
        if origin >= 0 and size > 1:
            stories[origin] += 1
            copies_of[origin] += size - 1
            for copy in copies_in([record], outlets.names[origin], table):
                held.add(copy)
        member_rows = []
        for member in members:
            site = sites(member.get("site") or "")
            delay = _hours(_time(member.get("published_at")), start)
            credit = member.get("attributed_source")
            if member is not canonical:
                site_copies[site] += 1
                if origin >= 0:
                    pairs[site, origin] += 1
                    if credit and outlets(credit) == origin:
                        site_credits[site] += 1
                if delay is not None and delay >= 0:
                    site_delays[site].append(delay)
            if len(detailed) < detail:
                member_rows.append([member["id"], site, member.get("url") or "", member.get("title") or "",
                                    member.get("published_at") or "", delay, member.get("role") or "",
                                    credit or "", member.get("jaccard"), member.get("containment")])
        title = (canonical.get("title") or canonical["id"])[:TITLE_CHARS]
        keywords = record.get("keywords") or []
        rows.append([record["cluster_id"], size, title, origin, sites(canonical.get("site") or ""),
                     (canonical.get("published_at") or "")[:16], " ".join(keywords),
                     sorted({sites(m.get("site") or "") for m in members})])
        if len(detailed) < detail:
            detailed[record["cluster_id"]] = {"canonical": canonical["id"], "members": member_rows,
                                              "evidence": (record.get("origin") or {}).get("evidence") or [],
                                              "keywords": keywords}
    top_sites = [site for site, _ in site_copies.most_common(15)]
    top_outlets = [outlet for outlet, _ in copies_of.most_common(10)]
    return {
        "documents": documents, "clusters": len(rows),
        "sizes": [[f"{low}" if high == low else (f"{low}+" if high is None else f"{low}-{high}"),
                   sum(count for size, count in sizes.items() if size >= low and (high is None or size <= high))]
                  for low, high in SIZE_BINS],
        "sites": sites.names, "outlets": outlets.names,
        "origins": [[outlet, stories[outlet], copies_of[outlet]] for outlet in set(stories) | set(copies_of)],
        "copiers": [[site, count, round(site_credits[site] / count, 3),
                     round(statistics.median(site_delays[site]), 1) if site_delays[site] else None]
                    for site, count in site_copies.most_common(500)],
        "matrix": {"sites": top_sites, "outlets": top_outlets,
                   "counts": [[pairs[site, outlet] for outlet in top_outlets] for site in top_sites]},
        "rows": rows, "detail": detailed,
        "copies": {str(outlet): rows for outlet, rows in held.rows.items()},
        "open": outlets(open_outlet) if open_outlet else -1,
    }


def shared_sentences(text: str, canonical: str) -> list[tuple[str, bool]]:
    """``text`` cut into sentences, each marked True when the canonical copy holds it (compared
    as the detector compares: compacted; sentences under six characters are never marked).

    >>> shared_sentences("江城发布补贴细则。另有一句新的话。", "据报道，江城发布补贴细则！")
    [('江城发布补贴细则。', True), ('另有一句新的话。', False)]
    """
    held = compact(canonical)
    out = []
    for sentence in _SENTENCE_END.split(text):
        if sentence:
            key = compact(sentence)
            out.append((sentence, len(key) >= 6 and key in held))
    return out


def _texts(data: dict[str, Any], texts: Callable[[str], CleanDocument | None], limit: int) -> dict[str, Any]:
    """Texts of the members of the ``limit`` largest detailed clusters: sentences with their
    shared mark, and what cleaning removed, with the reason."""
    out: dict[str, Any] = {}
    for cluster_id in list(data["detail"])[:limit]:
        detail = data["detail"][cluster_id]
        canonical = texts(detail["canonical"])
        if canonical is None:
            continue
        for member in detail["members"]:
            doc = canonical if member[0] == detail["canonical"] else texts(member[0])
            if doc is None:
                continue
            out[member[0]] = {"sentences": [[s, shared] for s, shared in shared_sentences(doc.body, canonical.body)],
                              "removed": [[reason, line] for reason, line in doc.removed]}
    return out


def build_report(records: Iterable[dict[str, Any]], texts: Callable[[str], CleanDocument | None] | None = None,
                 title: str = "dedup: the spread of stories", detail: int = DETAIL, with_texts: int = WITH_TEXTS,
                 keywords_of: Callable[[str], list[str]] | None = None, outlets: OutletTable | None = None,
                 copies: Iterable[Copy] = (), open_outlet: str | None = None) -> str:
    """The report page for ``records`` (see the module). ``texts`` gives a document's cleaned form
    by id, for texts side by side; ``keywords_of`` makes keywords for the detailed clusters whose
    records have none, from the canonical copy's title and text (from the members' titles
    without texts); ``copies`` adds copy rows to the outlet pages, and the page opens at
    ``open_outlet``'s."""
    data = spread(records, detail, outlets, copies, open_outlet)
    if texts is not None:
        data["texts"] = _texts(data, texts, with_texts)
    if keywords_of is not None:
        rows = {row[0]: row for row in data["rows"]}
        for cluster_id, detail_of in data["detail"].items():
            if detail_of["keywords"]:
                continue
            doc = texts(detail_of["canonical"]) if texts is not None else None
            text = f"{doc.title or ''}\n{doc.body}" if doc is not None else \
                "\n".join(member[3] for member in detail_of["members"])
            detail_of["keywords"] = keywords_of(text)
            rows[cluster_id][6] = " ".join(detail_of["keywords"])
    # "<" only occurs inside JSON strings, where \u003c reads the same: no "</script>" nor "<!--"
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    fields = {"title": _escape(title), "csp": _CSP, "data": payload}
    return re.sub(r"\{\{(title|csp|data)\}\}", lambda match: fields[match.group(1)], _PAGE)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def read_records(lines: Iterable[str], path: str, rejects: list[InputError]) -> Iterator[dict[str, Any]]:
    """Cluster records from JSON Lines (``dedup scan``'s output); a line that is not one goes to
    ``rejects`` (with the file and line) and the rest are read."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("members"), list) or not record["members"]:
                raise ValueError("no members")
            record["cluster_id"], record["size"]  # noqa: B018 - the fields the page needs
        except (ValueError, KeyError, TypeError) as exc:
            rejects.append(InputError(path, f"not a cluster record ({exc})", line=number))
            continue
        yield record


_PAGE = """<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{csp}}">
<title>{{title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px;max-width:1400px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:16px;margin:4px 0 10px}
.figures{display:flex;gap:32px}.figure b{font-size:24px;display:block}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#44505c;cursor:default}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{fill:#3d7ab8}.axis{font-size:11px;fill:#55606b}
.controls{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px}.controls input,.controls select{padding:4px 6px;font:inherit}
tr.cluster,#origins tbody tr{cursor:pointer}tr.cluster:hover,#origins tbody tr:hover{background:#eef4fb}
#copies th[data-sort]{cursor:pointer;text-decoration:underline dotted}.flag{color:#a33}
.kw{color:#7a4b00}.muted{color:#6b7680}
#detail{position:relative}.members td{font-size:13px}
.texts{display:grid;grid-template-columns:1fr 1fr;gap:12px}.text{border:1px solid #e3e6ea;padding:8px;max-height:420px;overflow:auto;font-size:13px}
mark{background:#ffe9a8}del{color:#a33;text-decoration:line-through}
.heat{width:34px;text-align:center;font-size:12px}
button{font:inherit;padding:4px 10px}
</style>
</head>
<body>
<header><h1>{{title}}</h1></header>
<main>
<section id="detail" hidden></section>
<section id="outlet-page" hidden><h2 id="outlet-title"></h2>
<div class="controls"><select id="copy-credit"><option value="">every credit</option><option>outlet</option><option>self_then_outlet</option><option>self</option><option>other</option><option>none</option></select>
<span id="copy-count" class="muted"></span><button id="export">CSV</button><button id="close-outlet">close</button></div>
<p id="credit-table" class="muted"></p>
<table id="copies"><thead><tr><th data-sort="2">site</th><th data-sort="4">copy</th><th data-sort="5">published</th><th data-sort="6">delay</th><th data-sort="7">credit</th><th data-sort="11">credit chain</th><th data-sort="8">took</th><th data-sort="9">of the copy</th><th data-sort="12">sentences</th><th data-sort="10">flags</th></tr></thead><tbody></tbody></table></section>
<section id="overview"><div class="figures">
<div class="figure"><b id="documents"></b>documents in clusters</div>
<div class="figure"><b id="cluster-count"></b>clusters</div>
<div class="figure"><b id="repost-count"></b>copies (members that are not the canonical copy)</div>
</div></section>
<div class="grid">
<section><h2>Cluster sizes</h2><svg id="sizes" width="100%" height="180" role="img" aria-label="cluster sizes"></svg></section>
<section><h2>Origin outlets</h2><div class="controls">ranked by <select id="origin-order"><option value="1">stories</option><option value="2">copies</option></select></div>
<table id="origins"><thead><tr><th>outlet</th><th>stories</th><th>copies</th></tr></thead><tbody></tbody></table>
<p class="muted">Click an outlet for every copy of its stories.</p></section>
<section><h2>Copying sites</h2><table id="copiers"><thead><tr><th>site</th><th>copies</th><th>credit the origin</th><th>median delay</th></tr></thead><tbody></tbody></table></section>
<section><h2>Who copies whom</h2><table id="matrix"></table></section>
</div>
<section id="list"><h2>Clusters</h2>
<div class="controls"><input id="q" placeholder="keyword, title or id" size="28">
<select id="outlet"><option value="">every origin outlet</option></select>
<input id="site" placeholder="site" size="22"><span id="matching" class="muted"></span></div>
<table id="clusters"><thead><tr><th>cluster</th><th>size</th><th>title</th><th>origin</th><th>canonical site</th><th>first</th><th>keywords</th></tr></thead><tbody></tbody></table>
<button id="more">more</button></section>
</main>
<script id="dedup-data" type="application/json">{{data}}</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("dedup-data").textContent);
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
// Only web addresses become links: a crawled javascript: or data: URL is shown as text.
const isWeb = (u) => typeof u === "string" && /^https?:[/][/][^/]/i.test(u);
const outletName = (i) => i < 0 ? "" : D.outlets[i];
const hours = (h) => h == null ? "" : (h < 48 ? h.toFixed(1) + " h" : (h / 24).toFixed(1) + " d");
const PAGE = 100;
let shown = 0, matching = [];

function overview() {
  $("documents").textContent = D.documents.toLocaleString();
  $("cluster-count").textContent = D.clusters.toLocaleString();
  $("repost-count").textContent = (D.documents - D.clusters).toLocaleString();
  const svg = $("sizes"), w = svg.clientWidth || 600, h = 180, max = Math.max(1, ...D.sizes.map((b) => b[1]));
  const bw = (w - 40) / D.sizes.length;
  svg.innerHTML = D.sizes.map((b, i) => {
    const bh = Math.round((h - 40) * Math.sqrt(b[1] / max));
    return `<rect class="bar" x="${30 + i * bw}" y="${h - 20 - bh}" width="${bw - 4}" height="${bh}"><title>${b[1]} clusters of ${b[0]}</title></rect>` +
      `<text class="axis" x="${30 + i * bw + bw / 2 - 2}" y="${h - 6}" text-anchor="middle">${b[0]}</text>` +
      `<text class="axis" x="${30 + i * bw + bw / 2 - 2}" y="${h - 24 - bh}" text-anchor="middle">${b[1]}</text>`;
  }).join("");
  origins();
  $("copiers").tBodies[0].innerHTML = D.copiers.slice(0, 20).map((c) =>
    `<tr><td>${esc(D.sites[c[0]])}</td><td class="n">${c[1]}</td><td class="n">${Math.round(c[2] * 100)}%</td><td class="n">${hours(c[3])}</td></tr>`).join("");
  const m = D.matrix, top = Math.max(1, ...m.counts.flat());
  $("matrix").innerHTML = `<tr><th>site / origin</th>${m.outlets.map((o) => `<th class="heat" title="${esc(outletName(o))}">${esc(outletName(o).slice(0, 4))}</th>`).join("")}</tr>` +
    m.sites.map((s, i) => `<tr><td>${esc(D.sites[s])}</td>${m.counts[i].map((n) =>
      `<td class="heat" data-heat="${(n / top).toFixed(2)}">${n || ""}</td>`).join("")}</tr>`).join("");
  for (const td of $("matrix").querySelectorAll("td[data-heat]")) td.style.background = `rgba(61,122,184,${td.dataset.heat})`;
  const select = $("outlet");
  [...D.origins].sort((a, b) => b[1] - a[1]).forEach((o) => select.add(new Option(`${outletName(o[0])} (${o[1]})`, String(o[0]))));
}

function origins() {
  const by = Number($("origin-order").value);
  $("origins").tBodies[0].innerHTML = [...D.origins].sort((a, b) => b[by] - a[by]).slice(0, 20).map((o) =>
    `<tr data-outlet="${o[0]}"><td>${esc(outletName(o[0]))}</td><td class="n">${o[1]}</td><td class="n">${o[2]}</td></tr>`).join("");
}

let copyRows = [], copySort = [6, 1];
function showOutlet(outlet) {
  const box = $("outlet-page"), rows = (D.copies || {})[String(outlet)] || [];
  box.hidden = outlet < 0;
  box.dataset.outlet = String(outlet);
  if (outlet < 0) return;
  $("outlet-title").textContent = `Copies of ${outletName(outlet)}'s stories`;
  const counts = {};
  for (const r of rows) counts[r[7]] = (counts[r[7]] || 0) + 1;
  $("credit-table").textContent = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(" · ");
  copyRows = rows;
  renderCopies();
}

function renderCopies() {
  const kind = $("copy-credit").value, [col, dir] = copySort;
  const rows = copyRows.filter((r) => !kind || r[7] === kind);
  const key = (r) => col === 2 ? D.sites[r[2]] : r[col];
  rows.sort((a, b) => { const x = key(a), y = key(b);
    if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;
    return (x < y ? -1 : x > y ? 1 : 0) * dir; });
  $("copy-count").textContent = `${rows.length.toLocaleString()} copies`;
  $("copies").tBodies[0].innerHTML = rows.map((r) => `<tr data-id="${esc(r[1])}"><td>${esc(D.sites[r[2]])}</td>` +
    `<td>${isWeb(r[3]) ? `<a href="${esc(r[3])}" rel="noopener noreferrer">${esc(r[4] || r[1])}</a>` : esc(r[4] || r[1])}<div class="muted">${esc(r[1])} · ${esc(r[0])}</div></td>` +
    `<td>${esc(r[5])}</td><td class="n">${hours(r[6])}</td><td>${esc(r[7])}</td><td>${esc(r[11])}</td>` +
    `<td class="n">${r[8] == null ? "" : r[8].toFixed(2)}</td><td class="n">${r[9] == null ? "" : r[9].toFixed(2)}</td>` +
    `<td class="n">${r[12] == null ? "" : r[12]}</td><td class="flag">${esc(r[10])}</td></tr>`).join("");
  $("copies").dataset.rows = String(rows.length);
}

function exportCopies() {
  const head = ["cluster_id", "id", "site", "url", "title", "published_at", "delay_hours", "credit", "taken", "copied_share", "flags", "chain", "shared_sentences", "original_id"];
  const cell = (v) => { const t = String(v == null ? "" : v); return /[",\\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t; };
  const lines = [head.join(",")].concat(copyRows.map((r) => r.map((v, i) => cell(i === 2 ? D.sites[v] : v)).join(",")));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([lines.join("\\n") + "\\n"], {type: "text/csv"}));
  link.download = `copies-${outletName(Number($("outlet-page").dataset.outlet))}.csv`;
  link.click();
}

function filter() {
  const q = $("q").value.trim().toLowerCase(), outlet = $("outlet").value, site = $("site").value.trim().toLowerCase();
  const siteIds = site ? new Set(D.sites.map((s, i) => s.toLowerCase().includes(site) ? i : -1).filter((i) => i >= 0)) : null;
  matching = D.rows.filter((r) => (!q || r[0].toLowerCase() === q || r[2].toLowerCase().includes(q) || r[6].toLowerCase().includes(q)) &&
    (!outlet || r[3] === Number(outlet)) && (!siteIds || r[7].some((s) => siteIds.has(s))));
  shown = 0;
  $("clusters").tBodies[0].innerHTML = "";
  $("matching").textContent = `${matching.length.toLocaleString()} of ${D.rows.length.toLocaleString()} clusters`;
  more();
  writeHash();
}

function more() {
  const rows = matching.slice(shown, shown + PAGE);
  $("clusters").tBodies[0].insertAdjacentHTML("beforeend", rows.map((r) =>
    `<tr class="cluster" data-id="${esc(r[0])}"><td>${esc(r[0])}</td><td class="n">${r[1]}</td><td>${esc(r[2])}</td><td>${esc(outletName(r[3]))}</td>` +
    `<td>${esc(D.sites[r[4]])}</td><td>${esc(r[5])}</td><td class="kw">${esc(r[6])}</td></tr>`).join(""));
  shown += rows.length;
  $("more").hidden = shown >= matching.length;
}

function timeline(members) {
  const delays = members.map((m) => m[5]).filter((d) => d != null && d >= 0);
  if (!delays.length) return "";
  const w = 640, max = Math.max(1, ...delays);
  return `<svg class="timeline" width="${w}" height="46" role="img" aria-label="timeline"><line x1="10" y1="24" x2="${w - 10}" y2="24" stroke="#99a"/>` +
    members.filter((m) => m[5] != null && m[5] >= 0).map((m) => `<circle cx="${10 + (w - 20) * m[5] / max}" cy="24" r="6" fill="${m[6] === "canonical" ? "#c0392b" : "#3d7ab8"}"><title>${esc(D.sites[m[1]])}: ${hours(m[5])}</title></circle>`).join("") +
    `<text class="axis" x="10" y="44">0</text><text class="axis" x="${w - 10}" y="44" text-anchor="end">${hours(max)}</text></svg>`;
}

function textOf(id) {
  const t = (D.texts || {})[id];
  if (!t) return "";
  return t.sentences.map((s) => s[1] ? `<mark>${esc(s[0])}</mark>` : esc(s[0])).join("").replace(/\\n/g, "<br>") +
    (t.removed.length ? `<p class="muted">removed by cleaning:</p>` + t.removed.map((r) => `<div><del>${esc(r[1])}</del> <span class="muted">(${esc(r[0])})</span></div>`).join("") : "");
}

function showCluster(id) {
  const row = D.rows.find((r) => r[0] === id), box = $("detail");
  if (!row) { box.hidden = true; return; }
  const d = D.detail[id];
  box.hidden = false;
  if (!d) {
    box.innerHTML = `<h2>${esc(id)}: ${esc(row[2])}</h2><p>${row[1]} members; origin ${esc(outletName(row[3]) || "unknown")}. ` +
      `Only the largest clusters are held in full in this page; see the JSON Lines for this one.</p>`;
    writeHash(id);
    return;
  }
  const keywords = d.keywords.length ? d.keywords : row[6].split(" ").filter(Boolean);
  let html = `<h2>${esc(id)}: ${esc(row[2])}</h2><p><span class="kw">${esc(keywords.join(" · "))}</span></p>` +
    `<p>canonical copy <b>${esc(d.canonical)}</b>; origin <b>${esc(outletName(row[3]) || "unknown")}</b></p>` +
    (d.evidence.length ? `<ul class="evidence">${d.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>` : "") + timeline(d.members) +
    `<table class="members"><thead><tr><th>member</th><th>site</th><th>published</th><th>delay</th><th>role</th><th>credit</th><th>Jaccard</th><th>containment</th></tr></thead><tbody>` +
    d.members.map((m) => `<tr data-member="${esc(m[0])}"><td>${isWeb(m[2]) ? `<a href="${esc(m[2])}" rel="noopener noreferrer">${esc(m[3] || m[0])}</a>` : esc(m[3] || m[0])}<div class="muted">${esc(m[0])}${m[2] && !isWeb(m[2]) ? ` · ${esc(m[2])}` : ""}</div></td>` +
      `<td>${esc(D.sites[m[1]])}</td><td>${esc(m[4])}</td><td class="n">${hours(m[5])}</td><td>${esc(m[6])}</td><td>${esc(m[7])}</td>` +
      `<td class="n">${m[8] == null ? "" : m[8].toFixed(3)}</td><td class="n">${m[9] == null ? "" : m[9].toFixed(3)}</td></tr>`).join("") + `</tbody></table>`;
  if (D.texts && D.texts[d.canonical]) {
    html += d.members.filter((m) => m[0] !== d.canonical && D.texts[m[0]]).map((m) =>
      `<h2>${esc(m[0])} beside the canonical copy</h2><div class="texts"><div class="text member">${textOf(m[0])}</div><div class="text canonical">${textOf(d.canonical)}</div></div>`).join("");
  }
  box.innerHTML = html;
  box.scrollIntoView();
  writeHash(id);
}

function writeHash(cluster) {
  const p = new URLSearchParams();
  if ($("q").value) p.set("q", $("q").value);
  if ($("outlet").value) p.set("outlet", outletName(Number($("outlet").value)));
  if ($("site").value) p.set("site", $("site").value);
  if (!$("outlet-page").hidden && !$("outlet").value) p.set("outlet", outletName(Number($("outlet-page").dataset.outlet)));
  const open = cluster || (!$("detail").hidden && $("detail").dataset.id);
  if (open) { p.set("cluster", open); $("detail").dataset.id = open; }
  history.replaceState(null, "", "#" + p.toString());
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  $("q").value = p.get("q") || "";
  $("site").value = p.get("site") || "";
  const outlet = D.outlets.indexOf(p.get("outlet") || "");
  $("outlet").value = outlet >= 0 && D.origins.some((o) => o[0] === outlet) ? String(outlet) : "";
  showOutlet(outlet >= 0 ? outlet : D.open);
  filter();
  if (p.get("cluster")) showCluster(p.get("cluster"));
}

overview();
$("origin-order").addEventListener("change", origins);
$("origins").addEventListener("click", (e) => { const tr = e.target.closest("tr[data-outlet]"); if (tr) { showOutlet(Number(tr.dataset.outlet)); writeHash(); $("outlet-page").scrollIntoView(); } });
$("copies").tHead.addEventListener("click", (e) => { const th = e.target.closest("th[data-sort]"); if (!th) return;
  const col = Number(th.dataset.sort); copySort = [col, copySort[0] === col ? -copySort[1] : 1]; renderCopies(); });
$("copy-credit").addEventListener("change", renderCopies);
$("export").addEventListener("click", exportCopies);
$("close-outlet").addEventListener("click", () => { showOutlet(-1); writeHash(); });
for (const id of ["q", "site"]) $(id).addEventListener("input", filter);
$("outlet").addEventListener("change", filter);
$("more").addEventListener("click", more);
$("clusters").addEventListener("click", (e) => { const tr = e.target.closest("tr.cluster"); if (tr) showCluster(tr.dataset.id); });
readHash();
document.body.dataset.readyMs = String(Math.round(performance.now()));
document.body.dataset.ready = "1";
</script>
</body>
</html>
"""

def _inline_hash(tag: str) -> str:
    """The CSP source that allows the page's one inline ``tag`` element (its SHA-256)."""
    start = _PAGE.index(f"<{tag}>") + len(tag) + 2
    body = _PAGE[start:_PAGE.index(f"</{tag}>", start)]
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"


_CSP = ("default-src 'none'; " f"script-src {_inline_hash('script')}; style-src {_inline_hash('style')}; "
        "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")
"""The page's Content-Security-Policy: its own script and style (by hash) and nothing else: no
other script, no network, no other origin. The data block is JSON, which no browser runs."""

__all__ = ["build_report", "spread", "shared_sentences", "read_records", "DETAIL", "WITH_TEXTS"]
