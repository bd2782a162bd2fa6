from django.urls import path

from faces import views

app_name = "faces"

urlpatterns = [
    path("g/<slug:slug>/find-me/", views.find_me, name="find_me"),
]
