"""The hand-off endpoints in the OpenAPI schema (plain async views, described by hand like the
chat's in backend/chat/api/schema.py)."""

from __future__ import annotations

from backend.chat.api.schema import COMMON_ERRORS, JSON_ERROR, LANGUAGE_PARAMETER

FIELD_ERRORS = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "The reason per field (name, email, phone, message, consent…).",
        },
    },
}
HANDOFF_REQUEST = {
    "type": "object",
    "required": ["message", "consent"],
    "properties": {
        "conversation_id": {
            "type": "string",
            "format": "uuid",
            "nullable": True,
            "description": "The chat's conversation; omit to start one with this request.",
        },
        "name": {"type": "string", "maxLength": 200, "description": "Optional."},
        "email": {"type": "string", "maxLength": 254, "description": "E-mail or phone: one."},
        "phone": {"type": "string", "maxLength": 40},
        "message": {"type": "string", "minLength": 1, "maxLength": 2000},
        "consent": {
            "type": "boolean",
            "description": "Must be true: the visitor agreed to the consent text shown.",
        },
        "language": {"type": "string", "enum": ["de", "en"]},
        "reason": {"type": "string", "enum": ["asked", "unanswered", "thumbs_down"]},
    },
}
HANDOFF = {
    "type": "object",
    "required": ["id", "conversation_id", "kind", "status"],
    "properties": {
        "id": {"type": "integer"},
        "conversation_id": {"type": "string", "format": "uuid"},
        "kind": {"type": "string", "enum": ["ticket", "live"]},
        "status": {"type": "string", "enum": ["received"]},
    },
}
OPTIONS = {
    "type": "object",
    "required": ["enabled", "open", "live", "consent_text", "language"],
    "properties": {
        "enabled": {"type": "boolean", "description": "A person may be asked for at all."},
        "open": {"type": "boolean", "description": "Within the opening hours now."},
        "live": {
            "type": "boolean",
            "description": "A supporter can take the chat over now; false: the contact form.",
        },
        "consent_text": {"type": "string"},
        "language": {"type": "string", "enum": ["de", "en"]},
        "reason": {"type": "string", "description": "In the chat's handoff event: asked."},
    },
}


def add_handoff_paths(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(
        {
            "HandOffRequest": HANDOFF_REQUEST,
            "HandOff": HANDOFF,
            "HandOffOptions": OPTIONS,
            "HandOffError": FIELD_ERRORS,
        }
    )
    created = {"application/json": {"schema": {"$ref": "#/components/schemas/HandOff"}}}
    paths = result.setdefault("paths", {})
    paths["/api/v1/chat/handoff/"] = {
        "post": {
            "operationId": "chat_handoff_create",
            "summary": "Ask for a person (the contact form)",
            "description": "Public (no login), rate-limited like the chat. Stores the request "
            "with the conversation's transcript and sends it as a ticket by the delivery set in "
            "the admin. HTML in the fields is kept as text. See docs/api.md.",
            "tags": ["chat"],
            "security": [{}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/HandOffRequest"}}
                },
            },
            "responses": {
                "201": {"description": "Stored; the ticket goes out", "content": created},
                "200": {"description": "The same request was stored before", "content": created},
                **COMMON_ERRORS,
                "400": {
                    "description": "Invalid request (the reason per field)",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/HandOffError"}
                        }
                    },
                },
                "403": {
                    "description": "Origin not allowed, or no hand-off offered",
                    "content": JSON_ERROR,
                },
                "404": {"description": "Unknown conversation", "content": JSON_ERROR},
                "409": {
                    "description": "The conversation sent its last request",
                    "content": JSON_ERROR,
                },
            },
        }
    }
    paths["/api/v1/chat/handoff/options/"] = {
        "get": {
            "operationId": "chat_handoff_options_retrieve",
            "summary": "How a person can be reached now",
            "description": "Public (no login). Whether a person may be asked for, whether live "
            "chat is possible now (a supporter online within opening hours; else the contact "
            "form), and the consent text; cached for 10 seconds.",
            "tags": ["chat"],
            "security": [{}],
            "parameters": [LANGUAGE_PARAMETER],
            "responses": {
                "200": {
                    "description": "The options",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/HandOffOptions"}
                        }
                    },
                },
                "403": COMMON_ERRORS["403"],
            },
        }
    }
    _add_live_paths(paths, schemas)
    return result


