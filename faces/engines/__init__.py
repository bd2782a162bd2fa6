"""The configured face engine (FACE_ENGINE=local|rekognition), made once per process."""

import functools

from django.conf import settings

from faces.engines.base import FaceEngine


@functools.cache
def get_engine() -> FaceEngine:
    if settings.FACE_ENGINE == "rekognition":
        from faces.engines.rekognition import RekognitionEngine

        return RekognitionEngine(
            region=settings.REKOGNITION_REGION,
            access_key=settings.REKOGNITION_ACCESS_KEY_ID,
            secret_key=settings.REKOGNITION_SECRET_ACCESS_KEY,
            endpoint_url=settings.REKOGNITION_ENDPOINT_URL,
            match_threshold=settings.FACE_MAYBE_SIMILARITY,
            copy_similarity=settings.FACE_COPY_SIMILARITY,
        )
    from faces.engines.local import LocalEngine

    return LocalEngine(
        match_distance=settings.FACE_MATCH_DISTANCE,
        min_face_px=settings.FACE_MIN_FACE_PX,
        copy_distance=settings.FACE_COPY_DISTANCE,
    )
