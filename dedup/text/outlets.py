"""The table of news outlets: canonical names, aliases, domains and kinds.

The package ships a table of Chinese national, financial, wire and portal outlets
(``dedup/data/outlets.json``); users extend it with a file of the same shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dedup.errors import ConfigError
from dedup.text.normalize import normalize

KINDS = ("wire", "newspaper", "magazine", "broadcaster", "digital", "government", "portal", "aggregator")
_NAME_NOISE = re.compile(r"[\s·•・\-—_()（）《》\"'“”]+")


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A comparison key for an outlet name: normalised, without spaces, dots and brackets.

    >>> name_key("中国证券报 · 中证网") == name_key("中國證券報·中證網")
    True
    """
    return _NAME_NOISE.sub("", normalize(name))


@dataclass(frozen=True)
class Outlet:
    name: str
    kind: str = "newspaper"
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass
class OutletTable:
    """Look outlets up by any of their names or by a site's host.

    >>> table = OutletTable.default()
    >>> table.resolve("中证网").name
    '中国证券报'
    >>> table.by_site("www.cs.com.cn").name
    '中国证券报'
    """

    outlets: list[Outlet] = field(default_factory=list)
    _by_name: dict[str, Outlet] = field(default_factory=dict, repr=False)
    _by_domain: dict[str, Outlet] = field(default_factory=dict, repr=False)
    _resolved: dict[str, Outlet | None] = field(default_factory=dict, repr=False)
    _sites: dict[str, Outlet | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for outlet in list(self.outlets):
            self._index(outlet)

    def _index(self, outlet: Outlet) -> None:
        self._resolved.clear()
        self._sites.clear()
        for name in (outlet.name, *outlet.aliases):
            self._by_name[name_key(name)] = outlet
        for domain in outlet.domains:
            self._by_domain[domain.lower().removeprefix("www.")] = outlet

    def add(self, outlet: Outlet) -> None:
        """Add or override an outlet (later entries win on shared names and domains)."""
        self.outlets.append(outlet)
        self._index(outlet)

    def resolve(self, name: str | None) -> Outlet | None:
        """The outlet a written name refers to, or None. Tolerates a trailing 网/客户端/记者 suffix."""
        if not name:
            return None
        if name in self._resolved:
            return self._resolved[name]
        found = self._resolve(name)
        if len(self._resolved) < 100_000:
            self._resolved[name] = found
        return found

    def _resolve(self, name: str) -> Outlet | None:
        key = name_key(name)
        if key in self._by_name:
            return self._by_name[key]
        for suffix in ("客户端", "记者", "网站", "网", "讯"):
            if key.endswith(suffix) and key[: -len(suffix)] in self._by_name:
                return self._by_name[key[: -len(suffix)]]
        # "澎湃新闻·澎湃", "第一财经·一财网": a compound of names of one outlet.
        for part in re.split(r"[·•・|/]", normalize(name)):
            if part.strip() and name_key(part) != key:
                found = self.resolve(part)
                if found is not None:
                    return found
        return None

    def by_site(self, site: str | None) -> Outlet | None:
        """The outlet that owns a site: a host, matched on the longest registered domain suffix,
        or (as feeds often give it) the outlet's name or one of its aliases.

        >>> table = OutletTable.default()
        >>> table.by_site("www.bjnews.com.cn").name, table.by_site("新京报").name
        ('新京报', '新京报')
        """
        if not site:
            return None
        if site in self._sites:
            return self._sites[site]
        host = site.lower().removeprefix("www.")
        parts = host.split(".")
        found = None
        for start in range(len(parts) - 1):
            candidate = ".".join(parts[start:])
            if candidate in self._by_domain:
                found = self._by_domain[candidate]
                break
        if found is None and not host.isascii():  # a name, not a host
            found = self.resolve(site)
        if len(self._sites) < 100_000:
            self._sites[site] = found
        return found

    def canonical_name(self, name: str) -> str:
        outlet = self.resolve(name)
        return outlet.name if outlet else name.strip()

    @staticmethod
    def _parse(data: object, origin: str) -> Iterable[Outlet]:
        rows = data.get("outlets") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise ConfigError(f"{origin}: expected a list of outlets or {{\"outlets\": [...]}}")
        for position, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or not isinstance(row.get("name"), str):
                raise ConfigError(f"{origin}: outlet {position} needs a string 'name'")
            kind = row.get("kind", "newspaper")
            if kind not in KINDS:
                raise ConfigError(f"{origin}: outlet {row['name']!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
            yield Outlet(
                name=row["name"],
                kind=kind,
                domains=tuple(row.get("domains", ())),
                aliases=tuple(row.get("aliases", ())),
            )

    @classmethod
    def default(cls) -> OutletTable:
        text = resources.files("dedup").joinpath("data/outlets.json").read_text(encoding="utf-8")
        return cls(list(cls._parse(json.loads(text), "dedup/data/outlets.json")))

    def extend_from_file(self, path: str | Path) -> None:
        """Add the outlets of a JSON file (``[{"name", "aliases", "domains", "kind"}, ...]``)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read outlet table: {exc}") from exc
        for outlet in self._parse(data, str(path)):
            self.add(outlet)
