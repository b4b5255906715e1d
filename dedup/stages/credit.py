"""Whom a copy credits for a story, in the terms of the desk whose story it is.

One copy's credit against the story's origin outlet is one of five kinds:

- ``outlet``: it credits the origin outlet (``来源:中国证券报``, ``本文转载自中国证券报`` ...);
- ``self_then_outlet``: it names itself as the source first and credits the outlet further down
  (``来源:庚癸之呼网`` ... ``媒体来源:中国证券报``: the aggregator's way);
- ``self``: it names only itself as the source;
- ``other``: it credits another outlet and not the origin (often the portal it copied from);
- ``none``: it credits nobody.

A dateline the copy kept from the story (``新华社北京3月5日电``) and a ``据XX报道`` quote are part of
the copied text, not a credit the copier gave; they are listed as evidence but do not set the kind.

>>> from dedup.document import Document
>>> from dedup.text.clean import clean
>>> from dedup.text.outlets import OutletTable
>>> page = clean(Document(id="x", site="spam.example", text="T\\n2025-07-06 来源:庚癸之呼网\\n正文。\\n媒体来源:中国证券报"))
>>> credit_of(page, "中国证券报", OutletTable.default()).kind
'self_then_outlet'
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from dedup.document import CleanDocument
from dedup.stages.canonical import CREDIT_FORMS
from dedup.text.outlets import OutletTable

KINDS = ("outlet", "self_then_outlet", "self", "other", "none")
"""The credit kinds, most credit first."""
CREDITING_FORMS = (CREDIT_FORMS - {"dateline"}) | {"byline"}
"""Forms in which a page gives a story's source (a dateline or a 据XX报道 quote is not one)."""
_EXPLICIT = frozenset({"媒体来源", "文章来源", "稿件来源", "原文链接", "转载自", "本文转载自", "转自", "本文来源于", "本文来自"})
_BARE = frozenset({"来源", "出处", "来自"})


@dataclass(frozen=True)
class CreditLine:
    """One credit a page gives: whom it names (``names``: the ``outlet`` whose story it is,
    the page ``self``, an ``other`` outlet, or ``quote`` for a dateline or a 据XX报道 kept from the
    story), the outlet as named, the form and the text as found."""

    names: str
    outlet: str
    form: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"names": self.names, "outlet": self.outlet, "form": self.form, "text": self.text}


@dataclass(frozen=True)
class Credit:
    """A copy's credit kind (:data:`KINDS`) and the credit lines it rests on, in page order.

    >>> Credit("none", ()).to_dict()
    {'kind': 'none', 'lines': []}
    """

    kind: str
    lines: tuple[CreditLine, ...]

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "lines": [line.to_dict() for line in self.lines]}


def credit_lines(doc: CleanDocument, origin: str | None, outlets: OutletTable,
                 own_names: Collection[str] = ()) -> tuple[CreditLine, ...]:
    """Every credit and quoted source of a page, each told whom it names against ``origin``.

    A bare ``来源`` naming no known outlet, on a page that also credits with an explicit form
    (``媒体来源``, ``转载自`` ...), is the page naming itself: the seed's ``来源:庚癸之呼网`` on a site
    dedup has seen once. ``own_names`` are names known to be the site's own (from its other pages:
    :func:`own_names_of`).
    """
    own = outlets.by_site(doc.site)
    origin_key = outlets.canonical_name(origin) if origin else None
    explicit = any(a.form in _EXPLICIT for a in doc.attributions)
    found: list[CreditLine] = []
    for attribution in doc.attributions:
        form = attribution.form
        name = outlets.canonical_name(attribution.outlet)
        if form != "self" and form not in CREDITING_FORMS:
            names = "quote"
        elif origin_key is not None and name == origin_key:
            names = "outlet"  # the origin's own page naming itself credits the origin too
        elif form == "self" or own is not None and name == own.name or form in _BARE and own is None and outlets.resolve(attribution.outlet) is None \
                and (explicit or name in own_names):
            names = "self"
        else:
            names = "other"
        found.append(CreditLine(names, name, form, attribution.text))
    return tuple(found)


def credit_kind(lines: tuple[CreditLine, ...]) -> str:
    """The kind of a copy's credit from its lines (page order).

    >>> credit_kind((CreditLine("self", "某网", "self", ""), CreditLine("outlet", "中证", "媒体来源", "")))
    'self_then_outlet'
    >>> credit_kind((CreditLine("quote", "新华社", "dateline", ""),))
    'none'
    """
    names = [line.names for line in lines if line.names != "quote"]
    if "outlet" in names:
        if "self" in names and names.index("self") < names.index("outlet"):
            return "self_then_outlet"
        return "outlet"
    if "other" in names:
        return "other"
    if "self" in names:
        return "self"
    return "none"


def credit_of(doc: CleanDocument, origin: str | None, outlets: OutletTable, own_names: Collection[str] = ()) -> Credit:
    """The credit a copy gives the story's origin outlet (see the module's kinds)."""
    lines = credit_lines(doc, origin, outlets, own_names)
    return Credit(credit_kind(lines), lines)


def own_names_of(docs: Iterable[CleanDocument], outlets: OutletTable) -> dict[str, set[str]]:
    """The names pages give themselves, by site: what one page of a site shows to be its own name
    (an aggregator's ``来源:云帆资讯网`` beside ``媒体来源:...``) tells that its other pages naming the
    same mean themselves too.

    >>> from dedup.document import Document
    >>> from dedup.text.clean import clean
    >>> pages = [clean(Document(id=f"{k}", site="yf.example", text=t)) for k, t in
    ...          enumerate(["来源:云帆资讯网 媒体来源:中国证券报\\n正文。", "来源:云帆资讯网\\n正文。"])]
    >>> own = own_names_of(pages, OutletTable.default())
    >>> own, credit_of(pages[1], "中国证券报", OutletTable.default(), own["yf.example"]).kind
    ({'yf.example': {'云帆资讯网'}}, 'self')
    """
    found: dict[str, set[str]] = {}
    for doc in docs:
        for line in credit_lines(doc, None, outlets):
            if line.names == "self":
                found.setdefault(doc.site, set()).add(line.outlet)
    return found


def copy_flags(kind: str, delay_seconds: float | None, spun: bool, share: float | None) -> list[str]:
    """What a rights desk looks for in a copy: ``no credit``, ``credits another outlet``, ``self-credit``, ``backdated`` (published
    before the original), ``spun`` (fragments of the headline spun into the text) and ``padded``
    (under half of the copy is the story: adverts, other stories).

    >>> copy_flags("self", -3600, False, 0.9)
    ['self-credit', 'backdated']
    """
    flags = []
    if kind == "none":
        flags.append("no credit")
    if kind == "other":
        flags.append("credits another outlet")
    if kind in ("self", "self_then_outlet"):
        flags.append("self-credit")
    if delay_seconds is not None and delay_seconds < 0:
        flags.append("backdated")
    if spun:
        flags.append("spun")
    if share is not None and share < 0.5:
        flags.append("padded")
    return flags


__all__ = ["KINDS", "Credit", "CreditLine", "copy_flags", "credit_kind", "credit_lines", "credit_of", "own_names_of"]
