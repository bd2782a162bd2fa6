"""The API docs (django-ninja's Swagger UI at /api/docs) in a real browser under the
Content-Security-Policy: the operations listed, one opened. Any violation fails the test."""

import pytest

from galleries.tests.test_browser import watched_browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.browser
def test_the_api_docs_work_under_the_policy(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect

    with watched_browser(DESKTOP) as (context, policy):
        page = context.new_page()
        script_errors = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))

        page.goto(live_server.url + "/api/docs")
        operations = page.locator(".opblock")
        expect(operations.first).to_be_visible()
        assert operations.count() >= 8
        upload = page.locator(".opblock", has_text="/api/image/upload")
        upload.locator(".opblock-summary").click()
        expect(upload.get_by_role("button", name="Try it out")).to_be_visible()
        page.locator(".models-control, section.models h4").first.click()

        assert script_errors == []
        assert policy.violations == []
