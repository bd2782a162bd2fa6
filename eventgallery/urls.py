from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from api.api import api
from favourites import admin as favourites_admin
from galleries.admin_access import view_on_site

admin.site.site_header = "Eventgallery"
admin.site.site_title = "Eventgallery"
admin.site.index_title = "Organizer"

# A database or cache outage answers 503 with Retry-After (ops/outages.py).
handler500 = "ops.views.server_error"

urlpatterns = [
    # Before the admin: single sign-on's pages and the admin logout that also ends its session.
    path("", include("accounts.urls")),
    # Before the admin: its "View on site" redirect, for the organizer's own objects only.
    path("admin/r/<path:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    # The favourites of an organizer's gallery, for their photo software.
    path(
        "admin/favourites/<int:gallery_id>/favourites.csv",
        admin.site.admin_view(favourites_admin.favourites_csv),
        name="favourites_csv",
    ),
    path(
        "admin/favourites/<int:gallery_id>/lightroom.txt",
        admin.site.admin_view(favourites_admin.favourites_lightroom),
        name="favourites_lightroom",
    ),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # The language switcher posts here (eventgallery/languages.py). Without a CSRF check: a
    # forged post can only change the language of someone's pages, and a token in the
    # switcher would keep every gallery page out of the page cache.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("", include("galleries.urls")),
    path("", include("favourites.urls")),
    path("", include("faces.urls")),
    path("", include("ops.urls")),
]

# JSON for the uploaders' scripts, the 400 page for the rest.
handler400 = "eventgallery.bad_requests.bad_request"
