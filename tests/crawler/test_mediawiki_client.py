"""The wiki crawl's one way to a wiki (crawler.mediawiki.client), against a local HTTP site: the
network guard decides before anything is sent, answers are bounded, a down wiki is retried
then reported, redirects are not followed, requests go one at a time, the delay apart."""

from __future__ import annotations

import json

import pytest

from crawler.config import CrawlConfig, MediaWikiConfig
from crawler.mediawiki.client import (
    PageTooLarge,
    WikiApiError,
    WikiClient,
    WikiRefused,
    WikiUnreachable,
)
from tests.crawler.sites import Answer, Site

JSON = {"Content-Type": "application/json"}


def client_for(site: Site, *, allowed=("127.0.0.1/32",), **fields) -> WikiClient:
    api = f"{site.base}/api.php"
    config = CrawlConfig(
        source_id="1", start_urls=(api,), allowed_networks=allowed,
        mediawiki=MediaWikiConfig(api_url=api), **{"download_delay": 0, **fields},
    )  # fmt: skip
    return WikiClient(config)


def answering(body: dict | bytes, status: int = 200, **headers) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Answer(status, data, {**JSON, **headers})


def test_the_guard_refuses_a_private_wiki_before_any_request():
    with Site({"/api.php": answering({"query": {}})}) as site:
        client = client_for(site, allowed=())
        with pytest.raises(WikiRefused, match="loopback"):
            client.get({"action": "query"})
        assert site.paths() == []


def test_an_allowed_wiki_answers_json_with_our_user_agent():
    with Site({"/api.php": answering({"query": {"pages": []}})}) as site:
        client = client_for(site, user_agent="LotseTest/1")
        assert client.get({"action": "query", "list": "x"}) == {"query": {"pages": []}}
        ((path, headers),) = site.requests
        assert "format=json" in path and "formatversion=2" in path
        assert headers["User-Agent"] == "LotseTest/1"
        assert client.calls == {"query": 1}


def test_an_answer_over_its_limit_fails_without_reading_on():
    big = b'{"parse": {"text": "' + b"x" * 300_000 + b'"}}'
    with Site({"/api.php": answering(big)}) as site:
        with pytest.raises(PageTooLarge, match="larger than 100 KiB"):
            client_for(site).get({"action": "parse"}, max_bytes=100 * 1024)


def test_a_down_wiki_is_retried_then_reported():
    with Site({"/api.php": answering(b"busy", status=503)}) as site:
        with pytest.raises(WikiUnreachable, match="HTTP 503"):
            client_for(site, retry_times=1).get({"action": "query"})
        assert len(site.paths()) == 2


@pytest.mark.parametrize(
    "answer, match",
    [
        (answering({"error": {"code": "readapidenied", "info": "You need read permission"}}),
         "readapidenied: You need read permission"),
        (Answer(302, b"", {"Location": "http://127.0.0.1:1/elsewhere"}), "redirect"),
        (Answer(200, b"<html>not an API</html>", {"Content-Type": "text/html"}), "not-json"),
    ],
)  # fmt: skip
def test_api_errors_redirects_and_non_json_are_clear(answer, match):
    with Site({"/api.php": answer}) as site:
        with pytest.raises(WikiApiError, match=match):
            client_for(site).get({"action": "query"})
        assert len(site.paths()) == 1  # a redirect is not followed


def test_requests_go_one_at_a_time_and_the_delay_apart():
    with Site({"/api.php": answering({"query": {}}, delay_s=0)}) as site:
        client = client_for(site, download_delay=0.3)
        for _ in range(3):
            client.get({"action": "query"})
        timings = sorted(site.timings)
    for (arrived, answered, _), (next_arrived, _, _) in zip(timings, timings[1:], strict=False):
        assert next_arrived >= answered  # one at a time
        # starts are 0.3 s apart; the first arrival also waited for its connection
        assert next_arrived - arrived >= 0.25
