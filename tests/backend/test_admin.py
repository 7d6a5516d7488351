"""Every model is in the admin with its list, filters and search working for a superuser."""

import pytest
from django.urls import reverse

from backend.chat.models import Conversation, Feedback, Message
from backend.documents.models import Document
from backend.ops.models import QueueProbe
from backend.sources.models import CrawlRun, Source

MODELS = [Source, CrawlRun, Document, Conversation, Message, Feedback, QueueProbe]


@pytest.fixture
def sample_rows(db):
    source = Source.objects.create(name="Verein", start_urls="https://verein.example/\n")
    run = CrawlRun.objects.create(source=source, fetched=3, new=2)
    Document.objects.create(source=source, url="https://verein.example/über-uns", title="Über uns")
    conversation = Conversation.objects.create(language="de")
    message = Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text="Öffnungszeiten: Mo–Fr"
    )
    Feedback.objects.create(message=message, rating=Feedback.Rating.UP, comment="danke")
    return {"source": source, "run": run}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_with_search_and_filter(admin_client, sample_rows, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "über"}).status_code == 200


def test_changelist_shows_counters_and_umlauts(admin_client, sample_rows):
    page = admin_client.get(reverse("admin:documents_document_changelist")).content.decode()
    assert "Über uns" in page
    page = admin_client.get(reverse("admin:sources_source_change", args=[sample_rows["source"].pk]))
    assert page.status_code == 200


def test_source_rejects_bad_urls_and_patterns(admin_client, db):
    response = admin_client.post(
        reverse("admin:sources_source_add"),
        {
            "name": "broken",
            "start_urls": "ftp://verein.example/",
            "include_patterns": "([unclosed",
            "max_depth": 3,
            "max_pages": 10,
            "schedule": "manual",
            "concurrency_per_host": 1,
            "download_delay": 0.5,
            "runs-TOTAL_FORMS": 0,
            "runs-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors)
    assert "is not an http(s) URL" in errors
    assert "is not a usable regular expression" in errors
    assert not Source.objects.exists()


def test_admin_needs_login(client, db):
    response = client.get(reverse("admin:sources_source_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_source_derives_allowed_domains_from_start_urls(db):
    source = Source(
        name="x", start_urls="https://www.verein.example/a\nhttps://docs.verein.example/"
    )
    assert source.allowed_domain_list == ["docs.verein.example", "www.verein.example"]
    source.allowed_domains = "Verein.Example\n"
    assert source.allowed_domain_list == ["verein.example"]


def test_admin_speaks_german(admin_client, sample_rows):
    url = reverse("admin:sources_source_change", args=[sample_rows["source"].pk])
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Start-URLs" in page and "Eine URL pro Zeile." in page
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "One URL per line." in page
