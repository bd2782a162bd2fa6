"""What the galleries' admin shows of a gallery and of a photo: the list columns and the
read-only fields of the change pages, as mixins of GalleryAdmin and PhotoAdmin
(galleries/admin.py) with the helpers they share.

Every column reads what the admin's queryset annotated (photo counts, face counts,
hide requests, hearts): a list page makes one query, whatever its length. Nothing
here changes a row.
"""

import math

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from faces.admin import face_crops_html
from faces.models import HideRequest
from galleries import files, focal
from galleries.models import Photo


def hide_requests_count(status: str):
    """The gallery's hide requests of this status, as a subquery: one query for the list."""
    return Coalesce(
        Subquery(
            HideRequest.objects.filter(gallery=OuterRef("pk"), status=status)
            .order_by()
            .values("gallery")
            .annotate(count=Count("pk"))
            .values("count")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def thumbnail_html(photo, size=80):
    if not photo.is_ready:
        return "—"
    return format_html(
        '<img src="{}" alt="" loading="lazy" style="max-width:{}px;max-height:{}px;border-radius:4px">',
        files.photo_url(photo, "thumb"),
        size,
        size,
    )


def closing_status(gallery, now=None) -> str:
    """ "closes in 3 days", "closes in 5 hours", "closed", or "" when it never closes."""
    if gallery.closes_at is None:
        return ""
    now = now or timezone.now()
    if gallery.is_closed(now):
        return "closed"
    left = gallery.closes_at - now
    if left.days >= 1:
        days = math.ceil(left.total_seconds() / 86400)
        return f"closes in {days} day{'s' if days != 1 else ''}"
    hours = math.ceil(left.total_seconds() / 3600)
    return f"closes in {hours} hour{'s' if hours != 1 else ''}"


def waited_short(since, now=None) -> str:
    """ "<1 min", "3 min", "5 h", "2 days": how long a photo has waited, for a narrow column."""
    minutes = int(((now or timezone.now()) - since).total_seconds() // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


class GalleryColumns:
    """GalleryAdmin's list columns and the read-only fields of its change page."""

    @admin.display(description="Preview")
    def watermark_preview(self, gallery):
        """The saved watermark on the gallery's first photo; the admin's script
        (static/galleries/admin-watermark.js) shows the settings as they are changed."""
        if gallery is None or gallery.pk is None:
            return "Save the gallery to see its watermark on one of its photos."
        url = reverse("admin:galleries_gallery_watermark_preview", args=[gallery.pk])
        return format_html(
            '<img src="{}" data-preview-url="{}" alt="The watermark on the gallery\'s first photo" '
            'class="watermark-preview" style="max-width:min(100%,512px);height:auto;border-radius:4px">'
            '<br><span class="help">The gallery\'s first photo at its middle size. A new logo shows once saved.</span>',
            url,
            url,
        )

    @admin.display(description="Cover's focal point")
    def cover_focus(self, gallery):
        """The saved cover, to click where it must stay in view: the admin's script
        (static/galleries/admin-focal.js) fills the two numbers below from the click."""
        cover = gallery.cover if gallery is not None and gallery.pk else None
        if cover is None or not cover.is_ready:
            return "Choose a cover and save: then click on it here to choose what stays in view when it is cut."
        point = focal.cover_focal_point(gallery, cover)
        faces_point = focal.stored(cover.focal_x, cover.focal_y)
        kept = f"the faces found ({faces_point.x}, {faces_point.y})" if faces_point else "the centre (no faces found)"
        fallback = faces_point or focal.CENTRE
        return format_html(
            '<span class="cover-focus" data-x="{}" data-y="{}">'
            '<img src="{}" alt="The cover: click where it must stay in view" class="cover-focus-image">'
            '<span class="cover-focus-mark" style="left:{}%;top:{}%" aria-hidden="true"></span></span>'
            '<br><span class="help">Click on what must stay in view when the cover is cut (the hero, the home page, '
            "link previews, table cards): the numbers below follow, and apply once saved. Empty, they keep {}.</span>",
            fallback.x,
            fallback.y,
            files.photo_url(cover, "middle" if cover.middle.name else "display"),
            point.x,
            point.y,
            kept,
        )

    @admin.display(description="Date", ordering="event_date")
    def date(self, gallery):
        # "3 Jun 2026": narrower than the admin's "June 3, 2026", for a list that fits.
        return date_format(gallery.event_date, "j M Y") if gallery.event_date else "—"

    @admin.display(description="Visibility", ordering="visibility")
    def visibility_short(self, gallery):
        # "Private", not "Private: people with the link and the access code": a column
        # that fits a phone. The filter beside the list says the whole of it.
        return gallery.get_visibility_display().split(":")[0]

    @admin.display(description="Find me")
    def find_me(self, gallery):
        """How far indexing is, and guests' requests to hide photos, waiting and applied,
        each linking to them (under the count, in the one column: the list fits a laptop)."""
        if gallery.face_search_enabled:
            failed = f", {gallery.faces_failed_count} failed" if gallery.faces_failed_count else ""
            indexing = f"{gallery.faces_indexed_count}/{gallery.faces_indexable_count} indexed{failed}"
        else:
            indexing = "Off"
        requests = self._hide_requests(gallery)
        return format_html("{}<br>Hide requests: {}", indexing, requests) if requests else indexing

    def _hide_requests(self, gallery):
        changelist = reverse("admin:faces_hiderequest_changelist")
        parts = [
            (
                f"{changelist}?{urlencode({'gallery__id__exact': gallery.pk, 'status__exact': status})}",
                f"{count} {label}",
                "hide-requests-waiting" if status == HideRequest.Status.PENDING else "hide-requests-applied",
            )
            for status, label, count in (
                (HideRequest.Status.PENDING, "waiting", gallery.hide_requests_waiting),
                (HideRequest.Status.APPLIED, "applied", gallery.hide_requests_applied),
            )
            if count
        ]
        return format_html_join(", ", '<a href="{}" class="{}">{}</a>', ((url, cls, text) for url, text, cls in parts))

    @admin.display(description="Closes", ordering="closes_at")
    def closing(self, gallery):
        return closing_status(gallery) or "—"

    @admin.display(description="Photos", ordering="photo_count")
    def photos_link(self, gallery):
        url = reverse("admin:galleries_photo_changelist") + "?" + urlencode({"gallery__id__exact": gallery.pk})
        return format_html('<a href="{}">{}</a>', url, gallery.photo_count)

    @admin.display(description="Processed")
    def processing(self, gallery):
        if not gallery.photo_count:
            return "—"
        done = gallery.ready_photo_count + gallery.failed_photo_count
        failed = f", {gallery.failed_photo_count} failed" if gallery.failed_photo_count else ""
        waited = ""
        if gallery.oldest_waiting_since is not None:
            waited = format_html(
                '<br><span class="pipeline-waiting">oldest waiting {}</span>',
                waited_short(gallery.oldest_waiting_since),
            )
        return format_html(
            '<progress value="{}" max="{}"></progress> {}/{}{}{}',
            done,
            gallery.photo_count,
            gallery.ready_photo_count,
            gallery.photo_count,
            failed,
            waited,
        )


class PhotoColumns:
    """PhotoAdmin's list columns and the read-only fields of its change page."""

    @admin.display(description="♥", ordering="favourite_count")
    def favourite_count(self, photo):
        return photo.favourite_count

    @admin.display(description="Photo")
    def thumbnail_preview(self, photo):
        return thumbnail_html(photo)

    @admin.display(description="Preview")
    def large_preview(self, photo):
        return thumbnail_html(photo, 400)

    @admin.display(description="Sizes")
    def derivatives(self, photo):
        """Each derivative's size and link, or why it is missing."""
        if not photo.is_ready:
            return "—"
        sizes = {"thumb": settings.PHOTO_THUMB_SIZE, "middle": settings.PHOTO_MIDDLE_SIZE}
        sizes["display"] = settings.PHOTO_DISPLAY_SIZE
        return format_html_join(
            ", ",
            "{}",
            (
                (
                    format_html(
                        '<a href="{}">{} {}×{}</a>', files.photo_url(photo, kind), kind, *photo.scaled_size(edge)
                    )
                    if files.stored_name(photo, kind)
                    else format_html("{}: not made yet (manage.py make_middle_derivatives)", kind),
                )
                for kind, edge in sizes.items()
            ),
        )

    @admin.display(description="Guests see")
    def guests_see(self, photo):
        """A guest's upload held back (waiting for approval, in the drop box), or hidden or
        blurred on a guest's request, with the link to undo it; "—" when guests see it."""
        by = f" · from {photo.guest_name}" if photo.guest_name else ""
        if photo.review != Photo.Review.SHOWN:
            return photo.get_review_display() + by
        if not photo.hidden and not photo.faces_blurred:
            return f"Shown{by}" if by else "—"
        requests_url = reverse("admin:faces_hiderequest_changelist") + "?" + urlencode({"entries__photo": photo.pk})
        state = "Hidden (hide request)" if photo.hidden else "Face blurred (hide request)"
        return format_html('<strong>{}</strong> · <a href="{}">requests, undo</a>', state, requests_url)

    @admin.display(description="Faces (Find me)")
    def faces(self, photo):
        return face_crops_html(photo)