LIVE_STATE = {
    "type": "object",
    "required": ["id", "status", "supporter", "typing", "messages", "poll_s"],
    "properties": {
        "id": {"type": "integer"},
        "conversation_id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["waiting", "active", "ended"]},
        "supporter": {"type": "string", "description": "The supporter's name while active."},
        "ended_by": {"type": "string", "enum": ["", "visitor", "supporter", "assistant"]},
        "typing": {"type": "boolean", "description": "The supporter is typing."},
        "messages": {
            "type": "array",
            "description": "The supporter's messages after `after`; text, never HTML.",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "sender": {"type": "string", "enum": ["supporter"]},
                    "author": {"type": "string"},
                    "text": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                },
            },
        },
        "poll_s": {"type": "number", "description": "Poll again after this many seconds."},
    },
}
LIVE_WRITE = {
    "type": "object",
    "required": ["conversation_id"],
    "properties": {
        "conversation_id": {"type": "string", "format": "uuid"},
        "text": {"type": "string", "maxLength": 2000, "description": "A message to the supporter."},
        "typing": {"type": "boolean", "description": "true: the visitor is typing."},
        "end": {"type": "boolean", "description": "true: the visitor leaves the chat."},
        "after": {"type": "integer"},
    },
}
LIVE_START = {
    "type": "object",
    "properties": {
        "conversation_id": {"type": "string", "format": "uuid", "nullable": True},
        "language": {"type": "string", "enum": ["de", "en"]},
        "reason": {"type": "string", "enum": ["asked", "unanswered", "thumbs_down"]},
    },
}


ID = {"name": "handoff_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _add_live_paths(paths: dict, schemas: dict) -> None:
    schemas.update(
        {"LiveChat": LIVE_STATE, "LiveChatWrite": LIVE_WRITE, "LiveChatStart": LIVE_START}
    )
    state = {"application/json": {"schema": {"$ref": "#/components/schemas/LiveChat"}}}
    common = {
        "tags": ["chat"],
        "security": [{}],
    }
    errors = {
        **COMMON_ERRORS,
        "400": {"description": "Invalid request", "content": JSON_ERROR},
        "404": {"description": "No such live chat in this conversation", "content": JSON_ERROR},
        "409": {"description": "Ended, or no supporter available", "content": JSON_ERROR},
    }
    paths["/api/v1/chat/handoff/live/"] = {
        "post": {
            **common,
            "operationId": "chat_handoff_live_create",
            "summary": "Wait for a supporter (live chat)",
            "description": "Public, rate-limited like the chat. 409 no_supporter when nobody is "
            "online now (offer the form). See docs/api.md.",
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/LiveChatStart"}}
                }
            },
            "responses": {"201": {"description": "Waiting", "content": state}, **errors},
        }
    }
    paths["/api/v1/chat/handoff/live/{handoff_id}/"] = {
        "get": {
            **common,
            "operationId": "chat_handoff_live_retrieve",
            "summary": "Poll a live chat",
            "description": "The status, the supporter's name and new messages; the conversation "
            "id must be the hand-off's.",
            "parameters": [
                ID,
                {
                    "name": "conversation_id",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                },
                {"name": "after", "in": "query", "schema": {"type": "integer"}},
            ],  # fmt: skip
            "responses": {"200": {"description": "The chat", "content": state}, **errors},
        },
        "post": {
            **common,
            "operationId": "chat_handoff_live_message_create",
            "summary": "Write to the supporter, say typing, or leave",
            "parameters": [ID],
            "description": "Messages are rate-limited like questions and kept as text.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/LiveChatWrite"}}
                },
            },
            "responses": {
                "201": {"description": "Sent", "content": state},
                "200": {"description": "Typing noted, or left", "content": state},
                **errors,
            },
        },
    }
