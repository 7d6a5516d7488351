"""POST /api/v1/chat/ through the real ASGI app: events, storage, bad input, protection.

No LLM here (no API key): answers are extractive, with the same event format.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import override_settings

from backend.chat.models import Conversation, Feedback, Message
from backend.chat.services import anonymise_client
from rag.answer.citations import cited_numbers
from tests.chat.conftest import asgi_request, ask, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("corpus")]

ORIGIN = {"origin": "https://www.verein.example"}


def test_streams_tokens_then_cited_sources_then_done():
    result = ask("Wie hoch ist der Jahresbeitrag für Kinder?", headers=ORIGIN)

    assert result.status == 200
    assert result.headers["content-type"].startswith("text/event-stream")
    assert result.headers["access-control-allow-origin"] == "https://www.verein.example"
    kinds = [kind for kind, _ in result.events]
    assert kinds[-2:] == ["sources", "done"] and set(kinds[:-2]) == {"token"}
    assert "60 Euro" in result.text and "[1]" in result.text

    (sources,) = result.of("sources")
    assert sources[0]["n"] == 1
    assert sources[0]["url"] == "https://verein.example/beitraege/"
    assert sources[0]["title"] == "Mitgliedsbeiträge"
    assert "Jahresbeitrag" in sources[0]["snippet"]
    assert 0 < sources[0]["score"] <= 1  # hybrid: fused over both sides, in [0, 1]
    # only what the text cites is listed
    assert [s["n"] for s in sources] == cited_numbers(result.text, 99)

    (done,) = result.of("done")
    assert done["outcome"] == "answered"
    assert set(done["timings"]) >= {"retrieval_ms", "first_token_ms", "total_ms"}

    conversation = Conversation.objects.get(id=done["conversation_id"])
    assert conversation.language == "de"
    assert conversation.origin == "https://www.verein.example"
    assert conversation.client_hash == anonymise_client("203.0.113.5")
    assert "203.0.113.5" not in conversation.client_hash
    question, answer = conversation.messages.all()
    assert (question.role, question.text) == ("user", "Wie hoch ist der Jahresbeitrag für Kinder?")
    assert answer.id == done["message_id"]
    assert (answer.role, answer.outcome, answer.model) == ("assistant", "answered", "extractive")
    assert answer.text == result.text
    assert answer.sources == sources
    assert answer.retrieved[0]["url"] == "https://verein.example/beitraege/"
    assert answer.timings == done["timings"]


def test_pdf_source_has_its_page():
    result = ask("Wann findet die Mitgliederversammlung statt?")
    (sources,) = result.of("sources")
    assert sources[0]["url"] == "https://verein.example/satzung.pdf"
    assert sources[0]["page"] == 2


def test_english_question_gets_english_answer():
    result = ask("How much is the membership fee for children?")
    assert result.text.startswith("Our page “Membership” says:")
    assert "60 euros for children" in result.text
    assert result.of("sources")[0][0]["url"] == "https://verein.example/en/membership/"
    assert result.of("done")[0]["language"] == "en"


def test_json_mode_returns_the_same_answer_in_one_object():
    result = ask("Wie hoch ist der Jahresbeitrag?", stream=False)
    assert result.status == 200
    body = result.json
    assert body["outcome"] == "answered"
    assert "120 Euro" in body["answer"]
    assert body["sources"][0]["url"] == "https://verein.example/beitraege/"
    assert Message.objects.get(id=body["message_id"]).text == body["answer"]


def test_nothing_relevant_means_i_dont_know_with_contact():
    result = ask("Wie wird das Wetter morgen in Paris?")
    assert "keine Informationen" in result.text
    assert "info@verein.example" in result.text
    assert result.of("sources") == [[]]
    (done,) = result.of("done")
    assert done["outcome"] == "unanswered"
    assert Message.objects.get(id=done["message_id"]).outcome == Message.Outcome.UNANSWERED


@override_settings(CHAT_MIN_CONFIDENCE=1.0)
def test_relevance_threshold_is_configurable():
    result = ask("Wie hoch ist der Jahresbeitrag?")
    assert result.of("done")[0]["outcome"] == "unanswered"
    # the candidates are still logged, for editors asking "why not?"
    message = Message.objects.get(id=result.of("done")[0]["message_id"])
    assert message.retrieved and message.retrieved[0]["url"] == "https://verein.example/beitraege/"


def test_source_filter():
    from backend.sources.models import Source

    Source.objects.create(id=2, name="Geschäftsstelle", start_urls="https://verein.example/")
    result = ask("Wann ist die Mitgliederversammlung?", sources=[2])
    # source 2 holds only the office hours page: nothing about the assembly
    assert result.of("done")[0]["outcome"] == "unanswered"
    conversation = Conversation.objects.get(id=result.of("done")[0]["conversation_id"])
    assert list(conversation.sources.values_list("id", flat=True)) == [2]


def test_follow_up_in_the_same_conversation_uses_history():
    first = ask("Wie hoch ist der Jahresbeitrag?")
    conversation_id = first.of("done")[0]["conversation_id"]
    follow_up = ask("und für Kinder?", conversation_id=conversation_id)
    assert follow_up.of("done")[0]["conversation_id"] == conversation_id
    assert "60 Euro" in follow_up.text
    message = Message.objects.get(id=follow_up.of("done")[0]["message_id"])
    assert message.query == "Wie hoch ist der Jahresbeitrag? und für Kinder?"
    assert Conversation.objects.get(id=conversation_id).messages.count() == 4


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": ""}, 400, "empty_message"),
        ({"message": "   \n "}, 400, "empty_message"),
        ({"message": "x" * 1001}, 413, "message_too_long"),
        ({"message": "Hallo\x00\x01\x02"}, 400, "invalid_message"),
        ({"message": "\ud800 kaputt"}, 400, "invalid_message"),
        ({}, 400, "invalid_request"),
        ({"message": "Hallo", "conversation_id": "not-a-uuid"}, 400, "invalid_request"),
        ({"message": "Hallo", "conversation_id": str(uuid.uuid4())}, 404, "unknown_conversation"),
        ({"message": "Hallo", "language": "fr"}, 400, "invalid_request"),
        ({"message": "Hallo", "sources": [4242]}, 400, "unknown_source"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (b"{not json", 400, "invalid_json"),
        # hostile bodies: nesting past the recursion limit, an integer past the digit limit
        (b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "invalid_json"),
        (b"[" * 100_000, 400, "invalid_json"),
        (b'{"message": "Hallo", "sources": [' + b"9" * 5000 + b"]}", 400, "invalid_json"),
        (
            b'{"message": "Hallo", "sources": [[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]}',
            400,
            "invalid_json",
        ),
        (b'{"message": "\xff\xfe kaputt"}', 400, "invalid_json"),
        ('{"message": "Hallo ä"}'.encode("latin-1"), 400, "invalid_json"),
        (b"\xef\xbb\xbf{}", 400, "invalid_json"),
        (b'{"message": NaN}', 400, "invalid_json"),
        (b'{"message": "Hallo", "sources": [Infinity]}', 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"null", 400, "invalid_json"),
        (b'"Hallo"', 400, "invalid_json"),
        (b"42", 400, "invalid_json"),
        # wrong types
        ({"message": 42}, 400, "invalid_message"),
        ({"message": ["Hallo"]}, 400, "invalid_message"),
        ({"message": {"text": "Hallo"}}, 400, "invalid_message"),
        ({"message": None}, 400, "invalid_request"),
        ({"message": "Hallo", "stream": "vielleicht"}, 400, "invalid_request"),
        ({"message": "Hallo", "sources": "1"}, 400, "invalid_request"),
        ({"message": "Hallo", "sources": [-1]}, 400, "invalid_request"),
        ({"message": "Hallo", "sources": [2**70]}, 400, "invalid_request"),
        ({"message": "Hallo", "sources": [{"id": 1}]}, 400, "invalid_request"),
        ({"message": "Hallo", "conversation_id": 2**200}, 400, "invalid_request"),
        ({"message": "Hallo", "conversation_id": ["x"]}, 400, "invalid_request"),
        ({"message": "Hallo", "language": ["de"]}, 400, "invalid_request"),
    ],
)
def test_bad_input_gets_a_clear_json_error(body, status, code):
    result = run(asgi_request("/api/v1/chat/", body))
    assert result.status == status
    assert result.headers["content-type"] == "application/json"
    assert result.json["code"] == code
    assert result.json["message"]
    assert Message.objects.filter(role="assistant").count() == 0


def test_script_in_a_question_is_just_text():
    question = "<script>alert('x')</script> Wie hoch ist der Jahresbeitrag?"
    result = ask(question)
    assert result.status == 200
    assert Message.objects.get(role="user").text == question


def test_only_post_and_options():
    result = run(asgi_request("/api/v1/chat/", method="GET"))
    assert result.status == 405
    assert result.json["code"] == "method_not_allowed"


def test_foreign_origin_is_refused():
    result = ask("Wie hoch ist der Beitrag?", headers={"origin": "https://evil.example"})
    assert result.status == 403
    assert result.json["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in result.headers
    assert not Message.objects.exists()


def test_preflight_for_the_website():
    headers = {
        **ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    result = run(asgi_request("/api/v1/chat/", method="OPTIONS", headers=headers))
    assert result.status == 204
    assert result.headers["access-control-allow-origin"] == "https://www.verein.example"
    assert "POST" in result.headers["access-control-allow-methods"]
    assert "content-type" in result.headers["access-control-allow-headers"].lower()

    evil = run(
        asgi_request("/api/v1/chat/", method="OPTIONS", headers={"origin": "https://evil.example"})
    )
    assert evil.status == 403


@override_settings(CHAT_RATE_LIMIT_PER_IP=2)
def test_rate_limit_per_visitor():
    assert ask("Beitrag?", stream=False).status == 200
    assert ask("Beitrag?", stream=False).status == 200
    limited = ask("Beitrag?", stream=False)
    assert limited.status == 429
    assert limited.json["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # another visitor is not affected
    assert ask("Beitrag?", stream=False, client_ip="198.51.100.7").status == 200


@override_settings(CHAT_RATE_LIMIT_PER_CONVERSATION=2)
def test_rate_limit_per_conversation():
    first = ask("Beitrag?", stream=False).json
    cid = first["conversation_id"]
    assert (
        ask("Training?", stream=False, conversation_id=cid, client_ip="198.51.100.1").status == 200
    )
    limited = ask("Satzung?", stream=False, conversation_id=cid, client_ip="198.51.100.2")
    assert limited.status == 429


def test_feedback_on_an_answer():
    answer = ask("Wie hoch ist der Jahresbeitrag?", stream=False).json
    path = f"/api/v1/chat/messages/{answer['message_id']}/feedback/"
    body = {"conversation_id": answer["conversation_id"], "rating": "down", "comment": " zu kurz "}
    result = run(asgi_request(path, body, headers=ORIGIN))
    assert result.status == 201
    assert result.json["rating"] == "down"
    assert result.headers["access-control-allow-origin"] == ORIGIN["origin"]
    feedback = Feedback.objects.get()
    assert (feedback.message_id, feedback.rating, feedback.comment) == (
        answer["message_id"],
        Feedback.Rating.DOWN,
        "zu kurz",
    )


def test_thumbs_down_then_a_comment_is_one_feedback():
    answer = ask("Wie hoch ist der Jahresbeitrag?", stream=False).json
    path = f"/api/v1/chat/messages/{answer['message_id']}/feedback/"
    body = {"conversation_id": answer["conversation_id"], "rating": "down"}
    assert run(asgi_request(path, body, headers=ORIGIN)).status == 201
    assert (
        run(asgi_request(path, {**body, "comment": "Namen fehlen"}, headers=ORIGIN)).status == 200
    )
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (Feedback.Rating.DOWN, "Namen fehlen")
    # changing one's mind replaces the rating, and the comment that belonged to it
    assert run(asgi_request(path, {**body, "rating": "up"}, headers=ORIGIN)).status == 200
    assert Feedback.objects.values_list("rating", "comment").get() == (Feedback.Rating.UP, "")


def test_a_refused_origin_can_read_the_refusal_of_the_config_only():
    evil = {"origin": "https://evil.example"}
    config = run(asgi_request("/api/v1/chat/config/", method="GET", headers=evil))
    assert (config.status, config.json["code"]) == (403, "origin_not_allowed")
    assert config.headers["access-control-allow-origin"] == "https://evil.example"
    assert set(config.json) == {"code", "message"}


def test_a_second_vote_on_an_answer_replaces_the_first():
    answer = ask("Wie hoch ist der Jahresbeitrag?", stream=False).json
    path = f"/api/v1/chat/messages/{answer['message_id']}/feedback/"
    body = {"conversation_id": answer["conversation_id"], "rating": "down"}
    assert run(asgi_request(path, body)).status == 201
    again = run(asgi_request(path, {**body, "rating": "up", "comment": "doch gut"}))
    assert (again.status, again.json["rating"]) == (200, "up")
    for _ in range(5):
        assert run(asgi_request(path, body)).status == 200
    feedback = Feedback.objects.get()  # one vote, the latest
    assert (feedback.rating, feedback.comment) == (Feedback.Rating.DOWN, "")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"conversation_id": "x", "rating": "up", "comment": '
        + b"[" * 50_000
        + b"]" * 50_000
        + b"}",
        b'{"conversation_id": ' + b"1" * 5000 + b', "rating": "up"}',
        b"\xff\xfe",
        b'{"rating": ["up"], "conversation_id": {"a": 1}, "comment": 5}',
        b'{"rating": "up", "conversation_id": "%s", "comment": "\\ud800"}',
        b'{"rating": "up", "conversation_id": "%s", "comment": "nul \\u0000"}',
    ],
)
def test_feedback_answers_400_to_every_malformed_body(body):
    answer = ask("Wie hoch ist der Jahresbeitrag?", stream=False).json
    if b"%s" in body:
        body = body.replace(b"%s", answer["conversation_id"].encode())
    path = f"/api/v1/chat/messages/{answer['message_id']}/feedback/"
    result = run(asgi_request(path, body))
    assert result.status == 400
    assert result.json["code"] in ("invalid_json", "invalid_request")
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("message_id", ["0", str(2**63), "9" * 30, "9" * 5000])
def test_feedback_on_impossible_message_ids_is_404(message_id):
    answer = ask("Wie hoch ist der Jahresbeitrag?", stream=False).json
    body = {"conversation_id": answer["conversation_id"], "rating": "up"}
    result = run(asgi_request(f"/api/v1/chat/messages/{message_id}/feedback/", body))
    assert result.status == 404


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"conversation_id": str(uuid.uuid4())}, 404, "unknown_message"),
        ({"rating": "meh"}, 400, "invalid_request"),
        ({"comment": "x" * 2001}, 400, "invalid_request"),
    ],
)
def test_feedback_refuses_strangers_and_nonsense(change, status, code):
    answer = ask("Wie hoch ist der Jahresbeitrag?", stream=False).json
    body = {"conversation_id": answer["conversation_id"], "rating": "up", **change}
    path = f"/api/v1/chat/messages/{answer['message_id']}/feedback/"
    result = run(asgi_request(path, body))
    assert (result.status, result.json["code"]) == (status, code)
    assert not Feedback.objects.exists()


def test_other_api_endpoints_still_need_staff(client):
    assert client.get("/api/v1/sources/").status_code in (401, 403)


def test_openapi_schema_lists_the_chat(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/chat/" in schema["paths"]
    assert "/api/v1/chat/messages/{message_id}/feedback/" in schema["paths"]
    assert "/api/v1/sources/" in schema["paths"]
    assert client.get("/api/schema/docs/").status_code == 200


def test_search_failure_is_an_error_event_not_a_500(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("qdrant is away")

    monkeypatch.setattr("backend.chat.retrieval.retrieve", broken)
    result = ask("Wie hoch ist der Jahresbeitrag?")
    assert result.status == 200
    assert [kind for kind, _ in result.events] == ["error", "done"]
    assert result.of("error")[0]["code"] == "search_unavailable"
    assert result.of("done")[0]["outcome"] == "error"


def test_unexpected_failure_is_an_error_event_not_a_broken_stream(monkeypatch):
    from backend.chat import answering

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(answering, "extractive_answer", broken)
    result = ask("Wie hoch ist der Jahresbeitrag?")
    assert [kind for kind, _ in result.events] == ["error", "done"]
    assert result.of("error")[0]["code"] == "internal_error"
    message = Message.objects.get(id=result.of("done")[0]["message_id"])
    assert (message.outcome, message.error) == ("error", "internal_error")
