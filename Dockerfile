# syntax=docker/dockerfile:1
# Eventgallery: the web server (default command) and the worker (`manage.py db_worker`)
# run from this one image.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ENV PATH="/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=eventgallery.settings \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000
RUN useradd --create-home --uid 10001 eventgallery \
    && mkdir -p /data/media \
    && chown -R eventgallery /data
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=eventgallery . .
# collectstatic needs settings, not secrets: a throwaway key for this one step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
USER eventgallery
EXPOSE 8000
VOLUME ["/data"]
CMD ["gunicorn", "eventgallery.wsgi", "-c", "gunicorn.conf.py"]
