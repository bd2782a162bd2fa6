"""dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1) in numpy:
its parameters read out of dlib's serialized network, and its forward pass as matrix
products. No dlib here."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class _Conv:
    weights: np.ndarray  # (size * size * channels_in, channels_out), the affine layer after it folded in
    bias: np.ndarray
    size: int
    stride: int
    padding: int


@dataclass(frozen=True)
class DescriptorNet:
    """dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1), run with numpy.

    The dlib-bin wheel is built without BLAS, and its own convolutions take about 110 ms
    a face on one core; the same network as matrix products in numpy (OpenBLAS) takes
    about 15 ms and gives the same descriptors to 1e-6 (tests/test_local_engine.py).
    """

    convs: list[_Conv]
    fc: np.ndarray  # (256, 128)
    mean_rgb: np.ndarray

    @classmethod
    def load(cls, path: Path) -> DescriptorNet:
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
