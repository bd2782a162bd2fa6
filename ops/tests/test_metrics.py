import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from faces.services.search import FaceSearchDisabled, NoFaceFound, face_search
from faces.tasks import index_photo_faces
from faces.tests import face_images
from faces.tests.find_me import face_search_gallery, jpeg
from galleries.tasks import process_photo
from galleries.tests.factories import make_gallery, upload_photo

TOKEN = "scrape-token-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"Authorization": f"Bearer {TOKEN}"}


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _scrape(client, headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


# --- Who may scrape ------------------------------------------------------------------


def test_it_is_hidden_in_production_until_a_token_or_addresses_are_configured(client, settings):
    settings.DEBUG = False

    assert client.get("/metrics").status_code == 404


def test_it_is_open_in_development_when_nothing_is_configured(client, db, settings):
    settings.DEBUG = True

    assert client.get("/metrics").status_code == 200


def test_it_wants_the_bearer_token_once_one_is_set(client, db, settings, metrics_token):
    settings.DEBUG = True

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 404
    assert client.get("/metrics", headers=metrics_token).status_code == 200


def test_it_answers_allowed_addresses_and_networks(client, db, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.168.1.5"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.6").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


# --- What is counted -------------------------------------------------------------------


def test_it_counts_requests_by_method_route_name_and_status(client, db, metrics_token):
    gallery = make_gallery()
    labels = {"method": "GET", "route": "galleries:detail", "status": "200"}
    before = _value("eventgallery_http_requests_total", **labels)
    unmatched = _value("eventgallery_http_requests_total", method="GET", route="unmatched", status="404")

    client.get(gallery.get_absolute_url())
    client.get("/no/such/page/")
    scraped = _scrape(client, metrics_token)

    assert scraped[("eventgallery_http_requests_total", tuple(sorted(labels.items())))] == before + 1
    assert _value("eventgallery_http_requests_total", method="GET", route="unmatched", status="404") == unmatched + 1
    assert _value("eventgallery_http_request_duration_seconds_count", method="GET", route="galleries:detail") >= 1


def test_it_counts_photos_processed_by_outcome(db):
    gallery = make_gallery()
    good, broken, gone = (upload_photo(gallery, process=False) for _ in range(3))
    broken.original.storage.delete(broken.original.name)
    gone.delete()
    before = {o: _value("eventgallery_photos_processed_total", outcome=o) for o in ("ready", "failed", "gone")}

    for photo in (good, broken, gone):
        process_photo.call(photo_id=photo.pk)

    after = {o: _value("eventgallery_photos_processed_total", outcome=o) for o in ("ready", "failed", "gone")}
    assert {o: after[o] - before[o] for o in after} == {"ready": 1, "failed": 1, "gone": 1}


def test_it_counts_faces_indexed(db):
    gallery = face_search_gallery()
    photo = upload_photo(gallery, content=jpeg(face_images.group_photo()))
    faces_before = _value("eventgallery_faces_indexed_total")
    photos_before = _value("eventgallery_photo_face_indexings_total", outcome="indexed")

    index_photo_faces.call(photo_id=photo.pk)

    assert _value("eventgallery_faces_indexed_total") - faces_before == 6
    assert _value("eventgallery_photo_face_indexings_total", outcome="indexed") - photos_before == 1


def test_it_counts_find_me_searches_by_outcome_and_times_them(db):
    gallery = face_search_gallery()
    outcomes = ("no_match", "no_face", "disabled")
    before = {o: _value("eventgallery_face_searches_total", outcome=o) for o in outcomes}
    timed = _value("eventgallery_face_search_duration_seconds_count")

    face_search(gallery=gallery, selfie=face_images.tom_hanks())
    with pytest.raises(NoFaceFound):
        face_search(gallery=gallery, selfie=face_images.table())
    with pytest.raises(FaceSearchDisabled):
        face_search(gallery=make_gallery(), selfie=face_images.tom_hanks())

    assert {o: _value("eventgallery_face_searches_total", outcome=o) - before[o] for o in outcomes} == {
        "no_match": 1,
        "no_face": 1,
        "disabled": 1,
    }
    assert _value("eventgallery_face_search_duration_seconds_count") - timed == 3


def test_it_reports_the_task_queue_depth_at_scrape_time(client, db, settings, metrics_token):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    process_photo.enqueue(photo_id=1)
    process_photo.enqueue(photo_id=2)

    scraped = _scrape(client, metrics_token)

    assert scraped[("eventgallery_task_queue_depth", (("queue", "default"), ("state", "waiting")))] == 2


def test_it_adds_up_the_processes_of_a_multiprocess_server(client, db, metrics_token, tmp_path, monkeypatch):
    counting = (
        "import django; django.setup()\n"
        "from ops.metrics import PHOTOS_PROCESSED\n"
        "PHOTOS_PROCESSED.labels(outcome='ready').inc(3)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "eventgallery.settings"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", counting], env=env, cwd=Path(django_settings.BASE_DIR), check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    scraped = _scrape(client, metrics_token)

    assert scraped[("eventgallery_photos_processed_total", (("outcome", "ready"),))] == 6


def _manage(*args, env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eventgallery.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env_extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_migrate_makes_a_missing_multiprocess_folder(tmp_path):
    folder = tmp_path / "metrics" / "web"

    result = _manage("migrate", "-v0", env_extra={"PROMETHEUS_MULTIPROC_DIR": str(folder)}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert folder.is_dir()


def test_a_multiprocess_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("")
    folder = tmp_path / "a-file" / "metrics"

    result = _manage("check", env_extra={"PROMETHEUS_MULTIPROC_DIR": str(folder)}, tmp_path=tmp_path)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: PROMETHEUS_MULTIPROC_DIR=")
    assert "cannot be made" in last_line and "FileNotFoundError" not in result.stderr
