"""Choose each cluster's canonical copy and name the outlet that first published the story.

The choice weighs the evidence an editor would: whether a copy sits on an outlet's own site and
credits nobody else (the story's first home), which outlet the copies credit, signs of spam
(spinning, a site naming itself as the source of a story it credits to another), the earliest
time, whether a copy credits an outlet at all, and completeness (the copy that contains the others).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dedup.document import CleanDocument
from dedup.stages.cluster import is_inside
from dedup.text.outlets import OutletTable

# Attribution forms that credit an outlet as the story's source.
CREDIT_FORMS = frozenset({
    "来源", "媒体来源", "文章来源", "稿件来源", "信息来源", "新闻来源", "内容来源", "出处", "来自",
    "本文来源于", "本文来自", "本文转载自", "转载自", "转自", "本文首发于", "首发于", "原文链接", "dateline", "preface",
    "wire", "meta source",
})
# "据XX报道" inside a story quotes a source of the news, not the outlet the text was taken from.
LOW_KINDS = frozenset({"portal", "aggregator"})


@dataclass
class Member:
    """What the chooser needs to know of one cluster member."""

    doc: CleanDocument
    size: int
    """Distinct shingles of the compared text (completeness)."""
    contains: int = 0
    """How many other members lie inside this one (:func:`dedup.stages.cluster.is_inside`)."""


def member_facts(members: Sequence[int], doc_of: Callable[[int], CleanDocument], size_of: Callable[[int], int],
                 shared: Callable[[int, int], int]) -> list[Member]:
    """What the chooser is told of each member of a cluster: its record, its size, and how many of
    the others lie inside it (``shared(a, b)``: shingles two members share, 0 when unknown).

    >>> from dedup.document import Document
    >>> docs = {1: CleanDocument(Document(id="a", text=""), "", "", None, None),
    ...         2: CleanDocument(Document(id="b", text=""), "", "", None, None)}
    >>> [m.contains for m in member_facts([1, 2], docs.__getitem__, {1: 100, 2: 40}.__getitem__, lambda a, b: 40)]
    [1, 0]
    """
    return [Member(doc_of(m), int(size_of(m)),
                   sum(1 for o in members if o != m and is_inside(shared(m, o), size_of(o))))
            for m in members]


@dataclass
class Choice:
    canonical: int
    origin: str | None
    evidence: list[str]
    roles: list[str]
    ranking: list[tuple[int, list[str]]] = field(default_factory=list)
    """Members best first, each with the reasons that placed it."""


def credits(doc: CleanDocument, outlets: OutletTable) -> list[tuple[str, str]]:
    """``(outlet, form)`` for every outlet a page credits, its own site's outlet included."""
    own = outlets.by_site(doc.site)
    out: list[tuple[str, str]] = []
    for attribution in doc.attributions:
        if attribution.form == "self":
            if own is not None:
                out.append((own.name, "own site"))
            continue
        if attribution.form in CREDIT_FORMS:
            out.append((outlets.canonical_name(attribution.outlet), attribution.form))
    return out


# Explicit credits outrank a bare 来源, which aggregators fill with their own name.
_FORM_RANK = {"meta source": 0, "媒体来源": 0, "文章来源": 0, "稿件来源": 0, "原文链接": 0, "转载自": 1, "本文转载自": 1, "本文来源于": 1,
              "本文来自": 1, "转自": 1, "preface": 1, "来源": 2, "dateline": 3}


def credits_other(doc: CleanDocument, outlets: OutletTable) -> str | None:
    """The outlet a page credits as its source, when that is not its own site's outlet.

    >>> from dedup.text.clean import clean
    >>> from dedup.document import Document
    >>> d = clean(Document(id="x", site="spam.example", text="T\\n2025-01-06 来源:某某网 媒体来源:中证网\\n正文。"))
    >>> credits_other(d, OutletTable.default())
    '中国证券报'
    """
    own = outlets.by_site(doc.site)
    others = [(name, form) for name, form in credits(doc, outlets)
              if form != "own site" and (own is None or name != own.name)]
    if not others:
        return None
    return min(others, key=lambda item: _FORM_RANK.get(item[1], 2))[0]


