"""The Scrapy pipeline in a real crawl: a generated site (stories and their reposts in other
templates) served on 127.0.0.1, crawled by ``scrapy runspider`` through ``DedupPipeline`` into a
local index and into ``dedup serve``. The index then holds the clusters ``dedup scan`` finds in
the same pages."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_serve import Served
from test_store_postgres import _scanned_stories, _stories

from dedup.engines.incremental.index import Index
from dedup.integrations.scrapy import DedupPipeline, item_document

SPIDER = '''
import scrapy
from dedup.io.readers import read_page


class SiteSpider(scrapy.Spider):
    name = "site"
    start_urls = [{start!r}]

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.page)

    def page(self, response):
        relpath = response.url.split("/pages/", 1)[1]
        doc = read_page(response.body, relpath)  # what a scan reads from the same bytes
        # as a scan reads the file: the address the page states (a document's site is its
        # address's host), else the site its folder names (not the test server's 127.0.0.1)
        yield {{"id": doc.id, "url": doc.url, "title": doc.title, "text": doc.text,
                "site": doc.site or relpath.split("/", 1)[0], "published_at": doc.published_at}}
'''


@pytest.fixture(scope="module")
def site(labelled_corpus, tmp_path_factory):
    """The labelled corpus's pages (HTML and text: one page a file) under /pages/, and a list of links."""
    root = tmp_path_factory.mktemp("site")
    pages = root / "pages"
    source = labelled_corpus(20, 8) / "corpus"
    for path in sorted(source.rglob("*")):
        if path.suffix in (".html", ".txt"):
            target = pages / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    links = "".join(f'<a href="/pages/{p.relative_to(pages).as_posix()}">{k}</a>\n'
                    for k, p in enumerate(sorted(q for q in pages.rglob("*") if q.is_file())))
    (root / "index.html").write_text(f"<html><body>{links}</body></html>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gold = [json.loads(line) for line in (source.parent / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    yield pages, f"http://127.0.0.1:{server.server_address[1]}/index.html", {g["id"]: g["kind"] for g in gold}
    server.shutdown()


def _same_as_scan(crawled: dict, pages: Path, kinds: dict[str, str]) -> None:
    """The index's clusters are the scan's, but for one known difference: a scan learns a site's
    template lines from the whole corpus, an index as pages arrive, so the first short items of a
    site that share only its long boilerplate blurb (the generator's "boilerplate" kind, each a
    different story) are grouped until the index has seen enough pages to tell the blurb is template
    or common (the generator's sites of one family share it)."""
    scanned = _scanned_stories([pages])
    assert not set(scanned) - set(crawled), "a cluster of the scan is missing"
    for extra in set(crawled) - set(scanned):
        assert {kinds[doc_id] for doc_id in extra} == {"boilerplate"}, extra


def _crawl(start: str, tmp_path: Path, *settings: str) -> list[dict]:
    spider = tmp_path / "spider.py"
    spider.write_text(SPIDER.format(start=start), encoding="utf-8")
    out = tmp_path / "items.jsonl"
    options = ["-s", "ITEM_PIPELINES={\"dedup.integrations.scrapy.DedupPipeline\": 300}", "-s", "LOG_LEVEL=WARNING",
               "-s", "ROBOTSTXT_OBEY=False", "-s", "TELNETCONSOLE_ENABLED=False"]
    for setting in settings:
        options += ["-s", setting]
    done = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), "-O", f"{out}:jsonlines",
                           *options], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_crawl_through_the_pipeline_builds_the_clusters_of_a_scan(site, tmp_path):
    pages, start, kinds = site
    items = _crawl(start, tmp_path, f"DEDUP_DB={tmp_path / 'crawl.db'}")
    assert len(items) == sum(1 for p in pages.rglob("*") if p.is_file())
    assert all(item["dedup"]["id"] == item["id"] for item in items)
    statuses = {item["dedup"]["status"] for item in items}
    assert "repost" in statuses and "new" in statuses
    with Index(tmp_path / "crawl.db", readonly=True) as index:
        crawled = _stories(index.clusters())
    assert len(crawled) >= 10
    _same_as_scan(crawled, pages, kinds)


def test_the_pipeline_through_dedup_serve_drops_reposts_when_told(site, tmp_path):
    pages, start, kinds = site
    served = Served(str(tmp_path / "served.db"), tmp_path)
    try:
        kept = _crawl(start, tmp_path, f"DEDUP_URL={served.url}", "DEDUP_DROP_REPOSTS=True")
    finally:
        assert served.stop() == 0
    assert kept and all(item["dedup"]["status"] != "repost" for item in kept)
    with Index(tmp_path / "served.db", readonly=True) as index:
        assert len(index) == sum(1 for p in pages.rglob("*") if p.is_file())  # dropped items are stored too
        _same_as_scan(_stories(index.clusters()), pages, kinds)


def test_item_documents_and_settings():
    doc = item_document({"url": "https://a.cn/1.html", "text": "正文", "title": "标题", "date": "2024-03-12"})
    assert doc == {"id": "https://a.cn/1.html", "url": "https://a.cn/1.html", "text": "正文", "title": "标题",
                   "published_at": "2024-03-12"}
    with pytest.raises(ValueError, match="exactly one of DEDUP_URL"):
        DedupPipeline()
    with pytest.raises(ValueError, match="exactly one of DEDUP_URL"):
        DedupPipeline(url="http://127.0.0.1:8000", index="news.db")
