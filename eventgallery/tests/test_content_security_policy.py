"""The Content-Security-Policy header as sent: enforced on pages, the admin and the API,
with the photo bucket's origin in img-src when photos are on S3. (The browser tests walk
the pages under it: galleries/tests/test_browser.py.)"""

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from eventgallery import inline_styles
from eventgallery.s3 import s3_storage_settings
from galleries.tests.factories import make_gallery, upload_photo

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # The pages' inline stylesheets by their hashes (eventgallery/inline_styles.py).
    "style-src": ["'self'", *inline_styles.csp_sources()],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    assert "Content-Security-Policy-Report-Only" not in response
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {directive[0]: directive[1:] for directive in directives}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/gallery/", "/no-such-page/"])
def test_every_answer_carries_the_policy(client, db, path):
    assert policy_of(client.get(path)) == POLICY


def test_the_admin_gallery_page_and_a_gallery_page_carry_it(organizer_client):
    gallery = make_gallery()

    assert policy_of(organizer_client.get(f"/admin/galleries/gallery/{gallery.pk}/change/")) == POLICY
    assert policy_of(organizer_client.get(gallery.get_absolute_url())) == POLICY


def test_the_api_docs_alone_may_show_data_images(client, db):
    assert policy_of(client.get("/api/docs")) == {**POLICY, "img-src": ["'self'", "blob:", "data:"]}


@pytest.mark.s3
def test_on_s3_the_bucket_may_serve_images_and_the_pages_images_come_from_it(client, db, s3_server, s3_storage):
    gallery = make_gallery()
    upload_photo(gallery)

    response = client.get(gallery.get_absolute_url())

    assert policy_of(response)["img-src"] == ["'self'", "blob:", s3_server.endpoint_url]
    image_origins = {_origin(src) for src in re.findall(r'<img src="([^"]+)"', response.text)}
    assert image_origins == {s3_server.endpoint_url}


@pytest.mark.parametrize(
    ("endpoint_url", "addressing_style", "bucket_origin"),
    [
        (None, "auto", "https://party-photos.s3.amazonaws.com"),
        (None, "virtual", "https://party-photos.s3.eu-west-1.amazonaws.com"),
        (None, "path", "https://s3.eu-west-1.amazonaws.com"),
        ("https://minio.example.com:9000", "path", "https://minio.example.com:9000"),
        ("https://objects.example.com", "virtual", "https://party-photos.objects.example.com"),
    ],
)
def test_the_bucket_origin_follows_the_endpoint_and_the_addressing_style(
    client, db, settings, endpoint_url, addressing_style, bucket_origin
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(
            bucket="party-photos",
            access_key=None,
            secret_key=None,
            region="eu-west-1",
            endpoint_url=endpoint_url,
            addressing_style=addressing_style,
        ),
    }

    assert policy_of(client.get("/"))["img-src"] == ["'self'", "blob:", bucket_origin]


def test_a_custom_domain_is_the_bucket_origin(client, db, settings):
    storage = s3_storage_settings(
        bucket="party-photos", access_key=None, secret_key=None, region=None, endpoint_url=None
    )
    storage["OPTIONS"]["custom_domain"] = "photos.example.com"
    settings.STORAGES = {**settings.STORAGES, "default": storage}

    assert policy_of(client.get("/"))["img-src"] == ["'self'", "blob:", "https://photos.example.com"]


def test_settings_derive_the_bucket_origin_from_the_environment():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eventgallery.settings",
        "SECRET_KEY": "tests-only-secret-key",
        "AWS_STORAGE_BUCKET_NAME": "party-photos",
        "AWS_S3_ENDPOINT_URL": "https://objects.example.com",
        "AWS_S3_ADDRESSING_STYLE": "virtual",
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "from eventgallery.csp import storage_origins; print(*storage_origins(settings.STORAGES['default']))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.split() == ["https://party-photos.objects.example.com"]


def test_single_sign_on_logout_may_send_the_form_on_to_the_provider(client, db, settings):
    settings.OIDC_OP_END_SESSION_ENDPOINT = "https://login.example.com/oauth2/default/v1/logout"

    assert policy_of(client.get("/admin/login/"))["form-action"] == ["'self'", "https://login.example.com"]
