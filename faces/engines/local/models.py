"""dlib's models, with the files of the `face_recognition_models` package, loaded once
per process, on first use."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import dlib
import face_recognition_models

from faces.engines.local.resnet import DescriptorNet


@dataclass(frozen=True)
class Models:
    detector: dlib.fhog_object_detector
    cnn_detector: dlib.cnn_face_detection_model_v1
    shape_predictor: dlib.shape_predictor
    descriptor_net: DescriptorNet


@functools.cache
def loaded_models() -> Models:
    return Models(
        detector=dlib.get_frontal_face_detector(),
        cnn_detector=dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location()),
        shape_predictor=dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location()),
        descriptor_net=DescriptorNet.load(Path(face_recognition_models.face_recognition_model_location())),
    )
