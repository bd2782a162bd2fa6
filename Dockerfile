# syntax=docker/dockerfile:1
# Eventgallery: the web server (default command) and the worker (`manage.py run_worker`)
# run from this one image. docker-compose.yml runs both with PostgreSQL and MinIO.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt \
    # The 68-point landmark model (100 MB) is never used: the engine uses the 5-point one.
    && rm /venv/lib/python3.11/site-packages/face_recognition_models/models/shape_predictor_68_face_landmarks.dat

FROM python:3.11-slim-bookworm
# PROMETHEUS_MULTIPROC_DIR: gunicorn's processes share their metrics through files
# there (gunicorn.conf.py empties it at start); /tmp is the container's own.
# WORKER_ALIVE_FILE: touched by a worker while its task loop lives (the health check).
ENV PATH="/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=eventgallery.settings \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/eventgallery-metrics \
    WORKER_ALIVE_FILE=/tmp/eventgallery-worker-alive \
    PORT=8000
RUN useradd --create-home --uid 10001 eventgallery \
    && mkdir -p /data/media /tmp/eventgallery-metrics \
    && chown -R eventgallery /data /tmp/eventgallery-metrics
COPY --from=build /venv /venv
WORKDIR /app
# The code belongs to root: the server's user can read it, not change it.
COPY . .
# collectstatic needs settings, not secrets: a throwaway key for this one step.
RUN SECRET_KEY=collectstatic-only PROMETHEUS_MULTIPROC_DIR= python manage.py collectstatic --noinput
USER eventgallery
EXPOSE 8000
VOLUME ["/data"]
# One check for both roles (ops/container_health.py): a web container is healthy while
# /healthz answers (no database call), a worker's while its task loop goes round.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "ops.container_health"]
CMD ["gunicorn", "eventgallery.wsgi", "-c", "gunicorn.conf.py"]
