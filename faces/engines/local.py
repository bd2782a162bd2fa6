"""The local face engine: dlib's HOG face detector, its 5-point landmarks and its
ResNet face descriptors, with the model files of the `face_recognition_models` package.

Pure functions over Pillow images: no models, no storage, no Django. The models are
loaded once per process, on first use.

Detection must find faces from 40 px up in 24-megapixel group shots, several times
faster than the `face_recognition` library's documented usage, which scans the whole
photo at 2x. A scan costs the same for every pixel, and a 2x scan of 24 MP takes about
10 s on one core. So a big photo is scanned once at a coarse scale (18 MP) with a
lowered threshold, which also flags faces somewhat smaller than the detector's 80 px
window; the fine scale is then spent only around those candidates, and around the
small faces found, since the faces of a group stand side by side at similar sizes.
bench/README.md has the measurements behind the numbers below.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
from PIL import Image, ImageOps

from faces.engines.base import DetectedFace, FaceBox, FaceEngine, IndexedFace, Landmark, SelfieFace

# Side of the frontal detector's scanning window: at scale 1 it finds faces of about
# 75 px and up (its boxes are a little smaller than the window).
_WINDOW_PX = 80
DEFAULT_MIN_FACE_PX = 40
# The most pixels a scan of a whole image may cover: about 1.3 s on one core, the
# smaller levels of its pyramid included. Images small enough for it at the fine scale
# get that one scan. A 6000 x 4000 photo is scanned at 0.87, where faces of 85 px and
# up are found outright and most of those of 50-85 px are flagged as candidates.
_SCAN_PIXELS = 18_000_000
# How far below the detector's own threshold a coarse window still counts as a candidate.
_CANDIDATE_THRESHOLD = -1.2
# Faces smaller than a candidate's box can be inside it; the fine pass looks for faces
# down to this share of the box (and never below min_face_px).
_SMALLEST_FACE_IN_CANDIDATE = 0.55
# Around a candidate, the fine pass also covers this many box sizes on each side, for
# a smaller face off the candidate's centre or beside it (faces of a group stand side
# by side). On the event set, 0.4-1.0 found the same faces; 1.0 scanned 2.5x as much.
_CANDIDATE_MARGIN = 0.5
# Faces found smaller than this many coarse windows get their neighbourhood (this many
# face sizes on each side) scanned for faces down to this share of their size.
_NEIGHBOURS_OF_FACES_BELOW = 1.2
_NEIGHBOURHOOD = 3.0
_SMALLEST_NEIGHBOUR = 0.7
_DUPLICATE_IOU = 0.35

_CNN_MAX_SIDE = 320

_CHIP_SIZE = 150
_CHIP_PADDING = 0.25
MATCH_DISTANCE = 0.6


@dataclass(frozen=True)
class Box:
    """A face's box in pixels of the image given (after EXIF orientation)."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class LocalFace:
    box: Box
    score: float  # the detector's confidence, higher is surer
    landmarks: list[tuple[float, float]]  # the 5 points of the 5-point model, image pixels
    descriptor: np.ndarray  # float32, shape (128,)


@dataclass(frozen=True)
class _Detection:
    left: float
    top: float
    right: float
    bottom: float
    score: float

    @property
    def size(self) -> float:
        return max(self.right - self.left, self.bottom - self.top)


def find_faces(image: Image.Image, *, min_face_px: int | None = None) -> list[LocalFace]:
    """Every face in the image, largest first, with landmarks and descriptors.

    min_face_px is the height of the smallest face worth finding (40 px by default).
    Images up to 4.5 MP (18 MP at the fine scale 80 / min_face_px) are scanned whole at
    the fine scale. In bigger ones, faces smaller than what the coarse scan finds
    outright (85 px in 6000 x 4000) are found where it flags them or beside the small
    faces found.
    """
    image = _upright(image)
    if image.width < 8 or image.height < 8:
        return []
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    gray = image.convert("L")
    detections = _detect(gray, min_face_px=min_face_px or DEFAULT_MIN_FACE_PX)
    return _describe(rgb, detections)


