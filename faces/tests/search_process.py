"""Another process that searches: a Django process of its own against the test
database (DATABASE_URL), which reads a gallery id per line on stdin and answers the
ids of the faces its search cache (faces.search.gallery_descriptors) holds for it,
one JSON list per line. Run by the tests of the caches across processes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventgallery.settings")
    django.setup()
    from faces import search

    for line in sys.stdin:
        known = search.gallery_descriptors(int(line))
        print(json.dumps(sorted(known.face_ids.tolist())), flush=True)


if __name__ == "__main__":
    main()
