"""The organizer's side of favourites: the gallery's hearts as a CSV and as a line for
Lightroom's filter, for the galleries the organizer manages only (galleries/access.py;
another organizer's gallery is not found). The counts are on the gallery's admin page
(galleries/stats.py) and in the photo list (galleries/admin.py)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from favourites import services
from galleries import access


def _managed_gallery(request, gallery_id):
    return get_object_or_404(access.galleries_managed_by(request.user), pk=gallery_id)


def favourites_csv(request, gallery_id):
    gallery = _managed_gallery(request, gallery_id)
    response = HttpResponse(services.gallery_favourites_csv(gallery=gallery), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{gallery.slug}-favourites.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def favourites_lightroom(request, gallery_id):
    gallery = _managed_gallery(request, gallery_id)
    response = HttpResponse(
        services.gallery_favourites_lightroom(gallery=gallery) + "\n", content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    return response
