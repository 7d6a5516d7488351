"""Production: DJANGO_SETTINGS_MODULE=backend.settings.prod behind Traefik (TLS)."""

from django.core.exceptions import ImproperlyConfigured

from backend.settings.base import *  # noqa: F403
from backend.settings.base import CHATBOT_HOST, SECRET_KEY

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set (a long random string) in production.")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 50 random characters.")

DEBUG = False
CSRF_TRUSTED_ORIGINS = [f"https://{CHATBOT_HOST}"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
