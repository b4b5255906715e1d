"""What each site repeats on every page: template lines and the name it gives itself as source.

Learned from the corpus itself: the documents' :class:`~dedup.sites.SiteCounts` (summed in any
grouping), :func:`template_lines` of them, then :meth:`SiteProfiles.apply`. Lines are counted under a 64-bit key of (site, compacted line), so the
state is a few integer counters that an index can store and update, and a worker process can
compute the keys of its documents without holding the profiles.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b

import numpy as np

from dedup.document import CleanDocument
from dedup.sites import SiteCounts, most_credited
from dedup.text.line_rules import find_link_list
from dedup.text.normalize import compact
from dedup.text.outlets import name_key

MIN_SITE_DOCS = 5
"""Sites with fewer documents than this teach nothing: a shared line could be one story's copies."""
MAX_LINE_CHARS = 300
"""Longer lines are article text, never template."""


def line_key(site: str, compacted: str) -> int:
    """The 64-bit key under which a site's (compacted) line is counted.

    >>> line_key("a.cn", "本站提示") == line_key("a.cn", "本站提示") != line_key("b.cn", "本站提示")
    True
    """
    digest = blake2b(compacted.encode("utf-8", "surrogatepass"), digest_size=8, key=site.encode("utf-8")[:64])
    return int.from_bytes(digest.digest(), "little")


MIN_COUNT = 4
MIN_SHARE = 0.05


def template_threshold(site_docs: int, min_count: int = MIN_COUNT, min_share: float = MIN_SHARE) -> float:
    """How many of a site's pages must carry a line for it to be template (inf: site too small).

    >>> template_threshold(4), template_threshold(200)
    (inf, 10)
    """
    if site_docs < MIN_SITE_DOCS:
        return math.inf
    return max(min_count, math.ceil(min_share * site_docs))


def is_own_name(count: int, site_docs: int) -> bool:
    """Whether a name given as 来源 on ``count`` of a site's pages is the site's own name."""
    return site_docs >= MIN_SITE_DOCS and count >= max(3, 0.5 * site_docs)


def mark_self(doc: CleanDocument, own: str | None) -> CleanDocument:
    """Turn a 来源 that names the site's own name ``own`` into a self-attribution; returns the document."""
    if own:
        for attribution in doc.attributions:
            if attribution.form == "来源" and name_key(attribution.outlet) == own:
                attribution.form = "self"
                doc.self_attributed = True
    return doc


def keeps_whole_page(template_lines: int, lines: int) -> bool:
    """A page whose every line is "template" keeps them all: those lines are the page's story, which
    the site carries several times (a mirror reposting one story), not furniture around it.

    >>> keeps_whole_page(5, 5), keeps_whole_page(4, 5)
    (True, False)
    """
    return template_lines == lines


@dataclass(frozen=True)
class TemplateCut:
    """Which lines of a body stay when a site's template lines go (indices into the body's lines)."""

    kept: list[int]
    template: list[int]
    """Lines the site repeats on enough of its pages."""
    headlines: list[int]
    """A headline list that only the template footer kept from ending the page."""


def cut_template(lines: Sequence[str], keys: Sequence[str], is_template: Callable[[str], bool]) -> TemplateCut:
    """Split a body's lines into kept, template and headline-list lines (``keys``: compacted lines).

    A headline list that only the site's footer kept from ending the page
    (:func:`dedup.text.line_rules.find_link_list`) goes with the template; a page that is all template is
    left whole (:func:`keeps_whole_page`).

    >>> cut_template(["页眉", "正文一句话。", "页脚"], ["页眉", "正文一句话", "页脚"], lambda key: key.startswith("页"))
    TemplateCut(kept=[1], template=[0, 2], headlines=[])
    """
    template = [k for k, key in enumerate(keys) if is_template(key)]
    if not template or keeps_whole_page(len(template), len(keys)):
        return TemplateCut(list(range(len(keys))), [], [])
    dropped = set(template)
    kept = [k for k in range(len(keys)) if k not in dropped]
    links_from = find_link_list([lines[k] for k in kept])
    return TemplateCut(kept[:links_from], template, kept[links_from:])


def drop_lines(doc: CleanDocument, is_template: Callable[[str], bool]) -> CleanDocument:
    """Drop the body lines whose compacted form ``is_template`` accepts (see :func:`cut_template`),
    recording each removal."""
    lines, keys = doc.body.split("\n"), compacted_lines(doc)
    cut = cut_template(lines, keys, is_template)
    if not cut.template:
        return doc
    doc.removed.extend(("site template", lines[k]) for k in cut.template)
    doc.removed.extend(("headline list", lines[k]) for k in cut.headlines)
    kept_keys = [keys[k] for k in cut.kept]
    doc.body, doc.compared_lines, doc.compared = "\n".join(lines[k] for k in cut.kept), kept_keys, "".join(kept_keys)
    return doc


def compacted_lines(doc: CleanDocument) -> list[str]:
    """The compacted form of each line of the document's body."""
    lines = doc.body.split("\n")
    if len(doc.compared_lines) == len(lines):
        return doc.compared_lines
    return [compact(line) for line in lines]


def countable_lines(doc: CleanDocument) -> dict[str, int]:
    """Each countable body line (compacted; not empty, not longer than ``MAX_LINE_CHARS``) and its key."""
    return {key: line_key(doc.site, key) for key in compacted_lines(doc) if 0 < len(key) <= MAX_LINE_CHARS}


