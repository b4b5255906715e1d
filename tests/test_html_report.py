"""The HTML report: its figures, its texts side by side, the CLI, and the page in a real browser.

The browser tests open the report of a generated corpus in headless Chromium or Chrome (the first
found on the PATH; ``.ci/run`` installs Debian's ``chromium`` where it is missing) and read the page
as the browser rendered it, after its script ran. Without a browser they skip outside CI and fail
in CI.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from services import chromium, required

from dedup.cli import cli
from dedup.errors import InputError
from dedup.outputs.html_report import build_report, read_records, shared_sentences, spread

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "corpus"


def _member(doc_id, site, role="copy", when=None, credit=None, jaccard=0.9, containment=1.0):
    out = {"id": doc_id, "site": site, "role": role, "jaccard": jaccard, "containment": containment,
           "title": f"标题{doc_id}"}
    if when:
        out["published_at"] = when
    if credit:
        out["attributed_source"] = credit
    return out


def _records():
    return [
        {"cluster_id": "c000001", "size": 3, "canonical_id": "a1", "origin": {"outlet": "东海日报", "evidence": ["e"]},
         "members": [_member("a1", "donghai.cn", "canonical", "2026-01-01T08:00:00+08:00", jaccard=1.0),
                     _member("a2", "portal.com", when="2026-01-01T10:00:00+08:00", credit="东海日报"),
                     _member("a3", "mirror.net", when="2026-01-02T08:00:00+08:00")]},
        {"cluster_id": "c000002", "size": 2, "canonical_id": "b1", "origin": {"outlet": "南湖财经", "evidence": []},
         "members": [_member("b1", "nanhu.cn", "canonical", "2026-01-03T08:00:00+08:00", jaccard=1.0),
                     _member("b2", "portal.com", when="2026-01-03T12:00:00+08:00", credit="南湖财经")]},
        {"cluster_id": "c000003", "size": 2, "canonical_id": "c1", "origin": {"outlet": "东海日报", "evidence": []},
         "members": [_member("c1", "donghai.cn", "canonical"), _member("c2", "portal.com")]},
    ]


def test_the_overview_counts_origins_copiers_credit_and_delay():
    data = spread(_records(), detail=2)
    assert data["documents"] == 7 and data["clusters"] == 3
    assert dict(data["sizes"])["2"] == 2 and dict(data["sizes"])["3"] == 1
    origins = {data["outlets"][o]: (stories, copies) for o, stories, copies in data["origins"]}
    assert origins == {"东海日报": (2, 3), "南湖财经": (1, 1)}
    copiers = {data["sites"][s]: (copies, share, delay) for s, copies, share, delay in data["copiers"]}
    # portal.com copied three stories, credited the origin in two; delays 2 h and 4 h (one unknown)
    assert copiers["portal.com"] == (3, round(2 / 3, 3), 3.0)
    assert copiers["mirror.net"] == (1, 0.0, 24.0)
    matrix = data["matrix"]
    portal, donghai = matrix["sites"].index(data["sites"].index("portal.com")), matrix["outlets"].index(
        data["outlets"].index("东海日报"))
    assert matrix["counts"][portal][donghai] == 2
    # every cluster has a row; only the two largest are held in full
    assert [row[0] for row in data["rows"]] == ["c000001", "c000002", "c000003"]
    assert set(data["detail"]) == {"c000001", "c000002"}
    assert [m[5] for m in data["detail"]["c000001"]["members"]] == [0.0, 2.0, 24.0]


def test_shared_sentences_are_the_ones_the_canonical_copy_holds():
    marked = shared_sentences("江城发布补贴细则。\n编辑点评：这是新加的一句。", "江城发布补贴细则，企业可申请。")
    assert marked == [("江城发布补贴细则。", True), ("编辑点评：这是新加的一句。", False)]


def test_bad_lines_are_rejected_with_their_line_and_the_rest_read():
    rejects: list[InputError] = []
    lines = [json.dumps(_records()[0]), "{not json", json.dumps({"cluster_id": "x"}), json.dumps(_records()[1])]
    got = list(read_records(lines, "c.jsonl", rejects))
    assert [r["cluster_id"] for r in got] == ["c000001", "c000002"]
    assert [(e.path, e.line) for e in rejects] == [("c.jsonl", 2), ("c.jsonl", 3)]


def test_the_page_holds_everything_it_shows():
    page = build_report(_records(), keywords_of=lambda text: ["港口", "补贴"])
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    data = json.loads(HTMLParser(page).css_first("#dedup-data").text())
    assert data["detail"]["c000001"]["keywords"] == ["港口", "补贴"]


def _chromium() -> str:
    found = chromium()
    if found is None:
        required("Chromium or Chrome on the PATH", "apt-get install chromium; .ci/run does it")
    return found


def _rendered(page: Path, fragment: str = "") -> HTMLParser:
    """The page as headless Chromium rendered it, after its script ran."""
    done = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri() + fragment],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = HTMLParser(done.stdout)
    assert dom.css_first("body").attributes.get("data-ready") == "1", "the page's script did not finish"
    return dom


@pytest.fixture(scope="module")
def report(labelled_corpus, tmp_path_factory):
    corpus = labelled_corpus(40, 21) / "corpus"
    out = tmp_path_factory.mktemp("report")
    runner = CliRunner()
    scanned = runner.invoke(cli, ["scan", str(corpus), "-o", str(out / "clusters.jsonl")], catch_exceptions=False)
    assert scanned.exit_code in (0, 3), scanned.output
    made = runner.invoke(cli, ["report", str(out / "clusters.jsonl"), "-o", str(out / "report.html"),
                               "--corpus", str(corpus)], catch_exceptions=False)
    assert made.exit_code == 0, made.output
    records = [json.loads(line) for line in (out / "clusters.jsonl").read_text(encoding="utf-8").splitlines()]
    return out / "report.html", records


@pytest.mark.browser
def test_chromium_renders_the_overview_the_charts_and_the_clusters(report):
    page, records = report
    dom = _rendered(page)
    assert dom.css_first("#cluster-count").text() == f"{len(records):,}"
    assert dom.css_first("#documents").text() == f"{sum(r['size'] for r in records):,}"
    assert len(dom.css("#sizes rect.bar")) == 10
    rows = dom.css("#clusters tbody tr.cluster")
    assert len(rows) == min(100, len(records))
    assert [row.attributes["data-id"] for row in rows] == [r["cluster_id"] for r in records[:len(rows)]]
    assert dom.css("#origins tbody tr") and dom.css("#copiers tbody tr") and dom.css("#matrix td.heat")


@pytest.mark.browser
def test_chromium_filters_by_outlet_and_opens_a_cluster_with_its_texts(report):
    page, records = report
    outlet = records[0]["origin"]["outlet"]
    dom = _rendered(page, f"#outlet={outlet}")
    expected = [r["cluster_id"] for r in records if (r.get("origin") or {}).get("outlet") == outlet]
    shown = [row.attributes["data-id"] for row in dom.css("#clusters tbody tr.cluster")]
    assert shown == expected[:100] and len(expected) < len(records)
    assert dom.css_first("#matching").text().startswith(f"{len(expected)} of")
    # a cluster's view: its members, and each member's text beside the canonical copy's
    with_removals = next(r for r in records if any(m["id"].startswith(("kuaibao", "news-digest")) for m in r["members"]))
    dom = _rendered(page, f"#cluster={with_removals['cluster_id']}")
    detail = dom.css_first("#detail")
    assert "hidden" not in detail.attributes
    assert len(detail.css("table.members tbody tr")) == with_removals["size"]
    assert detail.css("svg.timeline circle")
    assert detail.css(".text.member mark") and detail.css(".text.canonical")
    assert detail.css("del"), "what cleaning removed is shown struck out"


PWN = "document.body.dataset.pwned"
HOSTILE = [f'<img src=x onerror="{PWN}=1">', f"<script>{PWN}=2</script>", f'"><svg onload="{PWN}=3">',
           f"'><iframe srcdoc='<script>parent.{PWN}=4</script>'>", "</script><script>" + PWN + "=5</script>"]


def _hostile_corpus(root: Path) -> None:
    """Three stories, each in three copies, every field a crawled page controls made hostile."""
    from benchmarks.textgen import TextModel

    model = TextModel(seed=8)
    lines = []
    for story in range(3):
        text = model.paragraphs(model.rng, 900)
        urls = [f"javascript:{PWN}=6", f"data:text/html,<script>{PWN}=7</script>", f"https://ok.example/{story}.html"]
        for copy in range(3):
            bad = HOSTILE[(story + copy) % len(HOSTILE)]
            lines.append(json.dumps({
                "id": f"{bad}#{story}-{copy}", "url": urls[copy], "site": f"{bad}.example",
                "title": f"{bad} {model.title(model.rng)}",
                "text": f"来源：{bad}日报\n{text}\n{bad}", "published_at": f"2026-03-0{copy + 1}T08:00:00+08:00"},
                ensure_ascii=False))
    (root / "hostile.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.browser
def test_a_hostile_corpus_runs_no_script_makes_no_unsafe_link_and_shows_every_cluster(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _hostile_corpus(corpus)
    runner = CliRunner()
    scanned = runner.invoke(cli, ["scan", str(corpus), "-o", str(tmp_path / "c.jsonl"), "--keywords", "--workers", "1"])
    assert scanned.exit_code == 0, scanned.output
    records = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3 and all(r["size"] == 3 for r in records)
    # hostile keywords and outlet names too, as a hand-edited or foreign file may carry them
    for record in records:
        record["keywords"] = [HOSTILE[0], HOSTILE[1]]
        record["origin"] = {"outlet": HOSTILE[2], "evidence": [HOSTILE[3]]}
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    made = runner.invoke(cli, ["report", str(tmp_path / "c.jsonl"), "-o", str(tmp_path / "r.html"), "--corpus", str(corpus)])
    assert made.exit_code == 0, made.output
    page = tmp_path / "r.html"
    assert "Content-Security-Policy" in page.read_text(encoding="utf-8")

    dom = _rendered(page)
    assert [row.attributes["data-id"] for row in dom.css("#clusters tbody tr.cluster")] == [r["cluster_id"] for r in records]
    for record in records:
        dom = _rendered(page, f"#cluster={record['cluster_id']}")
        body = dom.css_first("body")
        assert "data-pwned" not in body.attributes, "script from the data ran"
        assert not dom.css("#detail img, #detail iframe, #detail script, #clusters img, #clusters script")
        assert len(dom.css("#detail table.members tbody tr")) == 3
        hrefs = [a.attributes.get("href") or "" for a in dom.css("a")]
        assert hrefs and all(href.startswith("https://") for href in hrefs), hrefs
        shown = dom.css_first("#detail").text()
        assert f"javascript:{PWN}=6" in shown  # the address is there, as text
        assert HOSTILE[1] in shown  # the title's markup is shown as the characters it is


@pytest.mark.browser
def test_chromium_opens_an_outlets_page_with_every_copy_sorted_by_delay(report):
    from dedup.outputs.copies import copies_in
    from dedup.text.outlets import OutletTable

    page, records = report
    outlet = records[0]["origin"]["outlet"]
    expected = list(copies_in(records, outlet, OutletTable.default()))
    dom = _rendered(page, f"#outlet={outlet}")
    box = dom.css_first("#outlet-page")
    assert "hidden" not in box.attributes and outlet in box.css_first("#outlet-title").text()
    rows = box.css("#copies tbody tr")
    assert sorted(row.attributes["data-id"] for row in rows) == sorted(copy.id for copy in expected)
    delays = [copy.delay_hours for copy in sorted(expected, key=lambda c: (c.delay_hours is None, c.delay_hours or 0))]
    shown = {copy.id: copy.delay_hours for copy in expected}
    assert [shown[row.attributes["data-id"]] for row in rows] == delays
    assert box.css_first("#export") is not None
