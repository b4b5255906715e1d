"""Cluster records out: JSON Lines (the scan contract), or CSV with one row per member.

>>> import io
>>> out = io.StringIO()
>>> writer = ClusterWriter(out, "csv")
>>> writer.write({"cluster_id": "c000001", "size": 1, "canonical_id": "a", "origin": None, "keywords": ["新闻"],
...               "members": [{"id": "a", "site": "a.cn", "role": "canonical", "jaccard": 1.0, "containment": 1.0}]})
>>> out.getvalue().splitlines()[1]
'c000001,1,a,,,新闻,a,a.cn,,,,canonical,1.0,1.0,'
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("cluster_id", "size", "canonical_id", "origin_outlet", "origin_evidence", "keywords", "member_id",
               "member_site", "member_url", "member_title", "member_published_at", "member_role", "member_jaccard",
               "member_containment", "member_attributed_source")
"""One row per member: its cluster's fields first (repeated on each member's row), then its own."""


class ClusterWriter:
    """Writes cluster records to an open text file as JSON Lines or CSV (``format``)."""

    def __init__(self, handle: TextIO, format: str = "jsonl") -> None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        self.handle, self.format = handle, format
        self._csv: Any = None
        if format == "csv":
            self._csv = csv.writer(handle, lineterminator="\n")
            self._csv.writerow(CSV_COLUMNS)

    def write(self, record: dict[str, Any]) -> None:
        if self._csv is None:
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        origin = record.get("origin") or {}
        cluster = [record["cluster_id"], record["size"], record["canonical_id"], origin.get("outlet") or "",
                   "; ".join(origin.get("evidence") or []), " ".join(record.get("keywords") or [])]
        for member in record["members"]:
            self._csv.writerow(cluster + [member["id"], member.get("site", ""), member.get("url", ""),
                                          member.get("title") or "", member.get("published_at") or "",
                                          member.get("role", ""), member.get("jaccard", ""),
                                          member.get("containment", ""), member.get("attributed_source") or ""])


__all__ = ["ClusterWriter", "CSV_COLUMNS", "FORMATS"]
