"""Hand-off to a person: ticket delivery secrets, outbound network rules, e-mail.

Which delivery is used (webhook, Zammad, Chatwoot, e-mail) and where it goes are admin
settings (Hand-off settings); the secrets they need are only here, from the environment.
"""

from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import envbool, envfloat, envint, envlist, envstr
from crawler.netguard import parse_allowed as _parse_allowed

# The webhook's body is signed with HMAC-SHA256 under this secret (X-Lotse-Signature).
HANDOFF_WEBHOOK_SECRET = envstr("HANDOFF_WEBHOOK_SECRET", "")
# Zammad: an access token of an agent with ticket.agent permission.
ZAMMAD_TOKEN = envstr("ZAMMAD_TOKEN", "")
# Chatwoot: an agent's or bot's api_access_token for the application API.
CHATWOOT_API_TOKEN = envstr("CHATWOOT_API_TOKEN", "")
# Private networks or host names a ticket may be sent to (same rules as
# CRAWLER_ALLOWED_NETWORKS): a help desk inside your network needs an entry here.
HANDOFF_ALLOWED_NETWORKS = envlist("HANDOFF_ALLOWED_NETWORKS")
try:
    _parse_allowed(HANDOFF_ALLOWED_NETWORKS)
except ValueError as exc:
    raise ImproperlyConfigured(f"HANDOFF_ALLOWED_NETWORKS: {exc}.") from None
HANDOFF_DELIVERY_TIMEOUT = envfloat("HANDOFF_DELIVERY_TIMEOUT", 10.0, minimum=1.0)
# Retries of a ticket that could not be delivered, with the tasks' backoff (seconds to ten
# minutes apart); then it is shown as failed in the admin and can be sent again from there.
HANDOFF_DELIVERY_RETRIES = envint("HANDOFF_DELIVERY_RETRIES", 8, minimum=0)
# A visitor's message to the supporters, and how many tickets one conversation may open.
HANDOFF_MAX_MESSAGE_CHARS = envint("HANDOFF_MAX_MESSAGE_CHARS", 2000, minimum=100)
HANDOFF_MAX_PER_CONVERSATION = envint("HANDOFF_MAX_PER_CONVERSATION", 3, minimum=1)
# Live chat: a supporter whose inbox sent no heartbeat for this long is offline; a chat they
# had taken goes back to waiting. The widget and the inbox poll every HANDOFF_POLL_S seconds.
HANDOFF_ONLINE_S = envint("HANDOFF_ONLINE_S", 30, minimum=5)
HANDOFF_POLL_S = envfloat("HANDOFF_POLL_S", 2.0, minimum=0.5)

# --- E-mail (Django's mail settings; the e-mail delivery of tickets uses them) ---------------
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: set one of them, not both.")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "lotse@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
