from django.urls import path

from favourites import views

app_name = "favourites"

urlpatterns = [
    path("g/<slug:slug>/favourites/", views.my_favourites, name="list"),
    path("g/<slug:slug>/favourites/state", views.favourites_state, name="state"),
    path("g/<slug:slug>/favourites/download/", views.favourites_download, name="download"),
    path("g/<slug:slug>/favourites/name/", views.guest_name, name="name"),
    path("g/<slug:slug>/favourites/<uuid:key>/", views.favourite_set, name="set"),
]
