"""Real articles reposted into real templates: is the original chosen as the canonical copy?

    python -m benchmarks.reposts [--root ../shared/realpages] [--show 10]

Built at run time from ``../shared/realpages`` (nothing is written to the repository): each page
with an article of three paragraphs or more is an original, kept byte for byte under a site of its
own; its article text is put into the article region of two other real pages of the same language
(the templates of two other sites, as :mod:`benchmarks.extraction` builds template siblings), each
repost dated one to three days after the original by an ``article:published_time`` tag. The
original's date is the later of the one a person read off the page (``published`` in the manifest)
and the one htmldate finds; pages with neither are left out.

All stories are scanned together, as one corpus (each template site then holds two reposts), and
for each story: whether the original and its reposts share a cluster, and whether the original is
its canonical copy. Printed per language, with the misses (``--show``) and why the chooser ranked
the winner first.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.extraction import _article_region, _in_template, _paragraphs

ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"


def _parse_day(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("/", "-")[:19].strip()).replace(tzinfo=None)
    except ValueError:
        try:
            return datetime.strptime(text.split()[0].replace("/", "-"), "%Y-%m-%d")
        except ValueError:
            return None


def original_date(row: dict[str, Any], html: str) -> datetime | None:
    """When the original was published: the later of the date a person read off the page and the
    one htmldate reads, so that every repost comes after any date the page gives itself (one
    manifest date is a video player's build time, days before the article)."""
    try:
        import htmldate

        found = htmldate.find_date(html, extensive_search=False, original_date=True)
    except (ImportError, ValueError):
        found = None
    dates = [day for day in (_parse_day(row.get("published")), _parse_day(found)) if day is not None]
    return max(dates) if dates else None


def build(root: Path, seed: int = 5) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """The documents (originals and reposts) and, per story, its original's id, its reposts' ids and language."""
    from dedup.io.decoding import declared_charset, decode
    from dedup.io.readers import read_page

    rng = random.Random(seed)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts = {row["name"]: (root / row["expected"]).read_text(encoding="utf-8") for row in rows}
    htmls = {}
    for row in rows:
        data = (root / row["page"]).read_bytes()
        htmls[row["name"]] = (data, decode(data, declared_charset(data))[0])
    docs, stories = [], {}
    for lang in ("zh", "en"):
        group = [row for row in rows if row["group"].startswith(lang) and len(_paragraphs(texts[row["name"]])) >= 3]
        for k, row in enumerate(group):
            name = row["name"]
            when = original_date(row, htmls[name][1])
            if when is None:
                continue
            original_id = f"orig-{name}.example/{name}.html"
            reposts = []
            for step in (1, 2):
                template = group[(k + step) % len(group)]
                found = _article_region(htmls[template["name"]][1], texts[template["name"]])
                if found is None:
                    continue
                page = _in_template(*found, texts[name])
                later = (when.replace(hour=12, minute=0, second=0) + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 11)))
                stamp = later.strftime("%Y-%m-%dT%H:%M:%S") + ("+08:00" if lang == "zh" else "+00:00")
                tag = f'<meta property="article:published_time" content="{stamp}">'
                head = re.search(r"<head[^>]*>", page, re.IGNORECASE)
                page = page[: head.end()] + tag + page[head.end():] if head else tag + page
                repost_id = f"tmpl-{template['name']}.example/{name}.html"
                docs.append(read_page(page.encode("utf-8"), repost_id))
                reposts.append(repost_id)
            if not reposts:
                continue
            docs.append(read_page(htmls[name][0], original_id))
            stories[name] = {"original": original_id, "reposts": reposts, "lang": lang}
    return docs, stories


def measure(root: Path) -> tuple[dict[str, dict[str, int]], list[tuple[str, Any, Any]]]:
    """Per language: stories, originals clustered with their reposts, originals chosen canonical;
    and the misses (story, cluster, result) of clusters that chose another member."""
    from dedup import Config, scan

    docs, stories = build(root)
    result = scan(docs, Config())
    by_id = {doc.id: k for k, doc in enumerate(result.docs)}
    tally: dict[str, dict[str, int]] = {}
    misses = []
    for name, story in sorted(stories.items()):
        counts = tally.setdefault(story["lang"], {"stories": 0, "clustered": 0, "canonical": 0})
        counts["stories"] += 1
        cluster = result.cluster_of(by_id[story["original"]])
        members = {result.docs[m].id for m in cluster.members} if cluster else set()
        counts["clustered"] += set(story["reposts"]) <= members
        if cluster is None or len(cluster.members) < 2:
            continue
        right = result.docs[cluster.canonical].id == story["original"]
        counts["canonical"] += right
        if not right:
            misses.append((name, cluster, result))
    return tally, misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--show", type=int, default=10, help="print up to this many misses, with the chooser's reasons")
    args = parser.parse_args(argv)
    if not (args.root / "manifest.jsonl").is_file():
        print(f"no realpages at {args.root}", file=sys.stderr)
        return 2
    tally, misses = measure(args.root)
    print("| language | stories | original clustered with its reposts | original chosen canonical |")
    print("|---|---|---|---|")
    for lang, counts in tally.items():
        n = counts["stories"]
        print(f"| {lang} | {n} | {counts['clustered'] / n:.3f} | {counts['canonical'] / n:.3f} ({counts['canonical']}) |")
    for name, cluster, result in misses[: args.show]:
        print(f"\n{name}: canonical {result.docs[cluster.canonical].id}; ranking:")
        for position, reasons in cluster.choice.ranking:
            print(f"  {result.docs[cluster.members[position]].id}: {'; '.join(reasons)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