def looks_spam(doc: CleanDocument, outlets: OutletTable) -> bool:
    """Spun text, or a site that is no known outlet naming itself as the source of a story it
    credits to another outlet (the aggregator's ``来源:庚癸之呼网 ... 媒体来源:中国证券报``); a site
    naming itself and nobody else may be the outlet itself, which the table does not know."""
    if doc.spun:
        return True
    return doc.self_attributed and outlets.by_site(doc.site) is None and credits_other(doc, outlets) is not None


def site_name(doc: CleanDocument, outlets: OutletTable) -> str | None:
    """Whose site a page is on: the outlet table's owner of its host, else the name the page
    gives itself as its source (its site's own name, which the site's pages taught)."""
    owner = outlets.by_site(doc.site)
    if owner is not None:
        return owner.name
    return next((outlets.canonical_name(a.outlet) for a in doc.attributions if a.form == "self"), None)


def _reasons(member: Member, origin: str | None, outlets: OutletTable) -> list[str]:
    """Why a member ranks where it does, in words (``explain`` prints them)."""
    doc = member.doc
    reasons = []
    owner = outlets.by_site(doc.site)
    if origin and site_name(doc, outlets) == origin:
        reasons.append(f"on the site of {origin}")
    other = credits_other(doc, outlets)
    if other:
        reasons.append(f"credits {other}")
    if doc.spun:
        reasons.append("spun title fragments")
    if doc.self_attributed and owner is None:
        reasons.append("names itself as the source")
    reasons.append(f"time {doc.published_at or 'unknown'}")
    reasons.append(f"{member.size} shingles, contains {member.contains} other member(s)")
    return reasons


def role_of(size: int, canonical_size: int, spun: bool) -> str:
    """A member's role beside the canonical copy: spun, a digest (half again as large), a partial
    copy (under four fifths of it) or a copy.

    >>> role_of(50, 100, False), role_of(100, 100, True)
    ('partial', 'spun')
    """
    if spun:
        return "spun"
    if size > 1.5 * canonical_size:
        return "digest"
    if size < 0.8 * canonical_size:
        return "partial"
    return "copy"


def _roles(members: list[Member], canonical: int) -> list[str]:
    """Each member's role (:func:`role_of`), the canonical copy's ``canonical``."""
    canonical_size = members[canonical].size
    return ["canonical" if position == canonical else role_of(member.size, canonical_size, member.doc.spun)
            for position, member in enumerate(members)]


def home_outlets(members: Sequence[Member], outlets: OutletTable) -> dict[str, str]:
    """Outlets with a page of the cluster on their own site (not a portal's nor an aggregator's),
    not spam and crediting no other outlet: each with its earliest such page's time (or ``9999``).

    >>> from dedup.text.clean import clean
    >>> from dedup.document import Document
    >>> page = clean(Document(id="a", site="cs.com.cn", title="T", text="T\\n2022-09-23 10:02 来源:中国证券报\\n正文。"))
    >>> home_outlets([Member(page, 10)], OutletTable.default())
    {'中国证券报': '2022-09-23T10:02:00+08:00'}
    """
    homes: dict[str, str] = {}
    for member in members:
        owner = outlets.by_site(member.doc.site)
        if owner is None or _site_kind(member.doc, outlets) != 0 or looks_spam(member.doc, outlets) \
                or credits_other(member.doc, outlets):
            continue
        time = member.doc.published_at or "9999"
        homes[owner.name] = min(homes.get(owner.name, time), time)
    # A home is contested by an earlier page that is no portal's, aggregator's nor spam and does
    # not credit it: an outlet's own page that came later is then a copy like the others.
    return {name: time for name, time in homes.items() if not any(
        _contests(member, name, time, outlets) for member in members)}


def _contests(member: Member, home: str, time: str, outlets: OutletTable) -> bool:
    doc = member.doc
    owner = outlets.by_site(doc.site)
    if not doc.published_at or doc.published_at >= time or (owner is not None and (owner.kind in LOW_KINDS
                                                                                  or owner.name == home)):
        return False
    return not looks_spam(doc, outlets) and home not in {name for name, _ in credits(doc, outlets)}


