"""Validators of a Source's fields (admin and API alike); the models import them from here."""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crawler.scope import MAX_PATTERN_CHARS, MAX_PATTERNS, PatternError, check_pattern


def lines(text: str) -> list[str]:
    """The non-empty, stripped lines of a multi-line admin field."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def validate_url_lines(text: str) -> None:
    for line in lines(text):
        parts = urlsplit(line)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(
                _("%(line)s is not an http(s) URL."), code="invalid_url", params={"line": line}
            )


def validate_pattern_lines(text: str) -> None:
    """Every line a pattern the crawler can search in linear time (RE2, crawler.patterns)."""
    patterns = lines(text)
    if len(patterns) > MAX_PATTERNS:
        raise ValidationError(
            _("At most %(limit)d patterns."),
            code="too_many_patterns",
            params={"limit": MAX_PATTERNS},
        )
    for line in patterns:
        if len(line) > MAX_PATTERN_CHARS:
            raise ValidationError(
                _("A pattern may have at most %(limit)d characters."),
                code="pattern_too_long",
                params={"limit": MAX_PATTERN_CHARS},
            )
        try:
            check_pattern(line)
        except PatternError as exc:
            raise ValidationError(
                _(
                    "%(line)s is not a usable regular expression: %(error)s. Look-ahead, "
                    "look-behind and back-references are not supported."
                ),
                code="invalid_pattern",
                params={"line": line, "error": exc},
            ) from None


# A wiki's bot password is read from the environment variable the source names, never stored
# in the database; only names with this prefix may be named, so an editor cannot have another
# secret of the server (a database password, an API key) sent to a wiki of their choosing.
WIKI_PASSWORD_ENV_PREFIX = "WIKI_PASSWORD_"
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def validate_wiki_password_env(value: str) -> None:
    if value and not (value.startswith(WIKI_PASSWORD_ENV_PREFIX) and _ENV_NAME.fullmatch(value)):
        raise ValidationError(
            _(
                "Name an environment variable that starts with %(prefix)s (capital letters, "
                "digits and underscores), e.g. %(prefix)sINTRANET."
            ),
            code="invalid_env_name",
            params={"prefix": WIKI_PASSWORD_ENV_PREFIX},
        )


def namespace_numbers(text: str) -> list[int]:
    """``"0, 4 102"`` as namespace numbers; ValueError for anything else."""
    return [int(part) for part in re.split(r"[\s,;]+", (text or "").strip()) if part]


def validate_namespaces(text: str) -> None:
    try:
        numbers = namespace_numbers(text)
    except ValueError:
        numbers = [-1]
    if any(number < 0 for number in numbers):
        raise ValidationError(
            _("Namespaces are numbers (0 for articles), separated by commas."),
            code="invalid_namespaces",
        )


def validate_finite(value: float) -> None:
    if not math.isfinite(value):
        raise ValidationError(_("Enter a number."), code="invalid")
