"""The phone hero: the gallery's cover cut at its focal point (galleries/focal.py) to the
shape of a phone's hero, at a phone's pixel density, so that the largest thing a phone
draws first is a small file made for its frame rather than a desktop's image cut by the
browser.

Its size comes from site.css: under 600 px a hero is the screen's width and 44% of its
small viewport height; on the Moto G Power that Lighthouse's mobile preset plays (412 x
823 at DPR 1.75) that is 412 x 362, 721 x 634 device pixels. Other phones' frames are
a little wider or taller: the browser cuts this image again at the same object-position,
which keeps the same region in view (cutting at a focal point keeps it where it was).

One file per cover and focal point, made the first time a phone asks for it and kept in
storage under galleries/<id>/hero/<version>.jpg; its version moves with whatever changes
it (another cover, another focal point, the cover redrawn), and so does its address.
An organizer's new cover or focal point deletes the stored one once saved, deleting the
gallery deletes them all (services/galleries.py), and making a version deletes the
gallery's others (what else moves the version: the cover hidden or redrawn, its faces
indexed). Never one for every photo: a gallery has one hero.
"""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from galleries import focal, share
from galleries.models import Gallery, Photo

PHONE_HERO_SIZE = (720, 632)
# Looked at twice enlarged on a real group photo: at 60, 72 and 82 the faces look alike (54, 66 and
# 83 KB); 72 keeps a margin for the smooth gradients (sky, skin) that a lower quality bands first.
PHONE_HERO_QUALITY = 72


def hero_folder(gallery_id: int) -> str:
    return f"galleries/{gallery_id}/hero"


def phone_hero_version(gallery: Gallery, cover: Photo) -> str:
    point = focal.cover_focal_point(gallery, cover)
    described = f"{cover.key}|{cover.display.name}|{point.css}|{PHONE_HERO_SIZE}|{PHONE_HERO_QUALITY}"
    return hashlib.blake2s(described.encode(), digest_size=6).hexdigest()


def phone_hero_name(gallery: Gallery, cover: Photo) -> str:
    return f"{hero_folder(gallery.pk)}/{phone_hero_version(gallery, cover)}.jpg"


def phone_hero_names(gallery_id: int) -> list[str]:
    """Every phone hero stored for the gallery (the current one and any left over)."""
    folder = hero_folder(gallery_id)
    try:
        _, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{name}" for name in names]


def phone_hero_image(*, gallery: Gallery, cover: Photo) -> bytes:
    """The cover cut at its focal point to PHONE_HERO_SIZE, as a JPEG (share.cover_cut_jpeg)."""
    return share.cover_cut_jpeg(gallery=gallery, cover=cover, size=PHONE_HERO_SIZE, quality=PHONE_HERO_QUALITY)


def phone_hero_stored(*, gallery: Gallery, cover: Photo) -> str:
    """The stored name of the gallery's phone hero for this cover, made and stored first
    if it is not yet (raising as phone_hero_image does); the gallery's other versions are
    deleted then. Two requests that make it at once store it twice: the storage never
    overwrites, so the second copy gets another name and is deleted."""
    name = phone_hero_name(gallery, cover)
    if default_storage.exists(name):
        return name
    default_storage.save(name, ContentFile(phone_hero_image(gallery=gallery, cover=cover)))
    for other in phone_hero_names(gallery.pk):
        if other != name:
            default_storage.delete(other)
    return name
