"""gunicorn.conf.py's hooks, called as gunicorn calls them."""

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_loaded_so_that_full_collections_skip_it():
    hooks = runpy.run_path(str(CONF))
    gc.unfreeze()
    try:
        hooks["post_worker_init"](worker=None)

        assert gc.get_freeze_count() > 10_000  # Django, the project and pytest, loaded
    finally:
        gc.unfreeze()


def test_the_master_loads_the_local_face_models_before_the_workers_fork(settings):
    from faces.engines.local.models import loaded_models

    settings.FACE_ENGINE = "local"
    loaded_models.cache_clear()
    hooks = runpy.run_path(str(CONF))

    hooks["on_starting"](server=None)

    assert loaded_models.cache_info().currsize == 1


def test_no_local_models_are_loaded_for_rekognition(settings):
    from faces.engines.local.models import loaded_models

    settings.FACE_ENGINE = "rekognition"
    loaded_models.cache_clear()
    hooks = runpy.run_path(str(CONF))

    hooks["on_starting"](server=None)

    assert loaded_models.cache_info().currsize == 0
