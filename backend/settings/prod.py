"""Production: DJANGO_SETTINGS_MODULE=backend.settings.prod behind Traefik (TLS).

Traefik terminates TLS and forwards plain HTTP with ``X-Forwarded-Proto: https``. uvicorn
applies that header (and ``X-Forwarded-For``) only for requests from ``FORWARDED_ALLOW_IPS``
(Traefik's network in docker-compose.prod.yml), so Django sees ``https`` exactly when the
proxy says so; it serves HTTPS-only cookies, HSTS and absolute ``https://`` URLs.
"""

from django.core.exceptions import ImproperlyConfigured

from backend.settings.base import *  # noqa: F403
from backend.settings.base import (
    ALLOWED_HOSTS,
    LOG_LEVEL,
    MIDDLEWARE,
    SECRET_KEY,
    envint,
    envstr,
    logging_config,
    read_log_format,
)

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set (a long random string) in production.")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 50 random characters.")

# base falls back to "localhost" for a laptop; a server must say its name.
CHATBOT_HOST = envstr("CHATBOT_HOST", "")
if not CHATBOT_HOST:
    raise ImproperlyConfigured("CHATBOT_HOST must be set in production, e.g. chat.example.org.")
if "/" in CHATBOT_HOST or ":" in CHATBOT_HOST:
    raise ImproperlyConfigured(
        f"CHATBOT_HOST must be a bare host name like chat.example.org, got {CHATBOT_HOST!r}."
    )

DEBUG = False
# 127.0.0.1 and localhost: the container's own healthcheck asks http://127.0.0.1:8000/healthz.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = [f"https://{CHATBOT_HOST}"]

# --- HTTPS behind Traefik ---------------------------------------------------------------------
# No SECURE_PROXY_SSL_HEADER: Django would read X-Forwarded-Proto from anyone; uvicorn sets
# the scheme from it for the trusted proxies only (serve's forwarded_allow_ips).
SECURE_SSL_REDIRECT = True
# Probes and the Prometheus scraper may ask over plain HTTP inside the compose network.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# One year once it works; an operator trying TLS out first may set 300 (five minutes).
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
# Covers only hosts below CHATBOT_HOST, never the customer's main domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Joining the browsers' preload list is a decision for the domain's owner, not for an app.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logs: JSON lines on stdout, where `docker compose logs` and collectors read them ---------
LOG_FORMAT = read_log_format("json")
LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT, stream="ext://sys.stdout")

# --- Metrics: first, so the time spent in every other middleware is counted -------------------
MIDDLEWARE = ["backend.ops.metrics.RequestMetricsMiddleware", *MIDDLEWARE]
