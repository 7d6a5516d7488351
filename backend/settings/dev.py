"""The embedded default for a laptop: no environment needed."""

from backend.settings.base import *  # noqa: F403
from backend.settings.base import ALLOWED_HOSTS, SECRET_KEY, envbool

DEBUG = envbool("DEBUG", True)
# A fixed development key is fine on a laptop; prod refuses to start without SECRET_KEY.
SECRET_KEY = SECRET_KEY or "lotse-dev-only-insecure-key"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "[::1]"]
