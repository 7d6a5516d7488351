"""The embedded default for a laptop: no environment needed.

DEBUG stays off unless ``DEBUG=true`` is set: ``manage.py serve`` may listen on a network
(``--host 0.0.0.0``), and Django's debug pages show settings, code and URL patterns to whoever
causes an error. A developer who wants them sets ``DEBUG=true`` for the session.
"""

from backend.settings.base import *  # noqa: F403
from backend.settings.base import ALLOWED_HOSTS, SECRET_KEY

# A fixed development key is fine on a laptop; prod refuses to start without SECRET_KEY.
SECRET_KEY = SECRET_KEY or "lotse-dev-only-insecure-key"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "[::1]"]
