"""A site whose text exists only after JavaScript runs, crawled with render never / auto /
always through the real task path and asked through the chat API (the LLM is the fake)."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from backend.documents.models import Document
from backend.ops.counters import local_counters
from backend.sources.models import CrawlLogEntry, CrawlRun, Source
from tests.chat.conftest import ask
from tests.crawler.js_sites import FROM_JSON, FROM_ROUTER, js_site
from tests.e2e.browser import chromium_path
from tests.e2e.test_crawl_and_index import crawl
from tests.fake_openai import FakeOpenAI, Reply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_embedded_stores"),
    pytest.mark.timeout(300),
]


@pytest.fixture
def fake_llm():
    browser = chromium_path()
    with FakeOpenAI() as fake:
        with override_settings(
            CRAWLER_ALLOWED_NETWORKS=["127.0.0.1/32"],
            CRAWLER_BROWSER=browser,
            OPENAI_API_KEY="test-key",
            OPENAI_BASE_URL=fake.base_url,
            CHAT_LLM_TIMEOUT=10.0,
            CHAT_RATE_LIMIT_PER_IP=1000,
            CHAT_RATE_LIMIT_PER_CONVERSATION=1000,
        ):
            local_counters.clear()
            yield fake
            local_counters.clear()


def prompt_of(fake: FakeOpenAI) -> str:
    return json.dumps([r.get("messages") for r in fake.chat_requests], ensure_ascii=False)


@pytest.mark.parametrize("render", ["never", "auto", "always"])
def test_script_built_text_is_answerable_only_when_rendered(fake_llm, render):
    with js_site() as site:
        source = Source.objects.create(
            name="Kanzlei", start_urls=site.base + "/", download_delay=0, render=render
        )
        run = crawl(source)
    assert run.status == CrawlRun.Status.FINISHED, run.error
    reasons = dict(CrawlLogEntry.objects.filter(run=run).values_list("url", "reason"))
    documents = Document.objects.filter(source=source)
    fake_llm.default = Reply("Dienstags von neun bis zwölf Uhr [1].")
    result = ask("Wann ist die Sprechstunde der Kanzlei?", stream=False)
    assert result.status == 200, result.body
    answer = result.json
    if render == "never":
        assert reasons == {site.base + "/": ""}
        assert FROM_JSON not in prompt_of(fake_llm)
        assert answer["sources"] == [] or all(
            s["url"] != site.base + "/" for s in answer["sources"]
        )
        return
    why = "always" if render == "always" else "framework_root"
    assert reasons[site.base + "/"] == f"rendered: {why}"
    assert documents.filter(status=Document.Status.INDEXED).count() == 3
    assert FROM_JSON in prompt_of(fake_llm)
    assert answer["outcome"] == "answered"
    assert [s["url"] for s in answer["sources"]] == [site.base + "/"]
    second = ask("Wie hoch ist der Mitgliedsbeitrag?", stream=False).json
    assert FROM_ROUTER in prompt_of(fake_llm)
    assert second["sources"][0]["url"] == site.base + "/beitrag"
