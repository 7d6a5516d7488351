"""Settings shared by every environment. Values come only from the environment (see .env.dist).

With no environment at all Lotse runs on its embedded default: SQLite, an embedded page store
and Qdrant local mode under ``var/``, and tasks run by an in-process worker. Setting
``DATABASE_URL``, ``MONGODB_URL``, ``QDRANT_URL``, ``CELERY_BROKER_URL`` and ``REDIS_URL``
switches each part to its real server. The choice is made here, once.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import (
    envbool,
    envfloat,
    envint,
    envlist,
    envstr,
    envurl,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parents[2]

# --- Where embedded stores live -------------------------------------------------------------
VAR_DIR = Path(envstr("LOTSE_VAR_DIR", str(BASE_DIR / "var"))).resolve()


def ensure_writable_dir(path: Path, variable: str) -> Path:
    """Create ``path`` and prove it writable, or fail with one line that says what to fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{variable}: {path} is not writable ({exc.strerror or exc}). "
            f"Make it writable or point {variable} at a writable folder."
        ) from None
    return path


# --- Core Django ----------------------------------------------------------------------------
DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY", "")
CHATBOT_HOST = envstr("CHATBOT_HOST", "localhost")
# The customer's website(s) that embed the chat widget; the chat API answers only these.
WEBSITE_HOST = envlist("WEBSITE_HOST")
ALLOWED_HOSTS = [CHATBOT_HOST, *envlist("ALLOWED_HOSTS")]

