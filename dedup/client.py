"""A client for ``dedup serve``: the library's verdicts over HTTP (needs httpx: the ``serve`` extra).

>>> client = Client("http://127.0.0.1:8000", token=None)
>>> client.url
'http://127.0.0.1:8000'
>>> client.close()

Requests that fail on the way (the connection refused or reset, a timeout, an answer 502, 503
or 504) are sent again, up to ``retries`` times with a growing pause: safe, because adding a
document is idempotent by id and content (a document sent twice is stored once; the second
answer says ``unchanged``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from dedup.document import Document
from dedup.engines.incremental.verdicts import Match, Verdict
from dedup.errors import DedupError

RETRIED = (502, 503, 504)


class ServiceError(DedupError):
    """The service answered with an error: its HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def verdict_of(data: dict[str, Any]) -> Verdict:
    """A :class:`~dedup.Verdict` from its JSON form (what the service answers)."""
    fields = dict(data)
    fields["matches"] = [Match(**match) for match in fields.get("matches", [])]
    return Verdict(**fields)


def _payload(doc: Document | dict[str, Any]) -> dict[str, Any]:
    if isinstance(doc, Document):
        return {key: value for key, value in (("id", doc.id), ("text", doc.text), ("title", doc.title),
                                              ("url", doc.url), ("site", doc.site),
                                              ("published_at", doc.published_at)) if value}
    return doc


class Client:
    """Talks to the service at ``url`` with the bearer ``token`` (None where it needs none)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0, retries: int = 4) -> None:
        import httpx

        self._httpx = httpx
        self.url = url.rstrip("/")
        self.retries = retries
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        pause = 0.2
        for attempt in range(self.retries + 1):
            try:
                answer = self._http.request(method, path, json=body)
            except (self._httpx.TransportError, self._httpx.TimeoutException):
                if attempt == self.retries:
                    raise
            else:
                if answer.status_code not in RETRIED or attempt == self.retries:
                    break
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
        if answer.status_code >= 400:
            try:
                error = answer.json()["error"]
                code, message = error["code"], error["message"]
            except (ValueError, KeyError, TypeError):
                code, message = "http", answer.text[:200]
            raise ServiceError(answer.status_code, code, message)
        return answer.json()

    def add(self, doc: Document | dict[str, Any]) -> Verdict:
        """Add one document; its verdict."""
        return verdict_of(self._send("POST", "/v1/documents", _payload(doc)))

    def add_many(self, docs: Iterable[Document | dict[str, Any]], batch: int = 100) -> list[Verdict]:
        """Add documents in batches of ``batch`` (each one transaction on the service); a verdict each, in order."""
        verdicts: list[Verdict] = []
        pending: list[dict[str, Any]] = []
        for doc in docs:
            pending.append(_payload(doc))
            if len(pending) == batch:
                verdicts += self._batch(pending)
                pending = []
        if pending:
            verdicts += self._batch(pending)
        return verdicts

    def _batch(self, docs: list[dict[str, Any]]) -> list[Verdict]:
        return [verdict_of(v) for v in self._send("POST", "/v1/documents:batch", {"documents": docs})["verdicts"]]

    def query(self, doc: Document | dict[str, Any]) -> Verdict:
        """The verdict ``doc`` would get; nothing is stored."""
        return verdict_of(self._send("POST", "/v1/query", _payload(doc)))

    def explain(self, doc_id: str) -> str:
        """Why a stored document is, or is not, grouped (what ``dedup explain --db`` prints)."""
        return str(self._send("GET", f"/v1/documents/{doc_id}/explain")["explanation"])

    def cluster(self, doc_id: str) -> dict[str, Any]:
        """The cluster of a stored document, in ``dedup scan``'s record format."""
        return dict(self._send("GET", f"/v1/clusters/{doc_id}"))

    def copies(self, outlet: str, since: str | None = None, until: str | None = None,
               credits: list[str] | None = None) -> list[dict[str, Any]]:
        """Every copy of ``outlet``'s stories (:meth:`dedup.Index.copies`), as dicts."""
        from urllib.parse import urlencode

        query = [("outlet", outlet)] + [(k, v) for k, v in (("since", since), ("until", until)) if v]
        query += [("credit", kind) for kind in credits or ()]
        return list(self._send("GET", "/v1/copies?" + urlencode(query))["copies"])

    def stats(self) -> dict[str, Any]:
        return dict(self._send("GET", "/v1/stats"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
