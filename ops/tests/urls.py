"""The project's URLs and two views that exist for the logging tests."""

import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path

from eventgallery.urls import urlpatterns as project_urlpatterns

logger = logging.getLogger("eventgallery.tests")


def logs_while_serving(request):
    logger.info("working on it")
    return HttpResponse("ok")


def answers_bad_request(request):
    return HttpResponseBadRequest("no")


urlpatterns = [
    path("tests/logs/", logs_while_serving, name="logs_while_serving"),
    path("tests/bad/", answers_bad_request, name="answers_bad_request"),
    *project_urlpatterns,
]
