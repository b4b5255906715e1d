"""Walk corpus directories and turn files into documents, reporting what cannot be read.

Ids and sites follow the output contract: a page file's id is its path relative to the corpus
directory; a JSON Lines record's id is its ``id`` field or ``RELPATH:LINE``. A document's site is
the host of its URL, else the record's ``site`` field, else the first directory of its path.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dedup.document import Document
from dedup.errors import InputError
from dedup.io.decoding import UndecodableError, declared_charset, decode, looks_binary
from dedup.io.html import extract_html
from dedup.urls import site_of_url

log = logging.getLogger("dedup")

def site_of_path(relpath: str) -> str:
    parts = relpath.split("/")
    return parts[0] if len(parts) > 1 else ""


def read_bytes(path: Path, relpath: str, max_bytes: int) -> bytes:
    """A file's bytes, or an :class:`InputError` raised when it is larger than ``max_bytes`` or unreadable."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(relpath, f"too large: {size} bytes > limit {max_bytes} (see --max-file-bytes)", kind="too_large")
        with open(path, "rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise InputError(relpath, "file vanished before it could be read", kind="unreadable") from exc
    except OSError as exc:
        raise InputError(relpath, f"cannot read: {exc.strerror or exc}", kind="unreadable") from exc


def _decode_page(data: bytes, relpath: str, html: bool) -> str:
    if looks_binary(data):
        raise InputError(relpath, "binary content, not a text page", kind="binary")
    try:
        text, _ = decode(data, declared_charset(data) if html else None)
    except UndecodableError as exc:
        raise InputError(relpath, str(exc), kind="undecodable") from exc
    return text


def read_page(data: bytes, relpath: str) -> Document:
    """A ``.txt`` or ``.html`` file's bytes as a document with the contract's id and site."""
    is_html = relpath.lower().endswith((".html", ".htm"))
    text = _decode_page(data, relpath, is_html)
    if is_html:
        page = extract_html(text)
        url = page.url
        site = site_of_url(url) or site_of_path(relpath)
        return Document(
            id=relpath,
            text="\n".join(page.lines),
            site=site,
            url=url,
            title=page.title,
            published_at=page.published,
            meta=page.meta,
            source=relpath,
            removed=page.removed,
        )
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title = next((line.strip() for line in lines if line.strip()), None)
    return Document(id=relpath, text=text, site=site_of_path(relpath), title=title, source=relpath)


def record_document(obj: Any, relpath: str, line: int | None) -> Document:
    """One parsed record (a JSON object, a Parquet row as a dict) as a document; an
    :class:`InputError` naming ``relpath`` and ``line`` when it has no text.

    >>> record_document({"id": "a1", "text": "正文", "url": "https://news.example.cn/1"}, "f.jsonl", 3).site
    'news.example.cn'
    """
    where = f"{relpath}:{line}" if line is not None else relpath
    if not isinstance(obj, dict):
        raise InputError(relpath, f"record is a JSON {type(obj).__name__}, not an object", line=line, kind="malformed")
    text = obj.get("text")
    if text is None:
        text = obj.get("content")
    if not isinstance(text, str):
        raise InputError(relpath, "record has no string 'text' field", line=line, kind="missing_text")
    raw_id = obj.get("id")
    doc_id = str(raw_id) if raw_id not in (None, "") else where
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    site = site_of_url(url) or (str(obj["site"]) if obj.get("site") else "") or site_of_path(relpath)
    title = obj.get("title") if isinstance(obj.get("title"), str) else None
    published = obj.get("published_at") or obj.get("date") or obj.get("time")
    meta = {k: str(v) for k, v in obj.items() if k in ("source", "author", "site_name", "fetched_at", "crawled_at") and v}
    removed: list[tuple[str, str]] = []
    if obj.get("html") and isinstance(obj["html"], str) and not text.strip():
        page = extract_html(obj["html"])
        text = "\n".join(page.lines)
        meta.update(page.meta)
        title = title or page.title
        published = published or page.published
        removed = page.removed
    return Document(
        id=doc_id, text=text, site=site, url=url, title=title,
        published_at=str(published) if published else None, meta=meta, source=where, line=line, removed=removed,
    )


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # One line in another encoding (files glued together from several crawlers): guess for it alone.
        text, _ = decode(raw)
        return text


def parse_record_line(raw: bytes, relpath: str, number: int) -> Document | InputError | None:
    """One JSON Lines record as a document, an error naming the line, or None for a blank line."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        return None
    if b"\x00" in raw:
        return InputError(relpath, "NUL bytes in a JSON line (binary data?)", line=number, kind="binary")
    try:
        text = _decode_line(raw)
    except UndecodableError as exc:
        return InputError(relpath, str(exc), line=number, kind="undecodable")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return InputError(relpath, f"malformed JSON: {exc.msg}", line=number, kind="malformed")
    try:
        return record_document(obj, relpath, number)
    except InputError as exc:
        return exc
    except Exception as exc:  # a reader bug must not end the run: the line is reported
        log.exception("reading failed for %s:%d", relpath, number)
        return InputError(relpath, f"could not be read: {exc!r}", line=number, kind="internal")


def whole_file_records(path: Path | bytes, relpath: str) -> bool:
    """Record files that cannot be split at newline bytes: JSON arrays and UTF-16/32 text
    (``path`` is the file, or its bytes)."""
    if relpath.lower().endswith(".json"):
        return True
    if isinstance(path, bytes):
        head = path[:4]
    else:
        try:
            with open(path, "rb") as handle:
                head = handle.read(4)
        except OSError:
            return False
    return head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))


def _opened(path: Path | IO[bytes], relpath: str) -> Any:
    """A buffered binary stream of a record file, a path or bytes in memory, gunzipped for ``.gz``."""
    if relpath.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    if isinstance(path, Path):
        return open(path, "rb", buffering=1 << 20)  # noqa: SIM115 - the caller closes it; lines of news are long
    return io.BufferedReader(path)  # type: ignore[arg-type,unused-ignore]  # BytesIO serves as the raw stream


def record_lines(path: Path | IO[bytes], relpath: str, max_line_bytes: int,
                 part: tuple[int, int, int] | None = None) -> Iterator[tuple[int, bytes] | InputError]:
    """``(line number, raw bytes)`` of a ``.jsonl``/``.jsonl.gz`` file, read as a stream.

    A file of any size is read in bounded memory; a line longer than ``max_line_bytes`` is
    reported and skipped; a file that breaks off (truncated gzip, I/O error) is reported where it
    broke and the lines before it are kept. ``part`` is ``(start, end, first line number)`` of a
    part of an uncompressed file (:func:`record_parts`): only its lines are read.
    """
    start, end, number = part if part is not None else (0, -1, 1)
    number -= 1
    try:
        with _opened(path, relpath) as handle:
            if start:
                handle.seek(start)
            else:
                head = handle.peek(8192)[:8192] if hasattr(handle, "peek") else b""
                if looks_binary(head):
                    yield InputError(relpath, "binary content, not JSON text", kind="binary")
                    return
            position = start
            while end < 0 or position < end:
                raw = handle.readline(max_line_bytes + 1)
                if not raw:
                    return
                position += len(raw)
                number += 1
                if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                    yield InputError(relpath, f"record longer than {max_line_bytes} bytes (see --max-file-bytes)",
                                     line=number, kind="too_large")
                    while raw and not raw.endswith(b"\n"):
                        raw = handle.readline(1 << 20)
                        position += len(raw)
                    continue
                yield number, raw
    except FileNotFoundError:
        yield InputError(relpath, "file vanished before it could be read", kind="unreadable")
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        yield InputError(relpath, f"broken gzip stream after line {number}: {exc}", line=number + 1, kind="undecodable")
    except OSError as exc:
        yield InputError(relpath, f"cannot read after line {number}: {exc.strerror or exc}", line=number + 1,
                         kind="unreadable")


def record_parts(path: Path, relpath: str, size: int = 1 << 20) -> Iterator[tuple[int, int, int] | InputError]:
    """``(start, end, first line number)`` of consecutive parts of an uncompressed JSON Lines file,
    each about ``size`` bytes and ending at a line break, so that workers read the lines themselves
    (:func:`record_lines` with ``part``). A binary file is one error, as :func:`record_lines` gives it.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "a.jsonl"
    ...     _ = path.write_bytes(b'{"text": "a"}\\n' * 5)
    ...     list(record_parts(path, "a.jsonl", size=30))
    [(0, 28, 1), (28, 56, 3), (56, 70, 5)]
    """
    start, first, position = 0, 1, 0
    try:
        with open(path, "rb") as handle:
            while True:
                block = handle.read(size)
                if not block:
                    break
                if position == 0 and looks_binary(block[:8192]):
                    yield InputError(relpath, "binary content, not JSON text", kind="binary")
                    return
                cut = block.rfind(b"\n")
                if cut >= 0:  # the part ends after the block's last line break (a longer line waits for its end)
                    yield start, position + cut + 1, first
                    first += block.count(b"\n", 0, cut + 1)
                    start = position + cut + 1
                position += len(block)
    except FileNotFoundError:
        yield InputError(relpath, "file vanished before it could be read", kind="unreadable")
        return
    except OSError as exc:
        yield InputError(relpath, f"cannot read: {exc.strerror or exc}", kind="unreadable")
        return
    if position > start:
        yield start, position, first


def read_json_records(data: bytes, relpath: str) -> Iterator[Document | InputError]:
    """Documents from the bytes of a ``.json`` file (or UTF-16/32 JSON Lines); a bad record yields an error."""
    if looks_binary(data):
        yield InputError(relpath, "binary content, not JSON text", kind="binary")
        return
    try:
        text, _ = decode(data)
    except UndecodableError as exc:
        yield InputError(relpath, str(exc), kind="undecodable")
        return
    if relpath.lower().endswith(".json"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            yield InputError(relpath, f"malformed JSON: {exc.msg}", line=exc.lineno, kind="malformed")
            return
        items = parsed if isinstance(parsed, list) else [parsed]
        for position, obj in enumerate(items):
            try:
                doc = record_document(obj, relpath, None)
                if doc.id == relpath:
                    doc.id = f"{relpath}:{position + 1}"
                yield doc
            except InputError as exc:
                yield exc
        return
    for number, line in enumerate(text.split("\n"), start=1):
        item = parse_record_line(line.encode("utf-8", "surrogatepass"), relpath, number)
        if item is not None:
            yield item


def streamed_records(source: Path | IO[bytes], relpath: str, max_bytes: int,
                     part: tuple[int, int, int] | None = None) -> Iterator[Document | InputError]:
    """The documents of a JSON Lines file (or of one ``part`` of it, :func:`record_parts`), read
    as a stream, and an error for every line that is not one."""
    for item in record_lines(source, relpath, max_bytes, part):
        if isinstance(item, InputError):
            yield item
            continue
        doc = parse_record_line(item[1], relpath, item[0])
        if doc is not None:
            yield doc


