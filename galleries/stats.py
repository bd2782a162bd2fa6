"""What guests did in a gallery, for its organizer: views, downloads, favourites.

- A view is a guest's device seen in the gallery on a day (GalleryVisit): counted by
  the requests a person's browser makes: the gallery page's script asking for its
  hearts, and a photo's page or My favourites once the browser has its device cookie
  (link previews and crawlers keep none: each would be a new device, and a write).
  Never by the cached gallery page itself, which stays as fast as it was. A device
  coming back the same day is one view.
- Cheap: a process remembers for the day, in the cache, which devices it has already
  counted, so a device's first request of the day makes one conditional INSERT (a row
  that is there already is left alone) and the others none.
- A download is counted when it is made (GalleryDownload): one photo at any size
  (original, large or web: a guest's choice of size is still one download; looking at
  a photo, a HEAD, a thumbnail are none), or one ZIP with its number of photos.
- Those who manage a gallery are not guests there: the callers count guests only.
- Devices are stored as keyed hashes of their cookie, never as the cookie itself.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from galleries.models import Gallery, GalleryDownload, GalleryVisit, Photo


def visitor_key(device: str) -> str:
    return salted_hmac("galleries.stats.visitor", device).hexdigest()[:32]


def gallery_view_record(*, gallery: Gallery, device: str, now: datetime | None = None) -> bool:
    """Counts the device's view of the gallery today, once. True when this call was
    the first to see it today in this process (and wrote, or found, its row)."""
    now = timezone.localtime(now)
    day = now.date()
    visitor = visitor_key(device)
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    seconds_left = max(1, int((end_of_day - now).total_seconds()))
    if not cache.add(f"gallery-visit:{gallery.pk}:{day.isoformat()}:{visitor}", True, seconds_left):
        return False
    GalleryVisit.objects.bulk_create(
        [GalleryVisit(gallery=gallery, visitor=visitor, day=day)],
        ignore_conflicts=True,
    )
    return True


def gallery_download_record(*, gallery: Gallery, what: str, photo_count: int = 1) -> GalleryDownload:
    """Counts one download: a photo, or a ZIP of `photo_count` photos."""
    download = GalleryDownload(gallery=gallery, what=what, photo_count=photo_count)
    download.full_clean()
    download.save()
    return download


@dataclass(frozen=True)
class GalleryOverview:
    photos: int
    ready: int
    failed: int
    faces_indexed: int
    views: int
    visitors: int
    views_today: int
    photo_downloads: int
    zip_downloads: int
    zip_photos: int
    favourites: int
    favourite_photos: int
    favourite_guests: int

    @property
    def downloads(self) -> int:
        return self.photo_downloads + self.zip_downloads


def gallery_overview(*, gallery: Gallery, today: date | None = None) -> GalleryOverview:
    """The figures of the gallery's admin page, in five queries whatever its size."""
    from faces.models import PhotoFaces

    today = today or timezone.localdate()
    photos = gallery.photos.aggregate(
        total=Count("pk"),
        ready=Count("pk", filter=Q(status=Photo.Status.READY)),
        failed=Count("pk", filter=Q(status=Photo.Status.FAILED)),
    )
    visits = GalleryVisit.objects.filter(gallery=gallery).aggregate(
        views=Count("pk"), visitors=Count("visitor", distinct=True), today=Count("pk", filter=Q(day=today))
    )
    downloads = GalleryDownload.objects.filter(gallery=gallery).aggregate(
        photos=Count("pk", filter=Q(what=GalleryDownload.What.PHOTO)),
        zips=Count("pk", filter=~Q(what=GalleryDownload.What.PHOTO)),
        zip_photos=Sum("photo_count", filter=~Q(what=GalleryDownload.What.PHOTO)),
    )
    favourites = gallery.favourites.aggregate(
        total=Count("pk"), photos=Count("photo", distinct=True), guests=Count("guest", distinct=True)
    )
    return GalleryOverview(
        photos=photos["total"],
        ready=photos["ready"],
        failed=photos["failed"],
        faces_indexed=PhotoFaces.objects.filter(gallery=gallery, status=PhotoFaces.Status.INDEXED).count(),
        views=visits["views"],
        visitors=visits["visitors"],
        views_today=visits["today"],
        photo_downloads=downloads["photos"],
        zip_downloads=downloads["zips"],
        zip_photos=downloads["zip_photos"] or 0,
        favourites=favourites["total"],
        favourite_photos=favourites["photos"],
        favourite_guests=favourites["guests"],
    )