def _weight(name: str, votes: Counter[str], outlets: OutletTable) -> float:
    """A credited outlet's votes; a portal's or an aggregator's count a quarter (copies credit the
    portal they took a story from; portals rarely break one)."""
    found = outlets.resolve(name)
    return votes[name] * (0.25 if found is not None and found.kind in LOW_KINDS else 1.0)


def _site_kind(doc: CleanDocument, outlets: OutletTable) -> int:
    """0 for a known outlet's site, 1 for a portal's or an aggregator's, 2 for a site the table does not know."""
    owner = outlets.by_site(doc.site)
    if owner is None:
        return 2
    return 1 if owner.kind in LOW_KINDS else 0


def choose(members: list[Member], outlets: OutletTable) -> Choice:
    """Rank the members and pick the canonical copy and the origin outlet.

    >>> from dedup.text.clean import clean
    >>> from dedup.document import Document
    >>> orig = clean(Document(id="cs.com.cn/a.txt", site="cs.com.cn", title="T",
    ...              text="T\\n2022-09-23 10:02 来源:中国证券报\\n正文。"))
    >>> copy = clean(Document(id="spam.com/b.txt", site="spam.com", title="T",
    ...              text="T\\n2025-07-06 来源:某某网\\n媒体来源:中国证券报\\n正文。"))
    >>> c = choose([Member(copy, 10), Member(orig, 10)], OutletTable.default())
    >>> c.canonical, c.origin
    (1, '中国证券报')
    """
    votes: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for member in members:
        seen: set[str] = set()
        for name, form in credits(member.doc, outlets):
            if name in seen:
                continue
            seen.add(name)
            votes[name] += 1
            forms.setdefault(name, Counter())[form] += 1

    homes = home_outlets(members, outlets)
    origin: str | None = None
    evidence: list[str] = []
    if homes:
        # An outlet's own page that credits nobody else is the story's first home: copies that
        # credit a portal or a commentator's firm name where they took it, not who ran it first.
        origin = min(homes, key=lambda name: (-votes[name], homes[name], name))
        evidence.append(f"a member on {origin}'s own site credits no other outlet")
    elif votes:
        origin = max(votes, key=lambda name: (_weight(name, votes, outlets), -len(name), name))
    if origin is not None and votes[origin]:
        form_text = ", ".join(f"{form}" for form, _ in forms[origin].most_common(3))
        evidence.append(f"{votes[origin]} member{'s' if votes[origin] != 1 else ''} credit {origin} ({form_text})")

    earliest = min((m.doc.published_at for m in members if m.doc.published_at), default="9999")

    def key(position: int) -> tuple:
        member = members[position]
        doc = member.doc
        on_origin_site = origin is not None and site_name(doc, outlets) == origin
        # A page that states no time and credits nobody, itself included, may be the first: the
        # earliest dated page does not beat it on time. One that names a source lost its date.
        time = doc.published_at or (earliest if not any(a.form == "self" or a.form in CREDIT_FORMS
                                                         for a in doc.attributions) else "9999")
        return (
            0 if on_origin_site else 1,
            1 if looks_spam(doc, outlets) else 0,
            # Off the origin's site the earliest page is the best evidence; among pages of one time
            # (or of none), one that credits an outlet says it is not the first, whatever it credits.
            time,
            1 if credits_other(doc, outlets) else 0,
            _site_kind(doc, outlets),
            -member.contains,
            -member.size,
            doc.id,
        )

    order = sorted(range(len(members)), key=key)
    canonical = order[0]
    chosen = members[canonical].doc
    owner = outlets.by_site(chosen.site)
    if origin is None and owner is not None and owner.kind not in LOW_KINDS and not looks_spam(chosen, outlets):
        origin = owner.name
        evidence.append(f"no member credits an outlet; canonical site {chosen.site} is {owner.name}")
    elif owner is not None and owner.name == origin:
        evidence.append(f"canonical site {chosen.site} is {owner.name}")
    if chosen.published_at:
        times = [m.doc.published_at for m in members if m.doc.published_at]
        if times and min(times) == chosen.published_at:
            evidence.append(f"canonical is the earliest copy ({chosen.published_at})")

    ranking = [(position, _reasons(members[position], origin, outlets)) for position in order]
    roles = _roles(members, canonical)
    return Choice(canonical=canonical, origin=origin, evidence=evidence, roles=roles, ranking=ranking)
