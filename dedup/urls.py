"""URLs to sites: the one rule for which site a URL belongs to (readers, records, attributions)."""

from __future__ import annotations

from urllib.parse import urlsplit


def site_of_url(url: str | None) -> str:
    """The host of a URL, lower-cased, without port; ``""`` when there is none.

    >>> site_of_url("https://Finance.Sina.com.cn:443/a/1.html")
    'finance.sina.com.cn'
    """
    if not url:
        return ""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.lower()


__all__ = ["site_of_url"]
