from django.urls import path

from galleries import gallery_page_views, slideshow_views, views

app_name = "galleries"

urlpatterns = [
    path("", views.home, name="home"),
    path("g/<slug:slug>/", gallery_page_views.gallery_detail, name="detail"),
    path("g/<slug:slug>/access/", views.gallery_access, name="access"),
    path("g/<slug:slug>/download/", gallery_page_views.gallery_download, name="download"),
    path("g/<slug:slug>/preview.jpg", gallery_page_views.gallery_preview_image, name="preview_image"),
    path("g/<slug:slug>/hero.jpg", gallery_page_views.gallery_phone_hero, name="phone_hero"),
    path("g/<slug:slug>/upload/", views.gallery_upload, name="upload"),
    path("g/<slug:slug>/slideshow/", slideshow_views.gallery_slideshow, name="slideshow"),
    path("g/<slug:slug>/slideshow/photos", slideshow_views.gallery_slideshow_photos, name="slideshow_photos"),
    path("g/<slug:slug>/p/<uuid:key>/", views.photo_detail, name="photo"),
    path("photos/<uuid:key>/<str:kind>", views.photo_file, name="photo_file"),
]
