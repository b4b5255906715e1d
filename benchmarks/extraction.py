"""Article text from real pages: dedup's extraction and cleaning against the expected text.

Runs over ``../shared/realpages`` (manifest, pages, expected text; its README defines the score):
per group, mean recall and precision of 5-character shingles, pages under 0.5 recall, publication
date right to the day where the manifest gives one, and the median time per page. trafilatura runs
side by side on the same pages, given the bytes and given the text dedup decoded.

    python -m benchmarks.extraction [--root ../shared/realpages] [--worst 5] [--only dedup]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opencc

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"
_T2S = opencc.OpenCC("t2s")
_DAY = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")


def score_key(text: str) -> str:
    """The realpages README's form of a text: NFKC, Simplified, casefolded, letters and digits only.

    >>> score_key("Ｈｅｌｌｏ, 這是！")
    'hello这是'
    """
    folded = _T2S.convert(unicodedata.normalize("NFKC", text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def shingles(text: str, k: int = 5) -> set[str]:
    key = score_key(text)
    if len(key) < k:
        return {key} if key else set()
    return {key[i:i + k] for i in range(len(key) - k + 1)}


def recall_precision(expected: str, extracted: str) -> tuple[float, float]:
    """Shares of the expected shingles found, and of the extracted shingles expected.

    >>> recall_precision("今天天气很好我们去公园", "今天天气很好")
    (0.2857142857142857, 1.0)
    >>> recall_precision("今天天气很好", "")
    (0.0, 0.0)
    """
    want, got = shingles(expected), shingles(extracted)
    if not want:
        return (1.0, 1.0) if not got else (1.0, 0.0)
    if not got:
        return 0.0, 0.0
    common = len(want & got)
    return common / len(want), common / len(got)


def same_day(expected: str | None, found: str | None) -> bool | None:
    """None when the manifest gives no full date; else whether ``found`` is on that day.

    >>> same_day("2005-5-7 21:23:57", "2005-05-07T21:23:57+08:00"), same_day("2018", "2018-01-01")
    (True, None)
    """
    if not expected:
        return None
    want = _DAY.search(expected)
    if not want:
        return None
    got = _DAY.search(found or "")
    if not got:
        return False
    return tuple(int(x) for x in want.groups()) == tuple(int(x) for x in got.groups())


@dataclass
class Extraction:
    text: str
    published: str | None = None


@dataclass
class PageScore:
    group: str
    name: str
    recall: float
    precision: float
    date_right: bool | None
    ms: float


@dataclass
class GroupScore:
    pages: list[PageScore] = field(default_factory=list)

    def row(self) -> dict[str, float | int | str]:
        dated = [p.date_right for p in self.pages if p.date_right is not None]
        return {
            "pages": len(self.pages),
            "recall": statistics.fmean(p.recall for p in self.pages),
            "precision": statistics.fmean(p.precision for p in self.pages),
            "under_0.5": sum(p.recall < 0.5 for p in self.pages),
            "date": f"{sum(dated)}/{len(dated)}" if dated else "-",
            "median_ms": statistics.median(p.ms for p in self.pages),
        }


def dedup_extractor() -> Callable[[bytes, str], Extraction]:
    from dedup.outputs.article import extract_bytes

    def run(data: bytes, relpath: str) -> Extraction:
        result = extract_bytes(data, relpath)
        return Extraction(result.text, result.published_at)

    return run


def _trafilatura_result(found: Any) -> Extraction:
    if found is None:
        return Extraction("")
    if isinstance(found, dict):  # older trafilatura returns a dict
        return Extraction(found.get("text") or "", found.get("date"))
    return Extraction(found.text or "", found.date)


def trafilatura_bytes() -> Callable[[bytes, str], Extraction]:
    import trafilatura

    def run(data: bytes, relpath: str) -> Extraction:
        return _trafilatura_result(trafilatura.bare_extraction(data, with_metadata=True))

    return run


def trafilatura_decoded() -> Callable[[bytes, str], Extraction]:
    import trafilatura

    from dedup.io.decoding import declared_charset, decode

    def run(data: bytes, relpath: str) -> Extraction:
        text, _ = decode(data, declared_charset(data))
        return _trafilatura_result(trafilatura.bare_extraction(text, with_metadata=True))

    return run


def dedup_with_fallback() -> Callable[[bytes, str], Extraction]:
    """A design measured against the chosen one: dedup's extraction, and trafilatura on the decoded
    page when dedup's article is short (under 200 characters) or under a third of trafilatura's."""
    import trafilatura

    from dedup.io.decoding import declared_charset, decode

    fast = dedup_extractor()

    def run(data: bytes, relpath: str) -> Extraction:
        found = fast(data, relpath)
        if len(found.text) >= 200:
            return found
        text, _ = decode(data, declared_charset(data))
        other = _trafilatura_result(trafilatura.bare_extraction(text, with_metadata=True))
        return other if len(other.text) > 3 * len(found.text) else found

    return run


def readability_extractor() -> Callable[[bytes, str], Extraction]:
    """readability-lxml on the text dedup decoded, its summary HTML reduced to text."""
    from readability import Document as ReadableDocument
    from selectolax.lexbor import LexborHTMLParser

    from dedup.io.decoding import declared_charset, decode

    def run(data: bytes, relpath: str) -> Extraction:
        text, _ = decode(data, declared_charset(data))
        summary = ReadableDocument(text).summary(html_partial=True)
        return Extraction(LexborHTMLParser(summary).text(separator="\n"))

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[bytes, str], Extraction]]] = {
    "dedup": dedup_extractor,
    "trafilatura (bytes)": trafilatura_bytes,
    "trafilatura (dedup-decoded)": trafilatura_decoded,
    "readability-lxml (dedup-decoded)": readability_extractor,
    "dedup + trafilatura fallback": dedup_with_fallback,
}


def run_extractor(root: Path, extract: Callable[[bytes, str], Extraction]) -> list[PageScore]:
    scores = []
    for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        data = (root / row["page"]).read_bytes()
        expected = (root / row["expected"]).read_text(encoding="utf-8")
        start = time.perf_counter()
        try:
            found = extract(data, f"{row['group']}/{row['name']}.html")
        except Exception as exc:  # one failing page is a zero, not the end of the benchmark
            print(f"  {row['name']}: {exc!r}")
            found = Extraction("")
        ms = (time.perf_counter() - start) * 1000
        recall, precision = recall_precision(expected, found.text)
        scores.append(PageScore(row["group"], row["name"], recall, precision,
                                same_day(row.get("published"), found.published), ms))
    return scores


def by_group(scores: list[PageScore]) -> dict[str, GroupScore]:
    groups: dict[str, GroupScore] = {}
    for score in scores:
        groups.setdefault(score.group, GroupScore()).pages.append(score)
    lang: dict[str, GroupScore] = {"Chinese (all)": GroupScore(), "English (all)": GroupScore()}
    for score in scores:
        lang["Chinese (all)" if score.group.startswith("zh") else "English (all)"].pages.append(score)
    return {**dict(sorted(groups.items())), **{k: v for k, v in lang.items() if v.pages}}


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if len(line.strip()) >= 20]


def _article_region(html: str, expected: str) -> tuple[Any, Any] | None:
    """The page's tree and the smallest element holding its expected article's first and last paragraphs."""
    from selectolax.lexbor import LexborHTMLParser

    paragraphs = _paragraphs(expected)
    if len(paragraphs) < 2:
        return None
    first, last = (" ".join(p.split())[:16] for p in (paragraphs[0], paragraphs[-1]))
    tree = LexborHTMLParser(html)
    # Scripts and templates often carry the article again (JSON state); the region is visible markup.
    tree.strip_tags(["script", "style", "noscript", "template", "textarea"])
    for node in tree.css("[style]"):
        if "display:none" in (node.attributes.get("style") or "").replace(" ", "").lower():
            node.decompose()  # a hidden copy of the article is not where readers see it
    best = None
    for node in tree.css("body *"):
        text = " ".join(node.text(deep=True).split())
        if first in text and last in text:
            best = node  # document order: later matches are deeper
    return (tree, best) if best is not None else None


def _in_template(tree: Any, region: Any, article: str) -> str:
    from html import escape

    paragraphs = _paragraphs(article)
    region.inner_html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    title = paragraphs[0][:30]
    for node in tree.css("title, h1"):
        node.inner_html = escape(title)
    return str(tree.html)


def template_siblings(root: Path) -> dict[str, int]:
    """Pairs of pages built at run time from one real template holding two different articles (they
    must stay apart), and the same article in two different templates (it must be found)."""
    from dedup import Config, scan
    from dedup.io.decoding import declared_charset, decode
    from dedup.io.readers import read_page

    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts = {row["name"]: (root / row["expected"]).read_text(encoding="utf-8") for row in rows}
    counts = {"sibling pairs": 0, "siblings matched (false)": 0, "copy pairs": 0, "copies matched (true)": 0}
    for lang in ("zh", "en"):
        group = [row for row in rows if row["group"].startswith(lang) and len(_paragraphs(texts[row["name"]])) >= 3]
        for k, row in enumerate(group):
            data = (root / row["page"]).read_bytes()
            html, _ = decode(data, declared_charset(data))
            a, b = group[(k + 1) % len(group)]["name"], group[(k + 2) % len(group)]["name"]
            other = group[(k + 3) % len(group)]
            pages = {}
            for article in (a, b):
                found = _article_region(html, texts[row["name"]])
                if found is None:
                    break
                pages[article] = _in_template(*found, texts[article])
            if len(pages) < 2:
                continue
            other_data = (root / other["page"]).read_bytes()
            other_html, _ = decode(other_data, declared_charset(other_data))
            found = _article_region(other_html, texts[other["name"]])
            docs = [read_page(pages[a].encode(), f"tmpl.example/{a}.html"),
                    read_page(pages[b].encode(), f"tmpl.example/{b}.html")]
            if found is not None:
                docs.append(read_page(_in_template(*found, texts[a]).encode(), f"other.example/{a}.html"))
            result = scan(docs, Config())
            together = {frozenset(result.docs[m].id for m in c.members) for c in result.clusters}
            ids = [d.id for d in docs]
            counts["sibling pairs"] += 1
            counts["siblings matched (false)"] += any({ids[0], ids[1]} <= group_ids for group_ids in together)
            if found is not None:
                counts["copy pairs"] += 1
                counts["copies matched (true)"] += any({ids[0], ids[2]} <= group_ids for group_ids in together)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--only", choices=sorted(EXTRACTORS), action="append")
    parser.add_argument("--worst", type=int, default=5, help="list the N pages of lowest recall (dedup)")
    parser.add_argument("--json", type=Path, help="write per-page scores here")
    parser.add_argument("--no-siblings", action="store_true", help="skip the template-sibling pairs")
    args = parser.parse_args(argv)
    if not (args.root / "manifest.jsonl").exists():
        parser.error(f"no manifest.jsonl under {args.root}")
    names = args.only or list(EXTRACTORS)
    print("| extractor | group | pages | recall | precision | under 0.5 | date right | median ms |")
    print("|---|---|---|---|---|---|---|---|")
    per_page: dict[str, list[dict[str, object]]] = {}
    for name in names:
        scores = run_extractor(args.root, EXTRACTORS[name]())
        per_page[name] = [vars(s) for s in scores]
        for group, summary in by_group(scores).items():
            r = summary.row()
            print(f"| {name} | {group} | {r['pages']} | {r['recall']:.3f} | {r['precision']:.3f} | "
                  f"{r['under_0.5']} | {r['date']} | {r['median_ms']:.1f} |")
        if name == "dedup" and args.worst:
            worst = sorted(scores, key=lambda s: s.recall)[: args.worst]
            low_precision = sorted(scores, key=lambda s: s.precision)[: args.worst]
            print("\nlowest recall: " + ", ".join(f"{s.group}/{s.name} {s.recall:.2f}/{s.precision:.2f}" for s in worst))
            print("lowest precision: " + ", ".join(f"{s.group}/{s.name} {s.recall:.2f}/{s.precision:.2f}"
                                                   for s in low_precision) + "\n")
    if not args.no_siblings:
        counts = template_siblings(args.root)
        print("template siblings (two articles in one real template; the same article in two templates): "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.json:
        args.json.write_text(json.dumps(per_page, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
