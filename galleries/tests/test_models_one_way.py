"""Models point one way: faces.models imports galleries.models, never the reverse
(galleries reads faces' rows through reverse relations: Photo.face_index, Photo.faces)."""

from pathlib import Path

from ops.tests.test_ground_floor import imported_modules

REPOSITORY = Path(__file__).resolve().parent.parent.parent


def test_the_galleries_models_import_nothing_of_faces():
    imported = imported_modules((REPOSITORY / "galleries" / "models.py").read_text())
    assert not {module for module in imported if module.split(".")[0] == "faces"}


def test_the_faces_models_build_on_the_galleries_models():
    assert "galleries.models" in imported_modules((REPOSITORY / "faces" / "models.py").read_text())
