# syntax=docker/dockerfile:1
# Eventgallery: the web server (default command) and the worker (`manage.py run_worker`)
# run from this one image. docker-compose.yml runs both with PostgreSQL and MinIO.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
# PROMETHEUS_MULTIPROC_DIR: gunicorn's processes share their metrics through files
# there (gunicorn.conf.py empties it at start); /tmp is the container's own.
ENV PATH="/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=eventgallery.settings \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/eventgallery-metrics \
    PORT=8000
RUN useradd --create-home --uid 10001 eventgallery \
    && mkdir -p /data/media /tmp/eventgallery-metrics \
    && chown -R eventgallery /data /tmp/eventgallery-metrics
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=eventgallery . .
# collectstatic needs settings, not secrets: a throwaway key for this one step.
RUN SECRET_KEY=collectstatic-only PROMETHEUS_MULTIPROC_DIR= python manage.py collectstatic --noinput
USER eventgallery
EXPOSE 8000
VOLUME ["/data"]
# Liveness of the web server (no database call); the worker's container overrides it
# (docker-compose.yml). Python's urllib, as the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "eventgallery.wsgi", "-c", "gunicorn.conf.py"]
