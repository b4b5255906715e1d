"""Every copy of one outlet's stories, with its credit and the proof: the ledger a rights desk reads.

:func:`copies_in` reads cluster records (``dedup scan``'s output, an index's clusters) and yields a
:class:`Copy` for every member of a cluster whose origin is the outlet, except the canonical copy
and pages on the outlet's own sites. ``dedup copies`` writes them as JSON Lines, CSV or the report.

>>> record = {"cluster_id": "c1", "origin": {"outlet": "中国证券报"}, "members": [
...     {"id": "a", "site": "cs.com.cn", "role": "canonical", "published_at": "2024-03-12T09:30:00+08:00"},
...     {"id": "b", "site": "spam.example", "role": "copy", "published_at": "2024-03-12T08:30:00+08:00",
...      "taken": 1.0, "copied_share": 0.9, "credit": {"kind": "self", "lines": []}}]}
>>> [(c.id, c.credit, c.delay_hours, c.flags) for c in copies_in([record], "中证网", OutletTable.default())]
[('b', 'self', -1.0, ['self-credit', 'backdated'])]
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from dedup.stages.credit import KINDS, copy_flags
from dedup.text.outlets import OutletTable

CREDIT_CHOICES = ("any", *KINDS)
"""What ``--credit`` accepts: any kind, or one of :data:`dedup.stages.credit.KINDS`."""
FIELDS = ("outlet", "cluster_id", "original_id", "original_site", "original_url", "original_published_at", "id", "site",
          "url", "title", "published_at", "delay_hours", "taken", "copied_share", "credit", "credited", "chain",
          "credit_lines", "shared_sentences", "flags")
"""The columns of the CSV export, in order."""


@dataclass(frozen=True)
class Copy:
    """One copy of a story whose origin is the outlet asked about.

    ``taken``: share of the original's text found in the copy; ``copied_share``: share of the copy
    that is the original's text; ``credit``: the credit kind; ``credited``: the outlets its credit
    lines name; ``shared_sentences``: sentences of the original the copy holds (None where the texts
    were not at hand).
    """

    outlet: str
    cluster_id: str
    original_id: str
    original_site: str
    original_url: str | None
    original_published_at: str | None
    id: str
    site: str
    url: str | None
    title: str | None
    published_at: str | None
    delay_hours: float | None
    taken: float | None
    copied_share: float | None
    credit: str
    credited: list[str] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)
    credit_lines: list[dict[str, str]] = field(default_factory=list)
    shared_sentences: int | None = None
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_day(value: str | None, what: str) -> date | None:
    """A ``--since``/``--until`` bound: a date (``2024-03-12``) or the date of an ISO time.

    >>> parse_day("2024-03-12T10:00:00+08:00", "since")
    datetime.date(2024, 3, 12)
    """
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date() if "T" in value or " " in value else date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a date; give it as YYYY-MM-DD (2024-03-12)") from None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _hours(later: str | None, earlier: str | None) -> float | None:
    try:
        if not later or not earlier:
            return None
        a, b = datetime.fromisoformat(later), datetime.fromisoformat(earlier)
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        return round((a - b).total_seconds() / 3600, 2)
    except ValueError:
        return None


def is_origin(record: dict[str, Any], outlet: str, outlets: OutletTable) -> bool:
    """Whether a cluster record names ``outlet`` (canonical name or an alias) as its origin."""
    named = (record.get("origin") or {}).get("outlet")
    return isinstance(named, str) and outlets.canonical_name(named) == outlets.canonical_name(outlet)


def _named(member: dict[str, Any]) -> list[str]:
    """The outlets a member's credit lines name (not itself, not quotes), in page order."""
    lines = (member.get("credit") or {}).get("lines", [])
    return list(dict.fromkeys(line["outlet"] for line in lines if line.get("names") in ("outlet", "other")))


def credit_chain(member: dict[str, Any], members: list[dict[str, Any]], outlets: OutletTable) -> list[str]:
    """Whom a member credits, then whom the credited outlet's own page in the cluster credits, and
    so on until a page credits nobody, or an outlet comes round again.

    >>> m = lambda i, site, *named: {"id": i, "site": site, "credit": {"lines": [
    ...     {"names": "other", "outlet": n} for n in named]}}
    >>> members = [m("a", "cs.com.cn"), m("b", "finance.sina.com.cn", "中国证券报"), m("c", "x.example", "新浪财经")]
    >>> credit_chain(members[2], members, OutletTable.default())
    ['新浪财经', '中国证券报']
    """
    by_outlet: dict[str, dict[str, Any]] = {}
    for other in members:
        owner = outlets.by_site(other.get("site"))
        if owner is not None:
            by_outlet.setdefault(owner.name, other)
    chain: list[str] = []
    named = _named(member)
    while named and named[0] not in chain:
        chain.append(named[0])
        page = by_outlet.get(outlets.canonical_name(named[0]))
        named = _named(page) if page is not None and page is not member else []
    return chain