def describe_largest_face(image: Image.Image) -> tuple[LocalFace | None, list[float]]:
    """The largest face of a selfie (or None) and the sizes of every face the selfie
    has, largest first.

    The HOG detector misses faces tilted by more than about 45 degrees, which selfies
    often are; only when it finds nothing does the slower CNN detector get a turn.
    """
    image = _upright(image)
    if image.width < 8 or image.height < 8:
        return None, []
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # The face of a selfie is big: 80 px is plenty, and it keeps a 12 MP selfie quick.
    detections = _detect(image.convert("L"), min_face_px=max(80, min(image.size) // 12))
    if not detections:
        detections = _detect_with_cnn(rgb)
    if not detections:
        return None, []
    detections.sort(key=lambda d: d.size, reverse=True)
    faces = _describe(rgb, detections[:1])
    return (faces[0] if faces else None), [d.size for d in detections]


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two descriptors; below MATCH_DISTANCE is the same person."""
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


# --- Detection ----------------------------------------------------------------------


def _upright(image: Image.Image) -> Image.Image:
    if image.getexif().get(0x0112, 1) != 1:
        return ImageOps.exif_transpose(image)
    return image


def _detect(gray: Image.Image, *, min_face_px: int) -> list[_Detection]:
    fine_scale = _WINDOW_PX / min_face_px
    coarse_scale = min(fine_scale, math.sqrt(_SCAN_PIXELS / (gray.width * gray.height)))
    whole = (0, 0, gray.width, gray.height)
    if coarse_scale == fine_scale:
        return _dedupe(_scan(gray, whole, fine_scale, 0.0))
    candidates = _scan(gray, whole, coarse_scale, _CANDIDATE_THRESHOLD)
    found = _dedupe([c for c in candidates if c.score >= 0])
    regions = []
    for candidate in candidates:
        scale = _WINDOW_PX / max(min_face_px, _SMALLEST_FACE_IN_CANDIDATE * candidate.size)
        if scale > coarse_scale:
            regions.append(_around(candidate, _CANDIDATE_MARGIN, scale, gray.size))
    # Small faces that are found lead to the faces beside them, which may be smaller
    # still and too small to be candidates; rounds go on while they find new faces.
    small_face = _NEIGHBOURS_OF_FACES_BELOW * _WINDOW_PX / coarse_scale
    scanned: list[_Region] = []
    newly_found = found
    while regions or newly_found:
        for face in newly_found:
            scale = _WINDOW_PX / max(min_face_px, _SMALLEST_NEIGHBOUR * face.size)
            if face.size < small_face and scale > coarse_scale:
                regions.append(_around(face, _NEIGHBOURHOOD, scale, gray.size))
        newly_found = []
        for region in _merge([r for r in regions if not any(r.within(done) for done in scanned)]):
            scanned.append(region)
            for face in _scan(gray, (region.left, region.top, region.right, region.bottom), region.scale, 0.0):
                if all(_iou(face, other) < _DUPLICATE_IOU for other in found + newly_found):
                    newly_found.append(face)
                else:
                    found.append(face)  # _dedupe keeps the surest of the two
        found = found + newly_found
        regions = []
    return _dedupe(found)


def _around(face: _Detection, margin: float, scale: float, size: tuple[int, int]) -> _Region:
    pad = margin * face.size
    return _Region(
        max(0, int(face.left - pad)),
        max(0, int(face.top - pad)),
        min(size[0], int(face.right + pad) + 1),
        min(size[1], int(face.bottom + pad) + 1),
        scale,
    )


@dataclass(frozen=True)
class _Region:
    left: int
    top: int
    right: int
    bottom: int
    scale: float

    @property
    def cost(self) -> float:
        return (self.right - self.left) * (self.bottom - self.top) * self.scale**2

    def within(self, other: _Region) -> bool:
        return (
            self.scale <= other.scale
            and other.left <= self.left
            and other.top <= self.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )

    def union(self, other: _Region) -> _Region:
        return _Region(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
            max(self.scale, other.scale),
        )


def _merge(regions: list[_Region]) -> list[_Region]:
    """Overlapping regions scanned once, where that costs no more than scanning each."""
    merged = sorted(regions, key=lambda r: -r.scale)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(merged):
            for j in range(i + 1, len(merged)):
                b = merged[j]
                union = a.union(b)
                if union.cost <= a.cost + b.cost:
                    merged[i] = union
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def _scan(gray: Image.Image, region: tuple[int, int, int, int], scale: float, threshold: float) -> list[_Detection]:
    left, top, right, bottom = region
    width, height = round((right - left) * scale), round((bottom - top) * scale)
    if width < _WINDOW_PX // 2 or height < _WINDOW_PX // 2:
        return []
    if (width, height) == gray.size:
        pixels = gray
    else:
        pixels = gray.resize((width, height), Image.Resampling.BILINEAR, box=region)
    rects, scores, _ = _models().detector.run(np.asarray(pixels), 0, threshold)
    sx, sy = (right - left) / width, (bottom - top) / height
    return [
        _Detection(
            left + r.left() * sx, top + r.top() * sy, left + (r.right() + 1) * sx, top + (r.bottom() + 1) * sy, s
        )
        for r, s in zip(rects, scores, strict=True)
    ]


def _detect_with_cnn(rgb: Image.Image) -> list[_Detection]:
    # The CNN takes about 0.7 s for 320 x 267 on one core (and 3 s for 640 x 443, which
    # is why it never sees gallery photos); the face of a selfie is big enough at 320 px.
    small = rgb.copy()
    small.thumbnail((_CNN_MAX_SIDE, _CNN_MAX_SIDE), Image.Resampling.BILINEAR)
    sx, sy = rgb.width / small.width, rgb.height / small.height
    return [
        _Detection(
            d.rect.left() * sx,
            d.rect.top() * sy,
            (d.rect.right() + 1) * sx,
            (d.rect.bottom() + 1) * sy,
            d.confidence,
        )
        for d in _models().cnn_detector(np.asarray(small), 0)
    ]


def _iou(a: _Detection, b: _Detection) -> float:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    overlap = width * height
    area_a = (a.right - a.left) * (a.bottom - a.top)
    area_b = (b.right - b.left) * (b.bottom - b.top)
    return overlap / (area_a + area_b - overlap)


def _dedupe(detections: list[_Detection]) -> list[_Detection]:
    """One detection per face: the surest, when scans at several scales found it."""
    kept: list[_Detection] = []
    for detection in sorted(detections, key=lambda d: -d.score):
        if all(_iou(detection, other) < _DUPLICATE_IOU for other in kept):
            kept.append(detection)
    return sorted(kept, key=lambda d: -d.size)


# --- Landmarks and descriptors ----------------------------------------------------


def _describe(rgb: Image.Image, detections: list[_Detection]) -> list[LocalFace]:
    if not detections:
        return []
    models = _models()
    faces, chips = [], []
    for d in detections:
        left, top = max(0, round(d.left)), max(0, round(d.top))
        right, bottom = min(rgb.width, round(d.right)), min(rgb.height, round(d.bottom))
        if right - left < 2 or bottom - top < 2:
            continue
        # Landmarks and chips come from the full-resolution pixels, whatever scale the
        # face was found at, so that small faces still get good descriptors. Each face
        # is cut out with room for its chip (padding 0.25, any rotation): numpy's copy of
        # a whole 24 MP image alone takes 0.2-0.3 s.
        margin = max(right - left, bottom - top)
        x0, y0 = max(0, left - margin), max(0, top - margin)
        pixels = np.asarray(rgb.crop((x0, y0, min(rgb.width, right + margin), min(rgb.height, bottom + margin))))
        shape = models.shape_predictor(pixels, dlib.rectangle(left - x0, top - y0, right - 1 - x0, bottom - 1 - y0))
        chips.append(dlib.get_face_chip(pixels, shape, size=_CHIP_SIZE, padding=_CHIP_PADDING))
        faces.append(
            (
                Box(left, top, right - left, bottom - top),
                float(d.score),
                [(float(p.x + x0), float(p.y + y0)) for p in shape.parts()],
            )
        )
    descriptors = models.descriptor_net.describe(chips)
    return [
        LocalFace(box=box, score=score, landmarks=landmarks, descriptor=descriptor)
        for (box, score, landmarks), descriptor in zip(faces, descriptors, strict=True)
    ]


# --- Models ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Models:
    detector: dlib.fhog_object_detector
    cnn_detector: dlib.cnn_face_detection_model_v1
    shape_predictor: dlib.shape_predictor
    descriptor_net: _DescriptorNet


@functools.cache
def _models() -> _Models:
    return _Models(
        detector=dlib.get_frontal_face_detector(),
        cnn_detector=dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location()),
        shape_predictor=dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location()),
        descriptor_net=_DescriptorNet.load(Path(face_recognition_models.face_recognition_model_location())),
    )


@dataclass(frozen=True)
class _Conv:
    weights: np.ndarray  # (size * size * channels_in, channels_out), the affine layer after it folded in
    bias: np.ndarray
    size: int
    stride: int
    padding: int


@dataclass(frozen=True)
class _DescriptorNet:
    """dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1), run with numpy.

    The dlib-bin wheel is built without BLAS, and its own convolutions take about 110 ms
    a face on one core; the same network as matrix products in numpy (OpenBLAS) takes
    about 15 ms and gives the same descriptors to 1e-6 (tests/test_local_engine.py).
    """

    convs: list[_Conv]
    fc: np.ndarray  # (256, 128)
    mean_rgb: np.ndarray

    @classmethod
    def load(cls, path: Path) -> _DescriptorNet:
        """Reads the layers' parameters out of dlib's serialized network.

        The network is the one of dlib's dnn_face_recognition_ex.cpp: a 7x7 convolution,
        max pooling, 14 residual blocks of two 3x3 convolutions (each followed by an
        affine layer), average pooling and a 128-wide fully connected layer. dlib writes
        the layers input first; each tensor as a version, four dimensions and raw
        little-endian float32 values; integers as a length byte and little-endian bytes.
        """
        data = path.read_bytes()
        layers: list[tuple[str, np.ndarray, list[int]]] = []
        for match in re.finditer(rb"\x01(\x05con_4|\x07affine_|\x04fc_2)", data):
            reader = _DlibReader(data, match.end())
            name = match.group(1)[1:].decode()
            if name == "fc_2":
                outputs, inputs = reader.integer(), reader.integer()
                layers.append((name, reader.tensor(), [inputs, outputs]))
            elif name == "con_4":
                params = reader.tensor()
                layers.append((name, params, [reader.integer() for _ in range(7)]))
            else:
                layers.append((name, reader.tensor(), []))
        convs = []
        for (kind, params, dims), (next_kind, affine, _) in zip(layers[0:-1:2], layers[1::2], strict=True):
            if (kind, next_kind) != ("con_4", "affine_"):
                raise ValueError(f"{path.name}: expected a convolution and an affine layer, found {kind}, {next_kind}")
            filters, size, _, stride, _, padding, _ = dims
            channels = (params.size - filters) // (filters * size * size)
            weights = params[: filters * channels * size * size].reshape(filters, channels, size, size)
            gamma, beta = affine[:filters], affine[filters:]
            convs.append(
                _Conv(
                    weights=np.ascontiguousarray(weights.transpose(2, 3, 1, 0).reshape(-1, filters) * gamma),
                    bias=(params[-filters:] * gamma + beta).astype(np.float32),
                    size=size,
                    stride=stride,
                    padding=padding,
                )
            )
        kind, fc, (inputs, outputs) = layers[-1]
        if kind != "fc_2" or len(convs) != 29:
            raise ValueError(f"{path.name}: not dlib's face recognition ResNet ({len(convs)} convolutions)")
        return cls(
            convs=convs,
            fc=fc.reshape(inputs, outputs),
            mean_rgb=np.array([122.782, 117.001, 104.298], np.float32),
        )

    def describe(self, chips: list[np.ndarray], batch: int = 16) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in range(0, len(chips), batch):
            out.extend(self._forward(np.stack(chips[start : start + batch])))
        return out

    def _forward(self, chips: np.ndarray) -> np.ndarray:
        x = (chips.astype(np.float32) - self.mean_rgb) / 256.0
        x = np.maximum(_convolve(x, self.convs[0]), 0)
        x = _max_pool_3x3_stride_2(x)
        for first, second in zip(self.convs[1::2], self.convs[2::2], strict=True):
            y = _convolve(np.maximum(_convolve(x, first), 0), second)
            if first.stride == 2:
                x = _average_pool_2x2(x)
            x = np.maximum(_add_zero_padded(x, y), 0)
        return (x.mean(axis=(1, 2)) @ self.fc).astype(np.float32)


class _DlibReader:
    def __init__(self, data: bytes, position: int):
        self.data, self.position = data, position

    def integer(self) -> int:
        header = self.data[self.position]
        length = header & 0x0F
        value = int.from_bytes(self.data[self.position + 1 : self.position + 1 + length], "little")
        self.position += 1 + length
        return -value if header & 0x80 else value

    def tensor(self) -> np.ndarray:
        version = self.integer()
        if version != 2:
            raise ValueError(f"unknown dlib tensor version {version}")
        count = math.prod(self.integer() for _ in range(4))
        values = np.frombuffer(self.data, "<f4", count, self.position)
        self.position += 4 * count
        return values.astype(np.float32)


def _convolve(x: np.ndarray, conv: _Conv) -> np.ndarray:
    """dlib's convolution (a correlation) of NHWC input, as one matrix product."""
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    n, height, width, channels = x.shape
    k, s = conv.size, conv.stride
    out_h, out_w = (height - k) // s + 1, (width - k) // s + 1
    sn, sh, sw, sc = x.strides
    windows = np.lib.stride_tricks.as_strided(
        x, (n, out_h, out_w, k, k, channels), (sn, sh * s, sw * s, sh, sw, sc), writeable=False
    )
    return (windows.reshape(n * out_h * out_w, k * k * channels) @ conv.weights + conv.bias).reshape(
        n, out_h, out_w, -1
    )


def _max_pool_3x3_stride_2(x: np.ndarray) -> np.ndarray:
    n, height, width, channels = x.shape
    out_h, out_w = (height - 3) // 2 + 1, (width - 3) // 2 + 1
    sn, sh, sw, sc = x.strides
    windows = np.lib.stride_tricks.as_strided(
        x, (n, out_h, out_w, 3, 3, channels), (sn, sh * 2, sw * 2, sh, sw, sc), writeable=False
    )
    return windows.max(axis=(3, 4))


def _average_pool_2x2(x: np.ndarray) -> np.ndarray:
    n, height, width, channels = x.shape
    out_h, out_w = (height - 2) // 2 + 1, (width - 2) // 2 + 1
    return x[:, : out_h * 2, : out_w * 2].reshape(n, out_h, 2, out_w, 2, channels).mean(axis=(2, 4))


def _add_zero_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # dlib's add_prev layer: where the two differ in size (channels doubling, or the
    # strided convolution's 3x3 against the pooled 4x4), the missing values are zeros.
    if a.shape == b.shape:
        return a + b
    out = np.zeros(tuple(max(p, q) for p, q in zip(a.shape, b.shape, strict=True)), np.float32)
    out[:, : a.shape[1], : a.shape[2], : a.shape[3]] += a
    out[:, : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return out


# --- The engine interface ------------------------------------------------------------


def similarity(distance_: float, *, match_distance: float = MATCH_DISTANCE) -> float:
    """A descriptor distance on Rekognition's similarity scale: 100 for the same
    descriptor, 80 (Rekognition's customary match threshold) at match_distance, 0 at
    three times it."""
    if distance_ <= match_distance:
        value = 100 - 20 * distance_ / match_distance
    else:
        value = 80 * (1 - (distance_ - match_distance) / (2 * match_distance))
    return round(min(100.0, max(0.0, value)), 2)


def _confidence(score: float) -> float:
    # The HOG detector's scores run from its threshold 0 to about 3; Rekognition's
    # confidences are percentages, and a face the detector accepts should read high.
    return round(100 / (1 + math.exp(-3 * (score + 0.5))), 2)


def _as_detected(face: LocalFace, width: int, height: int) -> dict:
    eye_right, eye_left = np.mean(face.landmarks[0:2], axis=0), np.mean(face.landmarks[2:4], axis=0)
    # Rekognition names eyes as the viewer sees them: eyeLeft is the one on the image's left.
    points = {"eyeLeft": eye_left, "eyeRight": eye_right, "nose": face.landmarks[4]}
    return {
        "box": FaceBox(
            left=face.box.left / width,
            top=face.box.top / height,
            width=face.box.width / width,
            height=face.box.height / height,
        ),
        "confidence": _confidence(face.score),
        "landmarks": [Landmark(type=name, x=float(x) / width, y=float(y) / height) for name, (x, y) in points.items()],
    }


class LocalEngine(FaceEngine):
    """dlib on this machine; the application searches the descriptors it stores."""

    name = "local"
    searches_in_database = True

    def __init__(self, *, match_distance: float = MATCH_DISTANCE, min_face_px: int = DEFAULT_MIN_FACE_PX):
        self.match_distance = match_distance
        self.min_face_px = min_face_px

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        image = _upright(image)
        return [DetectedFace(**_as_detected(face, *image.size)) for face in find_faces(image)]

    def index(self, image: Image.Image, *, collection: str, photo_id: int) -> list[IndexedFace]:
        image = _upright(image)
        return [
            IndexedFace(**_as_detected(face, *image.size), descriptor=face.descriptor.tobytes())
            for face in find_faces(image, min_face_px=self.min_face_px)
        ]

    def describe_selfie(self, image: Image.Image) -> SelfieFace | None:
        image = _upright(image)
        face, sizes = describe_largest_face(image)
        if face is None:
            return None
        return SelfieFace(
            **_as_detected(face, *image.size),
            faces_in_image=len(sizes),
            next_largest_area_ratio=(sizes[1] / sizes[0]) ** 2 if len(sizes) > 1 else 0.0,
            descriptor=face.descriptor.tobytes(),
        )

    def compare(self, source: Image.Image, target: Image.Image) -> float | None:
        selfie, _ = describe_largest_face(_upright(source))
        if selfie is None:
            return None
        faces = find_faces(target)
        if not faces:
            return None
        closest = min(distance(selfie.descriptor, face.descriptor) for face in faces)
        return similarity(closest, match_distance=self.match_distance)
