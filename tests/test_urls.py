from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.urls import site_of_url


def _by_urlsplit(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


_URL = st.tuples(st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", " http://", "", "//"]),
                 st.text(alphabet="aZ09.-:/?#@[]% \t\nhé", max_size=14)).map("".join)


@settings(deadline=None)  # the first example loads compiled kernels and tables
@given(_URL)
def test_the_fast_reading_agrees_with_urlsplit(url):
    assert site_of_url(url) == _by_urlsplit(url)


def test_hosts_of_usual_and_unusual_urls():
    assert site_of_url("https://Finance.Sina.com.cn:443/a/1.html") == "finance.sina.com.cn"
    assert site_of_url("http://user@news.example.cn/x") == "news.example.cn"
    assert site_of_url("http://[::1]:80/") == "::1"
    assert site_of_url("http://bad]host/") == "" and site_of_url(None) == ""