INSTALLED_APPS = [
    # first: its createsuperuser (password rules with --noinput too) wins over auth's
    "backend.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "backend.sources",
    "backend.documents",
    "backend.chat",
    "backend.insights",
    "backend.widget",
    "backend.evaluation",
    "backend.knowledge",
    "backend.handoff",
    "backend.uploads",
    # last: its post_migrate hook gives the roles the permissions of the apps above
    "backend.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "backend.ops.static.StaticFilesMiddleware",  # WhiteNoise, kept async (see the module)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
ASGI_APPLICATION = "backend.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # project-wide overrides (the admin index with Lotse's own pages)
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: DATABASE_URL (MySQL) or SQLite under var/ -------------------------------------
DATABASE_URL = envurl("DATABASE_URL", schemes=("mysql", "mariadb", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": parse_database_url("DATABASE_URL", DATABASE_URL).as_django()}
else:
    ensure_writable_dir(VAR_DIR, "LOTSE_VAR_DIR")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "lotse.sqlite3"),
            # Web, in-process worker and management commands share the file. WAL: readers
            # never wait for a writer, and a commit appends to the log instead of syncing the
            # whole file twice, so concurrent chats do not queue behind each other's commits
            # (synchronous=NORMAL is WAL's durable-after-checkpoint setting).
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Page store: MongoDB or the embedded store under var/pagestore ---------------------------
MONGODB_URL = envurl("MONGODB_URL", schemes=("mongodb", "mongodb+srv"))
MONGODB_DATABASE = envstr("MONGODB_DATABASE", "lotse")
PAGE_STORE_PATH = VAR_DIR / "pagestore"

# --- Vectors: Qdrant server or local mode under var/qdrant -----------------------------------
QDRANT_URL = envurl("QDRANT_URL", schemes=("http", "https"))
QDRANT_API_KEY = envstr("QDRANT_API_KEY", "")
QDRANT_PATH = VAR_DIR / "qdrant"
QDRANT_COLLECTION_PREFIX = envstr("QDRANT_COLLECTION_PREFIX", "lotse")

if not (MONGODB_URL and QDRANT_URL):
    ensure_writable_dir(VAR_DIR, "LOTSE_VAR_DIR")

# --- Tasks: Celery through a broker, or an in-process worker --------------------------------
CELERY_BROKER_URL = envurl("CELERY_BROKER_URL", schemes=("amqp", "amqps", "redis", "rediss"))
REDIS_URL = envurl("REDIS_URL", schemes=("redis", "rediss"))
# No broker: tasks run in threads of the web process (the embedded default).
TASKS_EMBEDDED = not CELERY_BROKER_URL
CELERY_RESULT_BACKEND = REDIS_URL or None
# How long a fan-out message may wait in a queue before it is dropped unrun (seconds).
TASK_EXPIRES = envint("LOTSE_TASK_EXPIRES", 6 * 3600, minimum=60)
# Threads of the in-process worker that index (the embedded default; with a broker, the
# rag workers' --concurrency decides): one per core, at most four (workers/inprocess.py).
INDEXING_THREADS = envint("INDEXING_THREADS", min(4, os.cpu_count() or 1), minimum=1)

# --- Indexing --------------------------------------------------------------------------------
# Parse results cached by content hash + parser version: re-chunking never re-parses.
RAG_CACHE_DIR = Path(envstr("RAG_CACHE_DIR", str(VAR_DIR / "rag_cache")))
RAG_OCR_ENABLED = envbool("RAG_OCR_ENABLED", True)
RAG_OCR_LANGUAGES = envstr("RAG_OCR_LANGUAGES", "deu+eng")
RAG_CHUNK_MAX_CHARS = envint("RAG_CHUNK_MAX_CHARS", 1500, minimum=200)
RAG_CHUNK_MIN_CHARS = envint("RAG_CHUNK_MIN_CHARS", 300, minimum=0)
RAG_MAX_PDF_PAGES = envint("RAG_MAX_PDF_PAGES", 2000, minimum=1)
# How often a transient failure (Qdrant or the embedding API away) is retried before the
# document is marked failed.
RAG_MAX_RETRIES = envint("RAG_MAX_RETRIES", 6, minimum=0)

# --- Uploads: their limits and public address ------------------------------------------------
from backend.settings.uploads import *  # noqa: E402, F403

# Dense embeddings: without any setting, the multilingual model shipped with Lotse
# ("bundled": Universal Sentence Encoder multilingual v3, rag/embeddings/bundled.py; no
# download, no key). "none" switches dense vectors off (lexical retrieval only); "openai",
# "azure" and "local" replace the model. Model and dimension name the Qdrant collection, so
# a new model means a new collection and a `manage.py reindex`.
EMBEDDING_PROVIDER = envstr("EMBEDDING_PROVIDER", "").lower() or "bundled"
if EMBEDDING_PROVIDER not in ("none", "bundled", "openai", "azure", "local"):
    raise ImproperlyConfigured(
        f"EMBEDDING_PROVIDER={EMBEDDING_PROVIDER!r} must be empty, none, bundled, openai, azure "
        "or local."
    )
EMBEDDING_MODEL = envstr("EMBEDDING_MODEL", "")
EMBEDDING_DIM = envint("EMBEDDING_DIM", 0, minimum=0)
EMBEDDING_API_KEY = envstr("EMBEDDING_API_KEY", "")
EMBEDDING_BASE_URL = envstr("EMBEDDING_BASE_URL", "")
EMBEDDING_AZURE_DEPLOYMENT = envstr("EMBEDDING_AZURE_DEPLOYMENT", "")
EMBEDDING_MODEL_DIR = envstr("EMBEDDING_MODEL_DIR", "")
# BLAS threads of the bundled or local model per process (0 = one per core). One: workers
# scale by processes, and several multi-threaded processes on few cores slow each other down.
EMBEDDING_THREADS = envint("EMBEDDING_THREADS", 1, minimum=0)
# Prepended to queries / passages for models trained with them (multilingual-e5: "query: ",
# "passage: "); empty: read from the model folder's config_sentence_transformers.json.
EMBEDDING_QUERY_PREFIX = envstr("EMBEDDING_QUERY_PREFIX", "")
EMBEDDING_PASSAGE_PREFIX = envstr("EMBEDDING_PASSAGE_PREFIX", "")
# Share of the dense ranking in the fused (hybrid) score; empty: the model's measured default
# (rag/retrieval/weights.py), 0.25 for a model without one.
RETRIEVAL_DENSE_WEIGHT = envstr("RETRIEVAL_DENSE_WEIGHT", "")
if RETRIEVAL_DENSE_WEIGHT:
    RETRIEVAL_DENSE_WEIGHT = envfloat("RETRIEVAL_DENSE_WEIGHT", 0.25, minimum=0.0)
    if RETRIEVAL_DENSE_WEIGHT > 1.0:
        raise ImproperlyConfigured("RETRIEVAL_DENSE_WEIGHT must lie within 0 and 1.")
if EMBEDDING_PROVIDER in ("openai", "azure", "local") and not (EMBEDDING_MODEL and EMBEDDING_DIM):
    raise ImproperlyConfigured(
        f"EMBEDDING_PROVIDER={EMBEDDING_PROVIDER}: EMBEDDING_MODEL and EMBEDDING_DIM must be set too."
    )
if EMBEDDING_PROVIDER == "local" and not Path(EMBEDDING_MODEL_DIR or "/nonexistent").is_dir():
    raise ImproperlyConfigured(
        f"EMBEDDING_MODEL_DIR={EMBEDDING_MODEL_DIR!r} must be the folder of the local model "
        "(with tokenizer.json and model.safetensors or model.onnx)."
    )

# --- Crawler: backend/settings/crawler.py -------------------------------------------------
from backend.settings.crawler import *  # noqa: E402, F403

# --- Chat ------------------------------------------------------------------------------------
# The language model: any OpenAI-compatible endpoint. No key: extractive answers from the
# best passages, with the same citations.
OPENAI_API_KEY = envstr("OPENAI_API_KEY", "")
OPENAI_BASE_URL = envstr("OPENAI_BASE_URL", "")
# Azure OpenAI instead: the resource URL and API version; CHAT_MODEL is then the deployment.
AZURE_OPENAI_ENDPOINT = envstr("AZURE_OPENAI_ENDPOINT", "")
AZURE_OPENAI_API_VERSION = envstr("AZURE_OPENAI_API_VERSION", "2024-10-21")
CHAT_MODEL = envstr("CHAT_MODEL", "gpt-4o-mini")
CHAT_TEMPERATURE = envfloat("CHAT_TEMPERATURE", 0.1, minimum=0.0)
CHAT_MAX_ANSWER_TOKENS = envint("CHAT_MAX_ANSWER_TOKENS", 800, minimum=50)
# Seconds to connect and between two streamed pieces; slower counts as down (one retry).
CHAT_LLM_TIMEOUT = envfloat("CHAT_LLM_TIMEOUT", 30.0, minimum=1.0)
# Passages retrieved per question, and the score below which a passage is not relevant.
CHAT_TOP_K = envint("CHAT_TOP_K", 6, minimum=1)
# A passage is relevant when its confidence (rag/answer/relevance.py: how much of the
# question it covers and, with dense embeddings, how close its meaning is) reaches this;
# no relevant passage means "I don't know". Higher: more "I don't know", fewer wrong answers.
CHAT_MIN_CONFIDENCE = envfloat("CHAT_MIN_CONFIDENCE", 0.5, minimum=0.0)
if CHAT_MIN_CONFIDENCE > 1.0:
    raise ImproperlyConfigured("CHAT_MIN_CONFIDENCE must lie within 0 and 1.")
# How far a passage's meaning must stand above the question's background to count on its
# own (dense cosine); 0: the value measured for the model (rag/answer/relevance.py), 0.2 for
# a model without one. Set it only for a model of your own, after `manage.py evaluate`.
CHAT_DENSE_STAND_OUT = envfloat("CHAT_DENSE_STAND_OUT", 0.0, minimum=0.0)
# With a language model: also search for rephrasings of the question ("multi") or for a
# hypothetical answer ("hyde"); off by default: one more LLM call before every answer.
CHAT_QUERY_EXPANSION = envstr("CHAT_QUERY_EXPANSION", "off").lower()
if CHAT_QUERY_EXPANSION not in ("off", "multi", "hyde"):
    raise ImproperlyConfigured("CHAT_QUERY_EXPANSION must be off, multi or hyde.")
# Earlier question/answer pairs used for follow-ups.
CHAT_HISTORY_TURNS = envint("CHAT_HISTORY_TURNS", 3, minimum=0)
CHAT_MAX_MESSAGE_CHARS = envint("CHAT_MAX_MESSAGE_CHARS", 1000, minimum=20)
# Appended to "I don't know", e.g. "info@verein.example or 030 1234567".
CHAT_CONTACT_HINT = envstr("CHAT_CONTACT_HINT", "")
# System prompts by language, {"de": "...", "en": "..."}; a missing one uses the default in
# rag/answer/prompt.py. Set in a settings module, not the environment (an admin editor is next).
CHAT_SYSTEM_PROMPTS: dict[str, str] = {}
# Questions per minute per visitor (anonymised IP) and per conversation; 0 switches off. The
# counters (backend.ops.counters) are atomic, in Redis when REDIS_URL is set, else in-process.
CHAT_RATE_LIMIT_PER_IP = envint("CHAT_RATE_LIMIT_PER_IP", 20, minimum=0)
CHAT_RATE_LIMIT_PER_CONVERSATION = envint("CHAT_RATE_LIMIT_PER_CONVERSATION", 10, minimum=0)
# Conversations older than this many days are deleted (`manage.py delete_old_chats`); 0 keeps.
CHAT_RETENTION_DAYS = envint("CHAT_RETENTION_DAYS", 90, minimum=0)

# --- Evaluation: editors' test questions (docs/editors.md) -----------------------------------
# Run the active test questions after every crawl that changed the index.
EVALUATE_AFTER_CRAWL = envbool("EVALUATE_AFTER_CRAWL", True)

# Django's cache, shared through Redis when there is one (rate limits do not use it).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "lotse",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# OpenAPI schema at /api/schema/, browsable at /api/schema/docs/.
INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS = {
    "TITLE": "Lotse API",
    "DESCRIPTION": "Crawl sources, crawls, and the public chat. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from this server (the sidecar package), never from a CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # the uploads' status is not the other models' (its own name in the schema)
    "ENUM_NAME_OVERRIDES": {"UploadStatusEnum": "backend.uploads.models.Upload.Status"},
    # the chat endpoints are async Django views, described by hand
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.chat.api.schema.add_chat_paths",
        "backend.handoff.api.schema.add_handoff_paths",
        "backend.sources.api.schema.add_error_responses",
    ],
}

# --- Proxies, passwords, sign-in lockout (security); hand-off delivery and e-mail (handoff) ---
from backend.settings.handoff import *  # noqa: E402, F403
from backend.settings.security import *  # noqa: E402, F403

# --- Health checks ---------------------------------------------------------------------------
# Every /readyz probe gives up after this many seconds, so the endpoint never hangs.
HEALTH_CHECK_TIMEOUT = envfloat("LOTSE_HEALTH_TIMEOUT", 3.0, minimum=0.1)
# /metrics answers staff users and requests with "Authorization: Bearer METRICS_TOKEN".
METRICS_TOKEN = envstr("METRICS_TOKEN", "")

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "backend" / "locale"]
USE_I18N = True
TIME_ZONE = envstr("TIME_ZONE", "Europe/Berlin")
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("LOTSE_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
WHITENOISE_USE_FINDERS = True

# --- REST framework: every view needs a role's model permission unless it says otherwise ------
REST_FRAMEWORK = {
    # the token first: a request without credentials gets 401 with WWW-Authenticate: Token
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.accounts.lockout.LockoutTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # the admin's check: active staff user with the model permission (backend.ops.permissions)
    "DEFAULT_PERMISSION_CLASSES": ["backend.ops.permissions.RolePermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- Logging: one line per record; LOG_FORMAT=json for log collectors ----------------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} must be DEBUG, INFO, WARNING or ERROR.")
LOG_FORMATS = ("line", "json")


def read_log_format(default: str) -> str:
    log_format = envstr("LOG_FORMAT", default).lower()
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT={log_format!r} must be line or json.")
    return log_format


def logging_config(level: str, log_format: str, stream: str = "ext://sys.stderr") -> dict:
    """One handler for everything, uvicorn's loggers included, so every line has one format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "backend.ops.logs.JsonLinesFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "stream": stream}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "httpx": {"level": "WARNING"},
            "httpx2": {"level": "WARNING"},
            # uvicorn installs its own handlers; django.setup() runs after it and takes them
            # over here.
            "uvicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["console"], "level": level, "propagate": False},
        },
    }


LOG_FORMAT = read_log_format("line")
LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT)
