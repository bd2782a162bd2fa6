import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_the_compose_file_runs_web_and_worker_from_the_image_after_migrations_and_the_bucket():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"] == ["python", "manage.py", "run_worker"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["createbucket"] == {"condition": "service_completed_successfully"}
        assert "healthcheck" in services[name]
    assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["createbucket"]["depends_on"]["minio"] == {"condition": "service_healthy"}


def test_every_variable_the_app_containers_get_is_documented_in_the_configuration():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    readme = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))

    for name in ("web", "worker"):
        assert set(compose["services"][name]["environment"]) <= documented
