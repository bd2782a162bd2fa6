"""The local engine on real photos (see face_images.py). Nothing here touches the
database: it is the engine's pure functions on Pillow images."""

from __future__ import annotations

import functools

import dlib
import numpy as np
import pytest
from PIL import Image

from faces.engines.local import Box, LocalFace, describe_largest_face, describe_selfie_face, find_faces
from faces.engines.local.models import loaded_models, model_file
from faces.search import MATCH_DISTANCE, distance
from faces.tests import face_images
from faces.tests.face_images import GROUP_PHOTO_FACE_CENTRES


@functools.cache
def _group_faces() -> list[LocalFace]:
    return find_faces(face_images.group_photo())


@pytest.fixture
def group_faces() -> list[LocalFace]:
    return _group_faces()


def _contains(box: Box, point: tuple[float, float]) -> bool:
    x, y = point
    return box.left <= x < box.left + box.width and box.top <= y < box.top + box.height


def _face_at(faces: list[LocalFace], centre: tuple[int, int]) -> LocalFace:
    [face] = [f for f in faces if _contains(f.box, centre)]
    return face


def test_it_finds_the_six_faces_of_a_group_photo(group_faces):
    assert len(group_faces) == 6


def test_it_puts_each_box_on_one_face(group_faces):
    for face in group_faces:
        inside = [c for c in GROUP_PHOTO_FACE_CENTRES if _contains(face.box, c)]
        assert len(inside) == 1, face.box
        assert 70 <= face.box.height <= 160, face.box


def test_it_gives_five_landmarks_inside_each_face(group_faces):
    for face in group_faces:
        assert len(face.landmarks) == 5
        margin = face.box.width // 4
        grown = Box(
            face.box.left - margin, face.box.top - margin, face.box.width + 2 * margin, face.box.height + 2 * margin
        )
        assert all(_contains(grown, point) for point in face.landmarks), (face.box, face.landmarks)


def test_it_scores_faces_with_the_detector_confidence(group_faces):
    assert all(face.score > 0 for face in group_faces)


def test_it_describes_each_face_with_128_float32_values_of_length_about_one(group_faces):
    for face in group_faces:
        assert face.descriptor.dtype == np.float32
        assert face.descriptor.shape == (128,)
        # dlib's descriptors are not normalised; on real faces their length is 1.3-1.6.
        assert 0.8 < float(np.linalg.norm(face.descriptor)) < 2.0


def test_it_computes_the_same_descriptors_as_dlib(group_faces):
    # The engine runs dlib's ResNet with numpy; dlib itself must agree.
    net = dlib.face_recognition_model_v1(model_file("dlib_face_recognition_resnet_model_v1.dat"))
    predictor = dlib.shape_predictor(model_file("shape_predictor_5_face_landmarks.dat"))
    rgb = np.asarray(face_images.group_photo().convert("RGB"))
    for face in group_faces:
        box = face.box
        rect = dlib.rectangle(box.left, box.top, box.left + box.width - 1, box.top + box.height - 1)
        expected = np.array(net.compute_face_descriptor(rgb, predictor(rgb, rect)), np.float32)
        assert np.abs(face.descriptor - expected).max() < 1e-4


def test_it_tells_the_six_people_apart(group_faces):
    for i, face in enumerate(group_faces):
        for other in group_faces[i + 1 :]:
            assert distance(face.descriptor, other.descriptor) > MATCH_DISTANCE


@pytest.mark.parametrize("centre", GROUP_PHOTO_FACE_CENTRES)
def test_it_matches_a_selfie_to_that_face_only(group_faces, centre):
    selfie = face_images.selfie_of(face_images.group_photo(), centre, face_px=110)

    face, _ = describe_largest_face(selfie)

    assert face is not None
    distances = {f.box: distance(face.descriptor, f.descriptor) for f in group_faces}
    matches = [box for box, d in distances.items() if d < MATCH_DISTANCE]
    assert matches == [_face_at(group_faces, centre).box], distances


def test_it_finds_the_face_of_a_selfie_tilted_too_far_for_the_hog_detector(group_faces):
    centre = GROUP_PHOTO_FACE_CENTRES[3]
    selfie = face_images.selfie_of(face_images.group_photo(), centre, face_px=110, angle=50)

    face, _ = describe_largest_face(selfie)

    assert face is not None
    assert distance(face.descriptor, _face_at(group_faces, centre).descriptor) < MATCH_DISTANCE


