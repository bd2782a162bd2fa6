"""The local face engine: dlib's HOG face detector, its 5-point landmarks and its
ResNet face descriptors, with the model files of the `face_recognition_models` package.

One module per job: `detection` finds the faces, `resnet` is dlib's descriptor network
in numpy, `models` loads dlib's models once per process, and `engine` describes faces
and implements the FaceEngine interface. Comparing descriptors belongs to the search
(faces/search.py).
"""

from faces.engines.local.detection import DEFAULT_MIN_FACE_PX
from faces.engines.local.engine import (
    Box,
    LocalEngine,
    LocalFace,
    describe_largest_face,
    describe_selfie_face,
    find_faces,
)

__all__ = [
    "DEFAULT_MIN_FACE_PX",
    "Box",
    "LocalEngine",
    "LocalFace",
    "describe_largest_face",
    "describe_selfie_face",
    "find_faces",
]
