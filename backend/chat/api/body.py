"""Reading a public endpoint's JSON body: every malformed body is a 400 with a JSON error.

Hostile bodies get the same clear answer as clumsy ones: invalid UTF-8, not JSON, JSON that
is not an object, ``NaN``/``Infinity``, nesting deeper than any real request
(``RecursionError`` inside ``json``), integers too long to convert (``ValueError`` past
Python's 4300-digit limit), and fields of the wrong type (the serializer's errors).
"""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _

from backend.chat.services import ChatError

# No request of the chat API nests deeper than 3 (object > list > integer); allow some slack.
MAX_NESTING = 20


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _too_deep(payload: object) -> bool:
    """Nesting deeper than MAX_NESTING, found without recursion."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return False


def json_object(request: HttpRequest) -> dict:
    """The body as a JSON object, or :class:`ChatError` (400 ``invalid_json``, 413)."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise ChatError("request_too_large", _("The request is too large."), 413) from None
    not_an_object = ChatError("invalid_json", _("The request body must be a JSON object."))
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # ValueError covers JSONDecodeError and integers over the int-to-str digit limit
        raise not_an_object from None
    if not isinstance(payload, dict) or _too_deep(payload):
        raise not_an_object
    return payload


def validated(serializer_class, payload: dict) -> dict:
    """The serializer's validated data, or :class:`ChatError` 400 with the field errors."""
    serializer = serializer_class(data=payload)
    if not serializer.is_valid():
        raise ChatError(
            "invalid_request", _("The request is not valid."), details=serializer.errors
        )
    return serializer.validated_data
