"""The mode a new user is in: banner, /readyz (staff) and the admin start page say how the
chat answers (language model or extractive) and searches (keywords or meaning)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.test import override_settings

from backend.ops.stores import answer_mode, describe_mode

NO_MODEL = {"OPENAI_API_KEY": "", "AZURE_OPENAI_ENDPOINT": "", "EMBEDDING_PROVIDER": ""}
LOCAL_DENSE = {
    "EMBEDDING_PROVIDER": "local",
    "EMBEDDING_MODEL": "all-MiniLM-L6-v2",
    "EMBEDDING_DIM": 384,
}


def test_no_key_and_no_embeddings_say_extractive_and_keywords_only():
    with override_settings(**NO_MODEL):
        assert answer_mode() == {
            "answers": "extractive (no language model)",
            "search": "keywords only",
        }


def test_a_model_and_embeddings_are_named():
    with override_settings(
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="https://user:secret@llm.example:8443/v1",
        AZURE_OPENAI_ENDPOINT="",
        CHAT_MODEL="mistral-small",
        **LOCAL_DENSE,
    ):
        mode = describe_mode()
    assert mode["answers"] == "language model mistral-small at llm.example:8443"
    assert "secret" not in mode["answers"]
    assert mode["search"] == "keywords + all-MiniLM-L6-v2 (local)"


def test_banner_says_what_mode_and_how_to_switch(transactional_db):
    from backend.ops.management.commands.serve import Command

    out = StringIO()
    with override_settings(**NO_MODEL):
        Command(stdout=out)._banner("127.0.0.1", 8000)
    banner = out.getvalue()
    assert "answers     extractive (no language model)" in banner
    assert "search      keywords only" in banner
    assert "Set OPENAI_API_KEY" in banner and "Set EMBEDDING_PROVIDER" in banner

    out = StringIO()
    with override_settings(OPENAI_API_KEY="sk-test", CHAT_MODEL="gpt-4o-mini", **LOCAL_DENSE):
        Command(stdout=out)._banner("127.0.0.1", 8000)
    assert "answers     language model gpt-4o-mini" in out.getvalue()
    assert "Set OPENAI_API_KEY" not in out.getvalue()
    assert "Set EMBEDDING_PROVIDER" not in out.getvalue()


@pytest.mark.django_db
def test_readyz_details_for_staff(admin_client, client):
    with override_settings(**NO_MODEL):
        assert admin_client.get("/readyz").json()["mode"]["answers"] == (
            "extractive (no language model)"
        )
        assert "mode" not in client.get("/readyz").json()


@pytest.mark.django_db
def test_admin_start_page_shows_the_mode_in_the_editors_language(admin_client):
    with override_settings(**NO_MODEL, LANGUAGE_CODE="de"):
        page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'data-mode="answers">zitierend: Sätze aus Ihren Seiten (kein Sprachmodell)' in page
    assert 'data-mode="search">nur Stichwörter' in page
    assert "Ohne Sprachmodell zitiert der Chat" in page and "OPENAI_API_KEY" in page
    assert "So arbeitet der Chat gerade" in page and ">Suche<" in page
    with override_settings(OPENAI_API_KEY="sk-test", CHAT_MODEL="gpt-4o-mini", **LOCAL_DENSE):
        page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-mode="answers">language model gpt-4o-mini' in page
    assert 'data-mode="search">keywords and meaning (all-MiniLM-L6-v2)' in page
    assert "OPENAI_API_KEY" not in page