def check_credits(credits: Iterable[str] | None) -> frozenset[str] | None:
    """The credit kinds to keep (None: every kind); a name that is not a kind is a ``ValueError``."""
    chosen = frozenset(credits or ()) - {"any"}
    unknown = chosen - set(KINDS)
    if unknown:
        raise ValueError(f"unknown credit kind {', '.join(sorted(unknown))}; use any or one of {', '.join(KINDS)}")
    return chosen or None


def copies_in(records: Iterable[dict[str, Any]], outlet: str, outlets: OutletTable, since: str | None = None,
              until: str | None = None, credits: Iterable[str] | None = None,
              sentences: Callable[[str, str], int | None] | None = None) -> Iterator[Copy]:
    """The copies of ``outlet``'s stories in cluster records (see the module).

    ``since`` and ``until`` keep stories whose original was published on those days or between
    them (both inclusive; a story without a time is kept only when neither is given); ``credits``
    keeps copies of those credit kinds; ``sentences(copy_id, original_id)`` counts the original's
    sentences the copy holds, where the caller has the texts.
    """
    first, last = parse_day(since, "since"), parse_day(until, "until")
    kinds = check_credits(credits)
    name = outlets.canonical_name(outlet)
    for record in records:
        if not is_origin(record, name, outlets) or len(record["members"]) < 2:
            continue
        members = record["members"]
        original = next((m for m in members if m.get("role") == "canonical"), members[0])
        day = _day(original.get("published_at"))
        if (first or last) and (day is None or (first and day < first) or (last and day > last)):
            continue
        for member in members:
            if member is original:
                continue
            owner = outlets.by_site(member.get("site"))
            if owner is not None and owner.name == name:
                continue  # the outlet's own pages are not copies by others
            credit = member.get("credit") or {"kind": "none", "lines": []}
            if kinds is not None and credit["kind"] not in kinds:
                continue
            delay = _hours(member.get("published_at"), original.get("published_at"))
            share = member.get("copied_share")
            lines = [line for line in credit.get("lines", []) if line.get("names") != "quote"]
            yield Copy(
                outlet=name, cluster_id=record["cluster_id"], original_id=original["id"],
                original_site=original.get("site") or "", original_url=original.get("url"),
                original_published_at=original.get("published_at"), id=member["id"], site=member.get("site") or "",
                url=member.get("url"), title=member.get("title"), published_at=member.get("published_at"),
                delay_hours=delay, taken=member.get("taken"), copied_share=share, credit=credit["kind"],
                credited=list(dict.fromkeys(line["outlet"] for line in lines)),
                chain=credit_chain(member, members, outlets), credit_lines=credit.get("lines", []),
                shared_sentences=sentences(member["id"], original["id"]) if sentences else None,
                flags=copy_flags(credit["kind"], None if delay is None else delay * 3600, member.get("role") == "spun",
                                 share))


def credit_table(copies: Iterable[Copy]) -> dict[str, int]:
    """How many copies give each credit kind (every kind listed, most credit first).

    >>> credit_table([])["none"]
    0
    """
    counts = Counter(copy.credit for copy in copies)
    return {kind: counts[kind] for kind in KINDS}


def csv_text(copies: Iterable[Copy]) -> Iterator[str]:
    """The copies as CSV, a header line first (lists joined with ``; ``, credit lines by their text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    yield buffer.getvalue()
    for copy in copies:
        buffer.seek(0)
        buffer.truncate()
        row = copy.to_dict()
        row["credited"] = "; ".join(row["credited"])
        row["chain"] = " > ".join(row["chain"])
        row["flags"] = "; ".join(row["flags"])
        row["credit_lines"] = " | ".join(line["text"] for line in row["credit_lines"])
        writer.writerow(["" if row[name] is None else row[name] for name in FIELDS])
        yield buffer.getvalue()


def jsonl_text(copies: Iterable[Copy]) -> Iterator[str]:
    for copy in copies:
        yield json.dumps(copy.to_dict(), ensure_ascii=False) + "\n"


__all__ = ["CREDIT_CHOICES", "FIELDS", "Copy", "check_credits", "copies_in", "credit_chain", "credit_table", "csv_text",
           "is_origin",
           "jsonl_text", "parse_day"]