def document_line_keys(doc: CleanDocument) -> set[int]:
    """The distinct keys of a document's countable body lines."""
    return set(countable_lines(doc).values())


def compared_without(body: str, site: str, drop: Collection[int]) -> str:
    """The compared text of a body once the site's template lines ``drop`` (line keys) are cut:
    what every engine sketches again for a page that carries template lines.

    >>> body = "江城发布补贴细则\\n本站提示：转载请注明出处"
    >>> compared_without(body, "a.com", {line_key("a.com", "本站提示转载请注明出处")})
    '江城发布补贴细则'
    """
    lines = body.split("\n")
    forms = [compact(line) for line in lines]
    cut = cut_template(lines, forms, lambda key: line_key(site, key) in drop)
    return "".join(forms[k] for k in cut.kept)


def source_names(doc: CleanDocument) -> set[str]:
    """The names a page gives as its 来源 (candidates for the site's own name)."""
    return {name_key(a.outlet) for a in doc.attributions if a.form in ("来源", "self")}


def site_counts(docs: Sequence[CleanDocument], sign: int = 1) -> SiteCounts:
    """The site statistics of cleaned documents (``sign`` -1: a delta that takes them away)."""
    return SiteCounts.of([doc.site for doc in docs],
                         [np.fromiter(document_line_keys(doc), dtype=np.uint64) for doc in docs],
                         [sorted(source_names(doc)) for doc in docs], sign)


def template_lines(counts: SiteCounts, min_count: int = MIN_COUNT, min_share: float = MIN_SHARE) -> np.ndarray:
    """The line keys of a summary that are template: carried by enough of their site's pages
    (:func:`template_threshold`). Every engine learns its template lines with this.

    >>> from dedup.sites import SiteCounts
    >>> key = line_key("a.cn", "本站提示")
    >>> pages = SiteCounts.of(["a.cn"] * 12, [np.array([key], np.uint64)] * 11 + [np.zeros(0, np.uint64)], [[]] * 12)
    >>> template_lines(pages).tolist() == [key]
    True
    """
    if not len(counts.keys):
        return counts.keys
    needed = np.array([template_threshold(int(docs), min_count, min_share) for docs in counts.docs.tolist()],
                      dtype=np.float64)
    return counts.keys[counts.counts >= needed[counts.key_sites]]


@dataclass
class SiteProfiles:
    """Per-site document counts, counts of line keys and of the names given as 来源.

    >>> profiles = SiteProfiles()
    >>> profiles.is_template("a.com", "本站提示")
    False
    """

    docs: Counter[str] = field(default_factory=Counter)
    lines: Counter[int] = field(default_factory=Counter)
    sources: dict[str, Counter[str]] = field(default_factory=dict)
    min_share: float = MIN_SHARE
    min_count: int = MIN_COUNT
    _own_names: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_counts(cls, counts: SiteCounts, lines: bool = True, min_share: float = MIN_SHARE,
                    min_count: int = MIN_COUNT) -> SiteProfiles:
        """The profiles a summary of site statistics gives (``lines``: with the counts of the
        lines frequent enough to be template anywhere; without, for own names only)."""
        sources: dict[str, Counter[str]] = {}
        for (site, name), count in sorted(counts.sources.items()):
            sources.setdefault(site, Counter())[name] += count
        return cls(Counter(counts.docs_by_site()), Counter(counts.frequent(min_count)) if lines else Counter(),
                   sources, min_share, min_count)

    @classmethod
    def of(cls, docs: Iterable[CleanDocument]) -> SiteProfiles:
        """The site statistics of some documents.

        >>> from dedup.document import Document
        >>> from dedup.text.clean import clean
        >>> pages = [clean(Document(id=f"{k}", site="a.cn", text=f"第{k}条新闻正文\\n本站提示：理性投资")) for k in range(12)]
        >>> SiteProfiles.of(pages).is_template("a.cn", "本站提示理性投资")
        True
        """
        docs = list(docs)
        return cls.from_counts(site_counts(docs))

    def needed(self, site: str) -> float:
        """How many of a site's pages must carry a line for it to be template (inf: site too small)."""
        return template_threshold(self.docs[site], self.min_count, self.min_share)

    def is_template(self, site: str, compacted: str) -> bool:
        needed = self.needed(site)
        if needed == math.inf or not 0 < len(compacted) <= MAX_LINE_CHARS:
            return False
        return self.lines.get(line_key(site, compacted), 0) >= needed

    def self_name(self, site: str) -> str | None:
        """The name a site gives as 来源 on at least half of its pages (its own name)."""
        if site not in self._own_names:
            self._own_names[site] = self._self_name(site)
        return self._own_names[site]

    def _self_name(self, site: str) -> str | None:
        top = most_credited(self.sources.get(site) or {})  # the stores' tie rule
        return top[0] if top is not None and is_own_name(top[1], self.docs[site]) else None

    def drop_templates(self, doc: CleanDocument) -> CleanDocument:
        """Drop the site's template lines from a document's body and compared text; returns it."""
        if self.needed(doc.site) == math.inf:
            return doc
        return drop_lines(doc, lambda key: self.is_template(doc.site, key))

    def mark_self(self, doc: CleanDocument) -> CleanDocument:
        """Turn a 来源 that names the site's own name into a self-attribution; returns the document."""
        return mark_self(doc, self.self_name(doc.site))

    def apply(self, doc: CleanDocument) -> CleanDocument:
        """Both :meth:`drop_templates` and :meth:`mark_self`."""
        return self.mark_self(self.drop_templates(doc))
