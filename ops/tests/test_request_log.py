import json
import logging

import pytest

from ops.logging import TEXT_FORMAT, JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.urls("ops.tests.urls")


def _access_records(caplog):
    return [record for record in caplog.records if record.name == "eventgallery.access"]


def test_it_logs_one_line_per_request_with_method_path_status_duration_and_request_id(client, caplog):
    caplog.set_level(logging.INFO)

    response = client.get("/healthz?token=secret-in-the-query")

    [record] = _access_records(caplog)
    assert (record.method, record.path, record.status, record.route) == ("GET", "/healthz", 200, "ops:healthz")
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32
    assert "secret-in-the-query" not in record.getMessage()


def test_it_keeps_a_sane_request_id_from_the_client_and_echoes_it(client, caplog):
    caplog.set_level(logging.INFO)

    response = client.get("/healthz", headers={"X-Request-ID": "proxy-1234.abc:5"})

    assert response["X-Request-ID"] == "proxy-1234.abc:5"
    assert _access_records(caplog)[0].request_id == "proxy-1234.abc:5"


@pytest.mark.parametrize("offered", ["", "x" * 129, "with space", "line\nbreak", 'quote"d', "é"])
def test_it_replaces_a_request_id_that_is_too_long_or_has_odd_characters(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered})

    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32


def test_it_puts_the_request_id_on_every_line_logged_while_serving(client, caplog):
    caplog.set_level(logging.INFO)

    served = client.get("/tests/logs/")
    refused = client.get("/tests/bad/")

    by_message = {record.getMessage(): record.request_id for record in caplog.records}
    assert by_message["working on it"] == served["X-Request-ID"]
    # Django logs a 4xx after the middleware has returned: the id is still there.
    assert by_message["Bad Request: /tests/bad/"] == refused["X-Request-ID"]
    assert served["X-Request-ID"] != refused["X-Request-ID"]


def test_it_forgets_the_request_id_once_the_response_is_closed(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/tests/logs/")

    logging.getLogger("eventgallery.tests").info("between requests")

    assert caplog.records[-1].request_id == "-"


def _format(formatter, record):
    RequestIdFilter().filter(record)
    return formatter.format(record)


def test_the_json_format_is_one_object_per_line_with_the_extra_fields():
    record = logging.makeLogRecord(
        {
            "name": "eventgallery.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "GET %s",
            "args": ("/",),
            "status": 200,
            "duration_ms": 1.5,
            "request": object(),  # as django.request passes it: left out
        }
    )

    line = _format(JsonFormatter(), record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "GET /"
    assert (entry["level"], entry["logger"], entry["status"], entry["duration_ms"]) == (
        "INFO",
        "eventgallery.access",
        200,
        1.5,
    )
    assert "request" not in entry and "request_id" not in entry
    assert entry["time"].endswith("+00:00")


def test_the_json_format_keeps_a_traceback_on_its_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "failed", "levelname": "ERROR", "exc_info": sys.exc_info()})

    entry = json.loads(_format(JsonFormatter(), record))

    assert "ValueError: boom" in entry["exc_info"]


def test_the_text_format_shows_the_request_id():
    record = logging.makeLogRecord({"name": "x", "msg": "hello", "levelname": "INFO"})

    assert _format(logging.Formatter(TEXT_FORMAT), record).endswith("INFO x [-] hello")


def test_the_log_format_follows_the_setting():
    from ops.logging import logging_config

    assert logging_config(log_format="json", level="INFO")["formatters"]["default"] == {"()": JsonFormatter}
    assert logging_config(log_format="text", level="INFO")["formatters"]["default"] == {"format": TEXT_FORMAT}