def test_a_selfie_of_two_is_described_by_the_face_in_its_middle(group_faces):
    # Two people of the group: one in the middle (108 px), and a neighbour the frame cuts
    # at the left who looks larger (139 px) and would have been taken as the largest.
    in_the_middle = GROUP_PHOTO_FACE_CENTRES[3]
    selfie = face_images.reencoded(face_images.group_photo().crop((450, 172, 1110, 672)))

    face, detections, ambiguous = describe_selfie_face(selfie)

    assert len(detections) == 2 and not ambiguous
    assert face.box.width < max(d.right - d.left for d in detections)
    assert distance(face.descriptor, _face_at(group_faces, in_the_middle).descriptor) < MATCH_DISTANCE
    assert distance(face.descriptor, _face_at(group_faces, GROUP_PHOTO_FACE_CENTRES[2]).descriptor) > MATCH_DISTANCE


def test_a_selfie_of_two_beside_its_middle_cannot_say_which_is_the_guest():
    selfie = face_images.reencoded(face_images.group_photo().crop((312, 172, 972, 672)))

    face, detections, ambiguous = describe_selfie_face(selfie)

    assert len(detections) == 2 and ambiguous
    assert face is not None  # the largest, described for the message; never searched


def test_it_keeps_tom_hanks_far_from_everyone_in_the_group(group_faces):
    hanks, _ = describe_largest_face(face_images.tom_hanks())

    assert hanks is not None
    assert min(distance(hanks.descriptor, f.descriptor) for f in group_faces) > MATCH_DISTANCE


@pytest.mark.parametrize("scale", [0.6, 0.4])
def test_it_finds_small_faces_in_a_24_megapixel_photo(group_faces, scale):
    # t1 shrunk: its faces become 54-78 px at 0.6 and 36-52 px at 0.4, in a 6000 x 4000 frame.
    at = (2900, 1700)
    shot = face_images.event_shot(face_images.group_photo(), scale=scale, at=at)

    faces = find_faces(shot)

    for centre in GROUP_PHOTO_FACE_CENTRES:
        small_centre = (at[0] + centre[0] * scale, at[1] + centre[1] * scale)
        found = [f for f in faces if _contains(f.box, small_centre)]
        assert len(found) == 1, (centre, [f.box for f in faces])
        # Described from the full-resolution pixels, the small face is still the same person.
        assert distance(found[0].descriptor, _face_at(group_faces, centre).descriptor) < MATCH_DISTANCE


def test_it_scans_only_the_image_given_with_the_single_level_detector():
    # The sparse pyramid's levels are scanned by a copy of the frontal detector whose
    # pyramid is cut to one level (models._single_level): it finds the faces of its
    # window's size (73 px boxes), not the group's faces of 104-126 px, which dlib's
    # own pyramid finds one level down; shrunk to that size, they are all found.
    models = loaded_models()
    gray = face_images.group_photo().convert("L")

    full, _, _ = models.detector.run(np.asarray(gray), 0, 0.0)
    single, _, _ = models.single_level_detector.run(np.asarray(gray), 0, 0.0)
    shrunk = gray.resize((round(gray.width * 0.7), round(gray.height * 0.7)), Image.Resampling.BILINEAR)
    single_shrunk, _, _ = models.single_level_detector.run(np.asarray(shrunk), 0, 0.0)

    assert len(full) == 6 and all(r.height() > 100 for r in full)
    assert all(r.height() == 73 for r in single)
    assert len(single_shrunk) == 6 and all(r.height() == 73 for r in single_shrunk)


def test_it_applies_the_exif_orientation():
    photo = face_images.group_photo()
    # Stored turned on its side, with the tag that tells viewers to turn it back (6: 90° clockwise).
    stored = photo.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    tagged = face_images.reencoded(stored, exif=exif)

    faces = find_faces(tagged)

    assert len(faces) == 6
    for centre in GROUP_PHOTO_FACE_CENTRES:
        assert any(_contains(f.box, centre) for f in faces), centre


def test_it_accepts_a_grayscale_image():
    assert len(find_faces(face_images.group_photo().convert("L"))) == 6


def test_it_finds_no_face_where_there_is_none():
    table = face_images.table()

    assert find_faces(table) == []
    assert describe_largest_face(table) == (None, [])


def test_it_finds_no_face_in_a_one_pixel_image():
    pixel = Image.new("RGB", (1, 1), (200, 150, 120))

    assert find_faces(pixel) == []
    assert describe_largest_face(pixel) == (None, [])


def test_it_measures_zero_distance_between_a_face_and_itself(group_faces):
    assert distance(group_faces[0].descriptor, group_faces[0].descriptor) == 0.0


def test_the_models_load_without_pkg_resources():
    """face_recognition_models' own __init__ imports pkg_resources (setuptools); the image
    must not depend on setuptools being there."""
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import sys; sys.modules['pkg_resources'] = None\n"
        "from faces.engines.local.models import loaded_models, cnn_detector\n"
        "loaded_models(); cnn_detector()\n"
        "assert 'face_recognition_models' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=settings.BASE_DIR)
