"""The chat endpoints in the OpenAPI schema.

drf-spectacular documents DRF views only; the chat views are plain async Django views (DRF
cannot stream from async code), so a post-processing hook adds them by hand.
"""

from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/ChatError"}
JSON_ERROR = {"application/json": {"schema": ERROR}}

CHAT_REQUEST = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {
            "type": "string",
            "minLength": 1,
            "description": "The visitor's question, at most CHAT_MAX_MESSAGE_CHARS (1000).",
        },
        "conversation_id": {
            "type": "string",
            "format": "uuid",
            "nullable": True,
            "description": "Continue this conversation; omit to start a new one.",
        },
        "stream": {
            "type": "boolean",
            "default": True,
            "description": "true: Server-Sent Events; false: one JSON object.",
        },
        "language": {
            "type": "string",
            "enum": ["de", "en"],
            "description": "Language to assume when the question does not show it.",
        },
        "sources": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1},
            "maxItems": 50,
            "description": "Search only these crawl sources (new conversations).",
        },
    },
}
SOURCE = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "title": {"type": "string"},
        "url": {"type": "string"},
        "page": {"type": "integer", "nullable": True},
        "snippet": {"type": "string"},
        "score": {"type": "number"},
        "section": {
            "type": "string",
            "description": 'The passage\'s headings as a breadcrumb ("A › B"); may be empty.',
        },
        "kind": {
            "type": "string",
            "enum": ["page", "entry"],
            "description": (
                "page: a crawled page or file; entry: an editors' knowledge entry, whose url "
                "is its read-more link or empty (then the title names the editorial team "
                "and the entry's date)."
            ),
        },
    },
}
CHAT_ANSWER = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "sources": {"type": "array", "items": {"$ref": "#/components/schemas/ChatSource"}},
        "error": {"allOf": [ERROR], "nullable": True},
        "message_id": {"type": "integer"},
        "conversation_id": {"type": "string", "format": "uuid"},
        "outcome": {
            "type": "string",
            "enum": ["answered", "answered_fallback", "unanswered", "error", "handoff"],
            "description": "answered_fallback: the language model failed before its first "
            "word, so the answer quotes the passages (extractive) instead. handoff: the "
            "visitor asked for a person; `handoff` says how one can be reached.",
        },
        "handoff": {"$ref": "#/components/schemas/HandOffOptions"},
        "language": {"type": "string"},
        "timings": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
FEEDBACK_REQUEST = {
    "type": "object",
    "required": ["conversation_id", "rating"],
    "properties": {
        "conversation_id": {"type": "string", "format": "uuid"},
        "rating": {"type": "string", "enum": ["up", "down"]},
        "comment": {"type": "string", "maxLength": 2000},
    },
}
FEEDBACK = {
    "type": "object",
    "required": ["id", "message_id", "rating"],
    "properties": {
        "id": {"type": "integer"},
        "message_id": {"type": "integer"},
        "rating": {"type": "string", "enum": ["up", "down"]},
    },
}
# One Server-Sent Event of the stream; ``data`` is a JSON text whose shape depends on
# ``event`` (docs/api.md): token {text}, sources [ChatSource], error ChatError, done {...},
# handoff HandOffOptions (the visitor asked for a person).
CHAT_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["token", "sources", "error", "done", "handoff"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
}
CHAT_CONFIG = {
    "type": "object",
    "required": ["language", "greeting", "suggested_questions"],
    "properties": {
        "language": {"type": "string", "enum": ["de", "en"]},
        "greeting": {"type": "string"},
        "suggested_questions": {"type": "array", "items": {"type": "string"}},
    },
}
# The public GET endpoints' ?language= (the widget's start screen, the hand-off options).
LANGUAGE_PARAMETER = {
    "name": "language",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "de or en; anything else answers in German.",
}

COMMON_ERRORS = {
    "400": {"description": "Invalid request", "content": JSON_ERROR},
    "403": {"description": "Origin not allowed", "content": JSON_ERROR},
    "404": {"description": "Unknown conversation or message", "content": JSON_ERROR},
    "413": {"description": "Message or request too large", "content": JSON_ERROR},
    "429": {"description": "Rate limited (see Retry-After)", "content": JSON_ERROR},
}


def add_chat_paths(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(
        {
            "ChatError": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
            "ChatRequest": CHAT_REQUEST,
            "ChatSource": SOURCE,
            "ChatAnswer": CHAT_ANSWER,
            "FeedbackRequest": FEEDBACK_REQUEST,
            "Feedback": FEEDBACK,
            "ChatConfig": CHAT_CONFIG,
            "ChatEvent": CHAT_EVENT,
        }
    )
    paths = result.setdefault("paths", {})
    paths["/api/v1/chat/"] = {
        "post": {
            "operationId": "chat_create",
            "summary": "Ask a question",
            "description": "Public (no login). Streams `token`, `sources`, `error` and `done` "
            "events (text/event-stream), or answers with one JSON object when `stream` is "
            "false. See docs/api.md for the event format.",
            "tags": ["chat"],
            "security": [{}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}
                },
            },
            "responses": {
                "200": {
                    "description": "The answer",
                    "content": {
                        "text/event-stream": {"schema": {"$ref": "#/components/schemas/ChatEvent"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/ChatAnswer"}},
                    },
                },
                **COMMON_ERRORS,
                "503": {
                    "description": "The language model or the search failed (JSON mode)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ChatAnswer"}}
                    },
                },
            },
        }
    }
    paths["/api/v1/chat/messages/{message_id}/feedback/"] = {
        "post": {
            "operationId": "chat_feedback_create",
            "summary": "Rate an answer",
            "tags": ["chat"],
            "security": [{}],
            "parameters": [
                {
                    "name": "message_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}
                },
            },
            "responses": {
                "201": {
                    "description": "The answer's first vote, stored",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Feedback"}}
                    },
                },
                "200": {
                    "description": "The answer had a vote: this one replaces it",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Feedback"}}
                    },
                },
                **COMMON_ERRORS,
            },
        }
    }
    paths["/api/v1/chat/config/"] = {
        "get": {
            "operationId": "chat_config_retrieve",
            "summary": "The widget's start screen",
            "description": "Public (no login). Greeting and suggested questions, as editors set "
            "them in the admin (Chat texts); cached for 60 seconds.",
            "tags": ["chat"],
            "security": [{}],
            "parameters": [LANGUAGE_PARAMETER],
            "responses": {
                "200": {
                    "description": "The texts",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ChatConfig"}}
                    },
                },
                "403": COMMON_ERRORS["403"],
            },
        }
    }
    return result
