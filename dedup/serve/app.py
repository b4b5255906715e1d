"""``dedup serve``: a JSON HTTP service over one index, for crawlers that are not Python.

A Starlette application; uvicorn runs it (``dedup serve`` starts it, one or more worker
processes). Each process opens the index once and answers with the library's own verdicts. Every
add is committed before its answer is sent, so an acknowledged document is never lost; on
SIGTERM uvicorn stops taking requests, lets those in flight finish, and the index is closed.

Endpoints (see :data:`dedup.serve.openapi.OPENAPI` for the schema, served at ``/openapi.json``):
``POST /v1/documents``, ``POST /v1/documents:batch``, ``POST /v1/query``, ``GET`` and
``DELETE /v1/documents/{id}``, ``GET /v1/documents/{id}/explain``, ``GET /v1/clusters/{id}``,
``GET /v1/stats``, ``/healthz``, ``/readyz``, ``/metrics``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from dedup.engines.incremental.index import Index
from dedup.errors import DedupError
from dedup.serve.metrics import Metrics
from dedup.serve.openapi import OPENAPI
from dedup.serve.settings import ServeSettings
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")

SETTINGS_ENV = "DEDUP_SERVE_SETTINGS"
"""How ``dedup serve`` hands its settings to uvicorn's worker processes (JSON)."""


class ApiError(Exception):
    """An answer with an error: HTTP ``status``, a stable ``code`` and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class Service:
    """One process's index, lock and figures, and the handlers that use them."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.lock = threading.Lock()  # one index (one connection) per process: one call at a time
        self.index: Index | None = None

    def open(self) -> None:
        outlets = OutletTable.default()
        if self.settings.outlets_file:
            outlets.extend_from_file(self.settings.outlets_file)
        self.index = Index(self.settings.db, outlets=outlets, timeout=self.settings.timeout)

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    async def call(self, work: Callable[[Index], Any]) -> Any:
        def locked() -> Any:
            assert self.index is not None, "the index is not open"
            with self.lock:
                return work(self.index)
        return await run_in_threadpool(locked)

    def authorise(self, request: Request, scope: str) -> None:
        tokens = self.settings.tokens
        if tokens is None:
            return
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer TOKEN'")
        granted = tokens.scope_of(header[7:].strip())
        if granted is None:
            raise ApiError(403, "forbidden", "this token is not known")
        if scope == "write" and granted != "write":
            raise ApiError(403, "forbidden", "this token may only read")

    async def body(self, request: Request) -> Any:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, "too_large", f"the body is over {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large", f"the body is over {limit} bytes")
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(422, "malformed", f"the body is not JSON: {exc}") from exc

    def verdict_answer(self, verdict: Any, added: bool) -> dict[str, Any]:
        data: dict[str, Any] = verdict.to_dict()
        if added:
            self.metrics.count("dedup_adds_total", status=data["status"])
            if data["status"] == "repost":
                self.metrics.count("dedup_reposts_total")
        else:
            self.metrics.count("dedup_queries_total")
        if data.get("common_version") is not None:
            self.metrics.set("dedup_common_version", float(data["common_version"]))
        return data


