import pytest

from crawler.config import CrawlConfig, CrawlConfigError
from crawler.scope import InvalidURL, ScopeReason, check_scope, normalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://Example.ORG", "http://example.org/"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("HTTPS://example.org/a#section", "https://example.org/a"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a?utm_source=x&id=3&fbclid=y&gclid=z", "https://example.org/a?id=3"),
        ("https://example.org/a?UTM_Medium=x", "https://example.org/a"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/a%2fb", "https://example.org/a%2Fb"),
        ("https://example.org/docs/", "https://example.org/docs/"),
        ("https://user:pw@example.org/x", "https://example.org/x"),
        ("https://example.org./x", "https://example.org/x"),
        ("https://example.org/x?q=", "https://example.org/x?q="),
        ("http://[::1]:8000/x", "http://[::1]:8000/x"),
        ("https://example.org/ü", "https://example.org/%C3%BC"),
    ],
)
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected
    assert normalize_url(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.org/docs/", "https://example.org/docs"),
        ("https://example.org/", "https://example.org/"),
        ("https://example.org/a//", "https://example.org/a"),
    ],
)
def test_normalize_url_drops_trailing_slash_when_asked(raw, expected):
    assert normalize_url(raw, keep_trailing_slash=False) == expected


def test_normalize_url_strips_extra_params():
    assert normalize_url("https://e.org/?sid=1&p=2", strip_params=("SID",)) == "https://e.org/?p=2"


@pytest.mark.parametrize("raw", ["mailto:a@b.org", "ftp://example.org/", "javascript:x", "/rel"])
def test_normalize_url_refuses_non_http(raw):
    with pytest.raises(InvalidURL):
        normalize_url(raw)


CONFIG = CrawlConfig(
    source_id="s1",
    start_urls=("https://www.example.org/",),
    allowed_domains=("example.org",),
    include_patterns=(r"^https://[^/]+/(docs|$)",),
    exclude_patterns=(r"/docs/private/", r"\?print=1"),
    max_depth=2,
)


@pytest.mark.parametrize(
    ("url", "depth", "reason"),
    [
        ("https://www.example.org/", 0, ScopeReason.IN_SCOPE),
        ("https://example.org/docs/a", 2, ScopeReason.IN_SCOPE),
        ("https://sub.example.org/docs/a", 1, ScopeReason.IN_SCOPE),
        ("https://www.example.org/docs/a#x", 1, ScopeReason.IN_SCOPE),
        ("https://www.example.org/docs/a", 3, ScopeReason.TOO_DEEP),
        ("https://badexample.org/docs/a", 0, ScopeReason.OUT_OF_SCOPE_DOMAIN),
        ("https://example.com/docs/a", 0, ScopeReason.OUT_OF_SCOPE_DOMAIN),
        ("https://www.example.org/docs/private/x", 0, ScopeReason.EXCLUDED_PATTERN),
        ("https://www.example.org/docs/a?print=1", 0, ScopeReason.EXCLUDED_PATTERN),
        ("https://www.example.org/blog/a", 0, ScopeReason.NOT_INCLUDED),
        ("mailto:info@example.org", 0, ScopeReason.NOT_HTTP),
        ("ftp://example.org/docs/", 0, ScopeReason.NOT_HTTP),
    ],
)
def test_check_scope(url, depth, reason):
    assert check_scope(url, depth, CONFIG) == reason


def test_allowed_domains_default_to_start_hosts():
    config = CrawlConfig(source_id="s", start_urls=("https://www.example.org/x",))
    assert config.effective_allowed_domains == ("www.example.org",)
    assert check_scope("https://example.org/", 0, config) == ScopeReason.OUT_OF_SCOPE_DOMAIN
    assert check_scope("https://a.www.example.org/", 0, config) == ScopeReason.IN_SCOPE


def test_config_round_trips_through_json():
    assert CrawlConfig.from_json(CONFIG.to_json()) == CONFIG


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_id": ""}, "source_id"),
        ({"start_urls": ["file:///etc/passwd"]}, "start_urls"),
        ({"start_urls": [], "sitemap_urls": []}, "start_urls"),
        ({"exclude_patterns": ["("]}, "exclude_patterns"),
        ({"include_patterns": ["(?<=x)y"]}, "include_patterns"),
        ({"max_pages": 0}, "max_pages"),
        ({"download_delay": -1}, "download_delay"),
    ],
)
def test_config_refuses_bad_values(changes, field):
    data = {"source_id": "s", "start_urls": ["https://example.org/"], **changes}
    with pytest.raises(CrawlConfigError, match=field):
        CrawlConfig.from_dict(data)


def test_config_refuses_unknown_fields():
    with pytest.raises(CrawlConfigError, match="colour"):
        CrawlConfig.from_dict({"source_id": "s", "start_urls": ["https://e.org/"], "colour": 1})


@pytest.mark.timeout(60)
@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"(.*a){12}$"])
def test_a_backtracking_pattern_cannot_stall_the_crawl(pattern):
    """Python's re takes minutes for each of these on a hostile URL; RE2 is linear."""
    config = CrawlConfig(
        source_id="s", start_urls=("https://example.org/",), exclude_patterns=(pattern,)
    )
    hostile = "https://example.org/" + "a" * 5000 + "!"
    for _ in range(100):
        assert check_scope(hostile, 0, config) is ScopeReason.IN_SCOPE
    assert check_scope("https://example.org/" + "a" * 20, 0, config) is ScopeReason.EXCLUDED_PATTERN
