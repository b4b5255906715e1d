"""URLs to sites: the one rule for which site a URL belongs to (readers, records, attributions)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The usual URL (scheme, then a host of letters, digits, dots and hyphens, then a port, path, query
# or the end), read without urlsplit, which costs more than the rest of reading a record.
_PLAIN = re.compile(r"(?i:https?)://([A-Za-z0-9.-]+)(?::[0-9]*)?(?=[/?#]|$)")


def site_of_url(url: str | None) -> str:
    """The host of a URL, lower-cased, without port; ``""`` when there is none.

    >>> site_of_url("https://Finance.Sina.com.cn:443/a/1.html")
    'finance.sina.com.cn'
    """
    if not url:
        return ""
    plain = _PLAIN.match(url)
    if plain:
        return plain.group(1).lower()
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.lower()


__all__ = ["site_of_url"]
