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


def test_the_app_containers_get_every_setting_of_dot_env_and_count_the_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker", "migrate"):
        service = compose["services"][name]
        assert service["env_file"] == [{"path": ".env", "required": False}]
        assert service["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"


def test_the_web_port_is_published_on_the_loopback_and_every_image_is_pinned():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["web"]["ports"] == ["${WEB_BIND:-127.0.0.1}:${PORT:-8000}:8000"]
    for service in compose["services"].values():
        if "build" in service:
            continue
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), image


def test_both_app_containers_check_their_health_the_images_way():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker"):
        assert compose["services"][name]["healthcheck"]["test"] == ["CMD", "python", "-m", "ops.container_health"]
    assert 'CMD ["python", "-m", "ops.container_health"]' in (ROOT / "Dockerfile").read_text()


def test_env_example_lines_can_be_uncommented_as_they_are():
    """`docker run --env-file` keeps what follows `=` whole, inline comments included."""
    for line in (ROOT / ".env.example").read_text().splitlines():
        setting = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", line)
        if setting:
            assert not re.search(r"\s#", setting.group(2)), line
