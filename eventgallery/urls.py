from django.contrib import admin
from django.urls import include, path

from api.api import api

admin.site.site_header = "Eventgallery"
admin.site.site_title = "Eventgallery"
admin.site.index_title = "Organizer"

urlpatterns = [
    # Before the admin: single sign-on's pages and the admin logout that also ends its session.
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("galleries.urls")),
    path("", include("faces.urls")),
    path("", include("ops.urls")),
]
