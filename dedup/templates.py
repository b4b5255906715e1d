"""What each site repeats on every page: template lines and the name it gives itself as source.

Learned from the corpus itself, in one pass (:meth:`SiteProfiles.observe` every document, then
:meth:`SiteProfiles.apply`). The counts are plain dicts, so an index can store and update them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from dedup.document import CleanDocument
from dedup.normalize import compact
from dedup.outlets import name_key

MIN_SITE_DOCS = 5
"""Sites with fewer documents than this teach nothing: a shared line could be one story's copies."""


@dataclass
class SiteProfiles:
    """Per-site counts of body lines and of the names given as 来源.

    >>> profiles = SiteProfiles()
    >>> profiles.is_template("a.com", "本站提示")
    False
    """

    docs: Counter[str] = field(default_factory=Counter)
    lines: dict[str, Counter[str]] = field(default_factory=dict)
    sources: dict[str, Counter[str]] = field(default_factory=dict)
    min_share: float = 0.05
    min_count: int = 4

    def observe(self, doc: CleanDocument) -> None:
        site = doc.site
        self.docs[site] += 1
        keys = {compact(line) for line in doc.body.split("\n")}
        counter = self.lines.setdefault(site, Counter())
        counter.update(key for key in keys if 0 < len(key) <= 300)
        names = {name_key(a.outlet) for a in doc.attributions if a.form in ("来源", "self")}
        self.sources.setdefault(site, Counter()).update(names)

    def _needed(self, site: str) -> float:
        return max(self.min_count, math.ceil(self.min_share * self.docs[site]))

    def is_template(self, site: str, key: str) -> bool:
        if self.docs[site] < MIN_SITE_DOCS:
            return False
        return self.lines.get(site, Counter()).get(key, 0) >= self._needed(site)

    def self_name(self, site: str) -> str | None:
        """The name a site gives as 来源 on at least half of its pages (its own name)."""
        counter = self.sources.get(site)
        if not counter or self.docs[site] < MIN_SITE_DOCS:
            return None
        name, count = counter.most_common(1)[0]
        return name if count >= max(3, 0.5 * self.docs[site]) else None

    def apply(self, doc: CleanDocument) -> CleanDocument:
        """Drop the site's template lines from a document and mark self-attribution; returns it."""
        site = doc.site
        if self.docs[site] >= MIN_SITE_DOCS:
            kept = []
            for line in doc.body.split("\n"):
                if self.is_template(site, compact(line)):
                    doc.removed.append(("site template", line))
                else:
                    kept.append(line)
            if len(kept) != doc.body.count("\n") + 1:
                doc.body = "\n".join(kept)
                doc.compared = compact(doc.body)
        own = self.self_name(site)
        if own:
            for attribution in doc.attributions:
                if attribution.form == "来源" and name_key(attribution.outlet) == own:
                    attribution.form = "self"
                    doc.self_attributed = True
        return doc
