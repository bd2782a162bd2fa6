"""The helper process of cnn_process.py: reads images (pickled numpy arrays) from its
stdin, one at a time, and writes the CNN's boxes for each to its stdout, until its
stdin closes."""

from __future__ import annotations

import pickle
import sys


def serve() -> None:
    from faces.engines.local.models import cnn_detector

    detector = cnn_detector()
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            pixels = pickle.load(requests)
        except EOFError:
            return
        boxes = [
            (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom(), float(d.confidence))
            for d in detector(pixels, 0)
        ]
        pickle.dump(boxes, answers)
        answers.flush()


if __name__ == "__main__":
    serve()
