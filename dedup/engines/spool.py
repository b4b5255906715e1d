"""Append-only scratch files that keep per-document bytes out of memory during a large scan.

Each process appends to its own file and passes back ``(offset, length)``; the coordinating
process reads records back with ``os.pread`` (no mapping, so the operating system's page cache
holds them, not the process's resident memory).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     spool = Spool(Path(folder) / "a.spool")
...     where = spool.append(b"hello")
...     spool.flush()
...     SpoolReader().read(spool.path, *where)
b'hello'
"""

from __future__ import annotations

import os
from pathlib import Path

from dedup.errors import OutOfSpaceError, StoreError, is_out_of_space


class Spool:
    """One process's append-only scratch file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._handle = open(path, "ab", buffering=1 << 20)  # noqa: SIM115 - lives as long as the spool
        except OSError as exc:
            raise StoreError(f"cannot create scratch file {path}: {exc.strerror or exc}") from exc
        self._offset = self._handle.tell()

    def append(self, data: bytes) -> tuple[int, int]:
        """Write ``data``; returns ``(offset, length)`` to read it back with."""
        offset = self._offset
        try:
            self._handle.write(data)
        except OSError as exc:
            if is_out_of_space(exc):
                raise OutOfSpaceError(f"writing scratch file {self.path}", exc) from exc
            raise StoreError(f"cannot write scratch file {self.path}: {exc.strerror or exc}") from exc
        self._offset += len(data)
        return offset, len(data)

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


class SpoolReader:
    """Reads records from any number of spool files, keeping one descriptor per file."""

    def __init__(self) -> None:
        self._fds: dict[str, int] = {}

    def read(self, path: Path | str, offset: int, length: int) -> bytes:
        key = str(path)
        fd = self._fds.get(key)
        if fd is None:
            fd = os.open(key, os.O_RDONLY)
            self._fds[key] = fd
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise StoreError(f"scratch file {key} is shorter than expected ({len(data)} of {length} bytes at {offset})")
        return data

    def read_many(self, records: list[tuple[str, int, int]]) -> bytearray:
        """Several records ``(path, offset, length)`` laid end to end, each read straight into place."""
        out = bytearray(sum(length for _, _, length in records))
        view = memoryview(out)
        at = 0
        for path, offset, length in records:
            fd = self._fds.get(path)
            if fd is None:
                fd = os.open(path, os.O_RDONLY)
                self._fds[path] = fd
            if os.preadv(fd, [view[at : at + length]], offset) != length:
                raise StoreError(f"scratch file {path} is shorter than expected (a record of {length} bytes at {offset})")
            at += length
        return out

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> SpoolReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
