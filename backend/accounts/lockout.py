"""Failed sign-ins are counted per user name and per client address, and lock them out.

Admin logins: after ``LOGIN_FAILURES_PER_USER`` failed attempts for one user name, or
``LOGIN_FAILURES_PER_CLIENT`` from one client address, within ``LOGIN_FAILURE_WINDOW``
seconds, the login form refuses that name or address until the window has passed, without
checking the password. A successful sign-in clears its user name's count (not the address's:
an attacker with one valid account must not reset the count for the others). When the counter
store (Redis) is down the admin login **fails closed**: a password guessed during an outage
is a password guessed.

API tokens: after ``API_TOKEN_FAILURES_PER_CLIENT`` invalid tokens from one address within the
same window that address gets ``429``. A token is 160 random bits, so this is hygiene (a
scanner is stopped and logged), not the defence; it **fails open** when Redis is down, so
integrators keep working.

Counting uses ``backend.ops.counters`` (atomic, shared through Redis). An own counter rather
than django-axes: the counters exist already for the chat; axes would add database tables,
a middleware and its own client-address detection (django-ipware reads ``X-Forwarded-For``
unless configured not to), while Lotse trusts only what uvicorn derived from
``FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from backend.ops import counters
from backend.ops.clients import client_address

logger = logging.getLogger(__name__)


def _user_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
    return f"login:user:{digest[:32]}"


def _client_key(meta: dict, kind: str = "login") -> str:
    return f"{kind}:client:{client_address(meta)}"


def login_locked_for(username: str, meta: dict) -> int | None:
    """Seconds until ``username`` or the client may try again, or None when they may now.

    Raises :class:`counters.CounterUnavailable` when the counter store is down.
    """
    window = settings.LOGIN_FAILURE_WINDOW
    checks = (
        (_user_key(username), settings.LOGIN_FAILURES_PER_USER),
        (_client_key(meta), settings.LOGIN_FAILURES_PER_CLIENT),
    )
    for key, limit in checks:
        if limit and username is not None:
            count = counters.peek(key, window)
            if count.value >= limit:
                return count.reset_in
    return None


def count_login_failure(sender, credentials: dict, request=None, **kwargs) -> None:
    """``user_login_failed`` receiver: one more failure for the name and the address."""
    if request is None:
        return
    username = str(credentials.get("username") or "")
    window = settings.LOGIN_FAILURE_WINDOW
    try:
        if settings.LOGIN_FAILURES_PER_USER:
            counters.hit(_user_key(username), window)
        if settings.LOGIN_FAILURES_PER_CLIENT:
            counters.hit(_client_key(request.META), window)
    except counters.CounterUnavailable:
        logger.warning("login lockout: counter store unavailable, failure not counted")
    logger.info("failed sign-in for %r from %s", username[:150], client_address(request.META))


def clear_login_failures(sender, request=None, user=None, **kwargs) -> None:
    """``user_logged_in`` receiver: a correct password clears the user name's failures."""
    if user is None or not settings.LOGIN_FAILURES_PER_USER:
        return
    try:
        counters.reset(_user_key(user.get_username()), settings.LOGIN_FAILURE_WINDOW)
    except counters.CounterUnavailable:
        logger.warning("login lockout: counter store unavailable, failures not cleared")


class LockoutAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form: refuses a locked-out user name or address before the password
    is even checked, with a message that says for how long."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "unavailable": _("Signing in is not possible right now. Please try again in a minute."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and self.request is not None:
            try:
                wait = login_locked_for(username, self.request.META)
            except counters.CounterUnavailable:
                logger.error("login lockout: counter store unavailable, refusing sign-in")
                raise ValidationError(
                    self.error_messages["unavailable"], code="unavailable"
                ) from None
            if wait is not None:
                minutes = max(1, (wait + 59) // 60)
                logger.warning(
                    "sign-in refused (locked out) for %r from %s",
                    username[:150],
                    client_address(self.request.META),
                )
                raise ValidationError(
                    ngettext(
                        "Too many failed sign-ins. Please try again in %(minutes)d minute.",
                        "Too many failed sign-ins. Please try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    code="locked_out",
                )
        return super().clean()


class LockoutTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …`` with invalid tokens counted per client address."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no token presented: nothing to count
        limit = settings.API_TOKEN_FAILURES_PER_CLIENT
        window = settings.LOGIN_FAILURE_WINDOW
        key = _client_key(request.META, "token")
        if limit:
            try:
                count = counters.peek(key, window)
            except counters.CounterUnavailable:
                count = None  # fail open, see the module docstring
            if count is not None and count.value >= limit:
                raise Throttled(wait=count.reset_in)
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            if limit:
                try:
                    counters.hit(key, window)
                except counters.CounterUnavailable:
                    pass
            logger.info("invalid API token from %s", client_address(request.META))
            raise
