"""dlib's models, with the files of the `face_recognition_models` package, loaded once
per process, on first use.

The package's files are found without importing it: its `__init__` imports
`pkg_resources`, which exists only where setuptools happens to be installed. Of its
files, the 68-point landmark model (100 MB) is never used; the image leaves it out."""

from __future__ import annotations

import functools
import importlib.util
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dlib

from faces.engines.local.resnet import DescriptorNet

# How dlib serializes the frontal face detector's scanner (scan_fhog_pyramid) up to its
# pyramid settings: object_detector version 2, scanner version 1, the feature extractor,
# no cached features, cell size 8, padding 0, a window of 80 x 80, at most 1000 pyramid
# levels, no level smaller than 64 x 64. Integers are a length byte and little-endian bytes.
_FRONTAL_HEADER = bytes.fromhex("0102 0101 0100 0100 0108 0100 0150 0150")
_MAX_PYRAMID_LEVELS_1000 = bytes.fromhex("02e803")


@dataclass(frozen=True)
class Models:
    detector: dlib.fhog_object_detector
    # The same detector scanning only the image it is given, none of the smaller levels
    # of its pyramid: detection.py builds a sparser pyramid of its own from it.
    single_level_detector: dlib.fhog_object_detector
    shape_predictor: dlib.shape_predictor
    descriptor_net: DescriptorNet


def model_file(name: str) -> str:
    """The path of one of `face_recognition_models`' files."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The face_recognition_models package is not installed (see requirements.txt).")
    return str(Path(spec.submodule_search_locations[0]) / "models" / name)


@functools.cache
def cnn_detector() -> dlib.cnn_face_detection_model_v1:
    """The CNN alone, for the process that runs it (cnn_process.py)."""
    return dlib.cnn_face_detection_model_v1(model_file("mmod_human_face_detector.dat"))


@functools.cache
def loaded_models() -> Models:
    detector = dlib.get_frontal_face_detector()
    return Models(
        detector=detector,
        single_level_detector=_single_level(detector),
        shape_predictor=dlib.shape_predictor(model_file("shape_predictor_5_face_landmarks.dat")),
        descriptor_net=DescriptorNet.load(Path(model_file("dlib_face_recognition_resnet_model_v1.dat"))),
    )


def _single_level(detector: dlib.fhog_object_detector) -> dlib.fhog_object_detector:
    """The detector with its scanner's max_pyramid_levels set to 1 (dlib's Python API
    has no setter; its serialized form does, and dlib loads it back)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frontal.svm"
        detector.save(str(path))
        data = path.read_bytes()
        settings = len(_FRONTAL_HEADER)
        if not (
            data.startswith(_FRONTAL_HEADER)
            and data[settings : settings + len(_MAX_PYRAMID_LEVELS_1000)] == _MAX_PYRAMID_LEVELS_1000
        ):
            raise ValueError(f"dlib {dlib.__version__} serializes the frontal face detector in an unknown layout")
        path.write_bytes(data[:settings] + bytes([1, 1]) + data[settings + len(_MAX_PYRAMID_LEVELS_1000) :])
        return dlib.fhog_object_detector(str(path))