def _document(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApiError(422, "malformed", "a document is a JSON object with at least 'id' and 'text'")
    return payload


def _handlers(service: Service) -> list[Route]:
    async def one(request: Request, added: bool) -> Response:
        service.authorise(request, "write" if added else "read")
        doc = _document(await service.body(request))
        verdict = await service.call(lambda index: index.add(doc) if added else index.query(doc))
        return JSONResponse(service.verdict_answer(verdict, added=added))

    async def add(request: Request) -> Response:
        return await one(request, added=True)

    async def add_batch(request: Request) -> Response:
        service.authorise(request, "write")
        payload = await service.body(request)
        docs = payload.get("documents") if isinstance(payload, dict) else payload
        if not isinstance(docs, list):
            raise ApiError(422, "malformed", "a batch is {'documents': [...]} or a JSON array of documents")
        if len(docs) > service.settings.max_batch:
            raise ApiError(413, "batch_too_large", f"a batch holds at most {service.settings.max_batch} documents")
        docs = [_document(doc) for doc in docs]
        verdicts = await service.call(lambda index: list(index.add_many(docs, batch=max(1, len(docs)))))
        return JSONResponse({"verdicts": [service.verdict_answer(v, added=True) for v in verdicts]})

    async def query(request: Request) -> Response:
        return await one(request, added=False)

    async def document(request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        if request.method == "DELETE":
            service.authorise(request, "write")
            if not await service.call(lambda index: index.remove(doc_id)):
                raise ApiError(404, "not_found", f"no document {doc_id!r}")
            return JSONResponse({"id": doc_id, "removed": True})
        service.authorise(request, "read")
        found = await service.call(lambda index: index.get(doc_id))
        if found is None:
            raise ApiError(404, "not_found", f"no document {doc_id!r}")
        return JSONResponse({"id": found.id, "site": found.doc.site, "url": found.doc.url, "title": found.title,
                             "published_at": found.published_at, "text": found.body})

    async def explain(request: Request) -> Response:
        service.authorise(request, "read")
        doc_id = request.path_params["doc_id"]
        return JSONResponse({"id": doc_id, "explanation": await _found(service, lambda index: index.explain(doc_id))})

    async def cluster(request: Request) -> Response:
        service.authorise(request, "read")
        doc_id = request.path_params["doc_id"]
        return JSONResponse(await _found(service, lambda index: index.cluster(doc_id)))

    async def copies(request: Request) -> Response:
        service.authorise(request, "read")
        params = request.query_params
        outlet = params.get("outlet")
        if not outlet:
            raise ApiError(422, "invalid_query", "give the outlet: /v1/copies?outlet=NAME[&since=DATE&until=DATE&credit=KIND]")

        def work(index: Index) -> dict[str, Any]:
            return {"outlet": index.outlets.canonical_name(outlet),
                    "copies": [copy.to_dict() for copy in index.copies(outlet, params.get("since"), params.get("until"),
                                                                       params.getlist("credit") or None)]}
        return JSONResponse(await service.call(work))

    async def stats(request: Request) -> Response:
        service.authorise(request, "read")
        return JSONResponse(await service.call(lambda index: index.stats()))

    return [Route("/v1/documents", add, methods=["POST"]), Route("/v1/documents:batch", add_batch, methods=["POST"]),
            Route("/v1/query", query, methods=["POST"]),
            Route("/v1/documents/{doc_id:path}/explain", explain, methods=["GET"]),
            Route("/v1/documents/{doc_id:path}", document, methods=["GET", "DELETE"]),
            Route("/v1/clusters/{doc_id:path}", cluster, methods=["GET"]), Route("/v1/copies", copies, methods=["GET"]),
            Route("/v1/stats", stats, methods=["GET"])]


async def _found(service: Service, work: Callable[[Index], Any]) -> Any:
    def or_none(index: Index) -> Any:
        try:
            return work(index)
        except KeyError:
            return None
    answer = await service.call(or_none)
    if answer is None:
        raise ApiError(404, "not_found", "no such document in the index")
    return answer


def _operations(service: Service) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            count = await service.call(len)
        except Exception as exc:  # the store does not answer: not ready, say why
            return error_response(503, "not_ready", f"the index does not answer: {exc}")
        return JSONResponse({"status": "ready", "documents": count})

    async def metrics(request: Request) -> Response:
        service.authorise(request, "read")
        return PlainTextResponse(service.metrics.render(), media_type="text/plain; version=0.0.4")

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    return [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
            Route("/openapi.json", openapi)]


def create_app(settings: ServeSettings) -> Starlette:
    """The service for ``settings``: the index is opened when the app starts and closed when it stops.

    >>> app = create_app(ServeSettings(db="news.db"))
    >>> sorted(route.path for route in app.routes)[:3]
    ['/healthz', '/metrics', '/openapi.json']
    """
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(service.open)
        log.info("dedup serve (pid %d): index %s open", os.getpid(), settings.db)
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = Starlette(routes=_handlers(service) + _operations(service), lifespan=lifespan,
                    exception_handlers=_error_handlers())
    app.state.service = service
    _timed(app, service)
    return app


def _error_handlers() -> dict[Any, Callable[[Request, Exception], Any]]:
    """Every error answers JSON ``{"error": {"code", "message"}}``, never a stack trace."""

    async def api(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail))

    async def invalid(request: Request, exc: Exception) -> Response:  # the library's word on a bad document
        return error_response(422, "invalid_document", str(exc))

    async def store(request: Request, exc: Exception) -> Response:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "store_error", str(exc))

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed: %r", request.method, request.url.path, exc)
        return error_response(500, "internal", "the service failed on this request; its log says why")

    return {ApiError: api, HTTPException: http, ValueError: invalid, DedupError: store, Exception: internal}


def _timed(app: Starlette, service: Service) -> None:
    async def timed(request: Request, call_next: Callable[[Request], Any]) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        endpoint = getattr(request.scope.get("route"), "path", "other")
        service.metrics.observe("dedup_request_seconds", time.perf_counter() - started, endpoint=endpoint)
        if response.status_code >= 400:
            service.metrics.count("dedup_errors_total", code=f"http_{response.status_code}")
        return response

    app.add_middleware(BaseHTTPMiddleware, dispatch=timed)


def app_from_environment() -> Starlette:
    """The app of the settings ``dedup serve`` put in :data:`SETTINGS_ENV` (uvicorn's factory)."""
    return create_app(ServeSettings.from_json(os.environ[SETTINGS_ENV]))
