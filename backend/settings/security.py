"""Who may sign in, how often, and whose forwarded headers count (imported by ``base``)."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import envint, envlist

# --- Proxies ---------------------------------------------------------------------------------
# Addresses or networks (CIDR) of the reverse proxies in front of `manage.py serve`. Only a
# request from one of them may set the client address (X-Forwarded-For) and the scheme
# (X-Forwarded-Proto); uvicorn applies them, no Lotse code reads the headers itself. Default:
# loopback only (a proxy on the same host). docker-compose.prod.yml sets Traefik's network.
FORWARDED_ALLOW_IPS = envlist("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
for _entry in FORWARDED_ALLOW_IPS:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"FORWARDED_ALLOW_IPS: {_entry!r} is not an IP address or network (CIDR); name "
            "the proxy's address or network, e.g. 172.18.0.0/16."
        ) from None

# --- Passwords -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in lockout (backend.accounts.lockout) ----------------------------------------------
# Failed admin sign-ins allowed per user name and per client address within the window
# (seconds); more lock that name or address out until the window ends. 0 switches one off.
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", 900, minimum=60)
LOGIN_FAILURES_PER_USER = envint("LOGIN_FAILURES_PER_USER", 10, minimum=0)
LOGIN_FAILURES_PER_CLIENT = envint("LOGIN_FAILURES_PER_CLIENT", 30, minimum=0)
# Invalid API tokens per client address within the same window; more get 429.
API_TOKEN_FAILURES_PER_CLIENT = envint("API_TOKEN_FAILURES_PER_CLIENT", 20, minimum=0)
