"""gunicorn settings for production; every value can be overridden by the environment."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Uploads of many large photos take a while on slow connections.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "") else None
errorlog = "-"


# Prometheus multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, each process writes
# its metrics to files there and /metrics adds them up. The folder is emptied when
# gunicorn starts (values of an earlier run would be added in) and a dead process's
# live gauges are dropped.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))
    _load_face_models()


def _load_face_models():
    """The local face engine's models, loaded once in the master before the workers fork:
    they share them, and a worker's first selfie no longer spends half a second loading
    them while holding the GIL, its health checks and pages waiting (bench/README.md)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventgallery.settings")
    from django.conf import settings

    if settings.FACE_ENGINE == "local":
        from faces.engines.local.models import loaded_models

        loaded_models()


def post_worker_init(worker):
    # Django and the project, loaded, are some 500,000 objects that live as long as the
    # worker. Frozen, they are left out of the full garbage collections that a big
    # request's many objects set off (a 2,000-photo ZIP makes some 10,000): each cost
    # 60-140 ms before its first byte (bench/README.md, ZIP download).
    gc.freeze()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
