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
            "chat is possible (not yet: always false, the contact form is offered), and the "
            "consent text; cached for 60 seconds.",
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
    return result
