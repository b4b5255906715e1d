"""A Scrapy item pipeline that asks dedup about every crawled page (the ``scrapy`` extra).

Enable it in the project's settings::

    ITEM_PIPELINES = {"dedup.integrations.scrapy.DedupPipeline": 300}
    DEDUP_URL = "http://127.0.0.1:8000"     # a `dedup serve`; or DEDUP_DB = "news.db" for a local index
    DEDUP_TOKEN = "..."                       # the service's bearer token, if it has tokens
    DEDUP_DROP_REPOSTS = False                # True drops the items that repeat a stored story

Each item's ``text``, ``title``, ``url``, ``site`` and ``published_at`` (or ``date``) are sent,
under its ``id`` (or its ``url``); the verdict, as the library's JSON form, is stored on the item
under ``dedup`` (``DEDUP_FIELD`` names another field). Calls are synchronous: one page at a time
per crawler process, which a local index or a service on the same network answers in
milliseconds.

>>> DedupPipeline(index="news.db").drop_reposts
False
"""

from __future__ import annotations

import logging
from typing import Any

from dedup.engines.incremental.verdicts import Verdict

log = logging.getLogger("dedup")

FIELDS = ("text", "title", "url", "site", "published_at")


def item_document(item: Any) -> dict[str, Any]:
    """The document dedup is sent for a Scrapy item (an ``ItemAdapter`` reads any kind of item).

    >>> item_document({"url": "https://a.cn/1.html", "text": "正文", "date": "2024-03-12"})["id"]
    'https://a.cn/1.html'
    """
    from itemadapter import ItemAdapter

    adapter = ItemAdapter(item)
    doc = {name: adapter.get(name) for name in FIELDS if adapter.get(name)}
    if "published_at" not in doc and adapter.get("date"):
        doc["published_at"] = str(adapter.get("date"))
    doc["id"] = str(adapter.get("id") or adapter.get("url") or "")
    return doc


class DedupPipeline:
    """Adds each item to a dedup index (a service by URL, or a local index by path) and keeps the
    verdict on the item; drops reposts when told to."""

    def __init__(self, url: str | None = None, index: str | None = None, token: str | None = None,
                 drop_reposts: bool = False, field: str = "dedup") -> None:
        if (url is None) == (index is None):
            raise ValueError("DedupPipeline needs exactly one of DEDUP_URL (a dedup serve) and DEDUP_DB (an index)")
        self.url, self.index_location, self.token = url, index, token
        self.drop_reposts, self.field = drop_reposts, field
        self._backend: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        settings = crawler.settings
        return cls(url=settings.get("DEDUP_URL"), index=settings.get("DEDUP_DB"), token=settings.get("DEDUP_TOKEN"),
                   drop_reposts=settings.getbool("DEDUP_DROP_REPOSTS"), field=settings.get("DEDUP_FIELD", "dedup"))

    def open_spider(self, spider: Any = None) -> None:
        if self.url is not None:
            from dedup.client import Client

            self._backend = Client(self.url, self.token)
        else:
            from dedup.engines.incremental.index import Index

            assert self.index_location is not None
            self._backend = Index(self.index_location)

    def close_spider(self, spider: Any = None) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def process_item(self, item: Any, spider: Any = None) -> Any:
        from itemadapter import ItemAdapter
        from scrapy.exceptions import DropItem

        verdict: Verdict = self._backend.add(item_document(item))
        adapter = ItemAdapter(item)
        try:
            adapter[self.field] = verdict.to_dict()
        except KeyError:  # a declared Item without the field: the verdict is logged only
            log.debug("item has no %r field for its verdict", self.field)
        if self.drop_reposts and verdict.status == "repost":
            raise DropItem(f"{verdict.id} repeats {verdict.canonical_id} (containment {verdict.containment})")
        return item
