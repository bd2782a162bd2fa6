from django.urls import path

from faces import views

app_name = "faces"

urlpatterns = [
    path("g/<slug:slug>/find-me/", views.find_me, name="find_me"),
    path("g/<slug:slug>/find-me/results/", views.find_me_results, name="find_me_results"),
    path("g/<slug:slug>/find-me/results/not-me/", views.find_me_results_not_me, name="find_me_results_not_me"),
    path(
        "g/<slug:slug>/find-me/results/download/",
        views.find_me_results_download,
        name="find_me_results_download",
    ),
    path("g/<slug:slug>/find-me/progress/", views.find_me_progress, name="find_me_progress"),
    path("g/<slug:slug>/find-me/hide/", views.find_me_hide, name="find_me_hide"),
    path("g/<slug:slug>/privacy/", views.privacy_page, name="privacy"),
]
