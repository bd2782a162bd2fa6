import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.tests.gunicorn_server import REPOSITORY


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """Static files collected as the image does at build time (the pages need the manifest)."""
    folder = tmp_path_factory.mktemp("static")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=REPOSITORY,
        env={**os.environ, "STATIC_ROOT": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return folder
