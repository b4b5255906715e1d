"""The service's OpenAPI 3.1 description, served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from dedup import __version__

_DOCUMENT = {
    "type": "object", "required": ["id", "text"],
    "properties": {"id": {"type": "string"}, "text": {"type": "string"}, "title": {"type": "string"},
                   "url": {"type": "string"}, "site": {"type": "string"},
                   "published_at": {"type": "string", "description": "ISO 8601"}},
    "example": {"id": "sina-1", "url": "https://finance.sina.com.cn/1.html", "title": "江城推出中小企业数字化改造补贴",
                "text": "中证网讯（记者 周文）江城市工业和信息化局3月12日发布通知……"},
}
_VERDICT = {
    "type": "object",
    "description": "The library's Verdict: the same fields as `dedup query` prints.",
    "properties": {"id": {"type": "string"}, "status": {"enum": ["new", "repost", "unchanged", "rejected"]},
                   "canonical_id": {"type": ["string", "null"]}, "cluster_size": {"type": "integer"},
                   "jaccard": {"type": "number"}, "containment": {"type": "number"},
                   "is_canonical": {"type": "boolean"}, "origin": {"type": ["object", "null"]},
                   "matches": {"type": "array"}, "replaced": {"type": "boolean"},
                   "reason": {"type": ["string", "null"]}, "common_version": {"type": "integer"}},
}
_ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}}}}}


def _answers(schema: dict[str, Any], *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "done", "content": {"application/json": {"schema": schema}}}}
    for status in errors:
        out[str(status)] = {"description": "an error", "content": {"application/json": {"schema": _ERROR}}}
    return out


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_ID = [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}]
_WRITE, _READ = (401, 403, 413, 422, 503), (401, 403, 404, 503)

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "dedup serve", "version": __version__,
             "description": "Send a page, get a verdict: is it a repost of a story the index holds?"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Document": _DOCUMENT, "Verdict": _VERDICT, "Error": _ERROR}},
    "security": [{"bearer": []}],
    "paths": {
        "/v1/documents": {"post": {"summary": "Add one document; its verdict", "requestBody": _body(_DOCUMENT),
                                   "responses": _answers(_VERDICT, *_WRITE)}},
        "/v1/documents:batch": {"post": {
            "summary": "Add a batch in one transaction; a verdict per document, in order",
            "requestBody": _body({"type": "object", "properties": {"documents": {"type": "array", "items": _DOCUMENT}}}),
            "responses": _answers({"type": "object", "properties": {"verdicts": {"type": "array", "items": _VERDICT}}},
                                  *_WRITE)}},
        "/v1/query": {"post": {"summary": "The verdict a document would get, nothing stored",
                               "requestBody": _body(_DOCUMENT), "responses": _answers(_VERDICT, *_WRITE)}},
        "/v1/documents/{doc_id}": {
            "get": {"summary": "A stored document, as compared", "parameters": _ID,
                    "responses": _answers(_DOCUMENT, *_READ)},
            "delete": {"summary": "Remove a document", "parameters": _ID, "responses": _answers({"type": "object"}, *_READ)}},
        "/v1/documents/{doc_id}/explain": {"get": {"summary": "Why the document is or is not grouped",
                                                   "parameters": _ID, "responses": _answers({"type": "object"}, *_READ)}},
        "/v1/clusters/{doc_id}": {"get": {"summary": "The cluster of a stored document, in `dedup scan`'s format",
                                          "parameters": _ID, "responses": _answers({"type": "object"}, *_READ)}},
        "/v1/copies": {"get": {"summary": "Every copy of an outlet's stories, with its credit (`dedup copies`)",
                               "parameters": [{"name": name, "in": "query", "required": name == "outlet",
                                               "schema": {"type": "string"}}
                                              for name in ("outlet", "since", "until", "credit")],
                               "responses": _answers({"type": "object"}, *_READ)}},
        "/v1/stats": {"get": {"summary": "Counts, sizes and the stored configuration",
                              "responses": _answers({"type": "object"}, 401, 403)}},
        "/healthz": {"get": {"summary": "The process answers", "security": [], "responses": _answers({"type": "object"})}},
        "/readyz": {"get": {"summary": "The index answers", "security": [], "responses": _answers({"type": "object"}, 503)}},
        "/metrics": {"get": {"summary": "Prometheus text format, names prefixed dedup_",
                             "responses": {"200": {"description": "metrics", "content": {"text/plain": {}}}}}},
    },
}
