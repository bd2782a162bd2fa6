import importlib

from django.urls import clear_url_caches, resolve

from accounts import views


def test_it_also_answers_at_the_original_services_callback_address(settings):
    settings.OIDC_REDIRECT_URI = "https://photos.example.org/authorization-code/callback"
    import accounts.urls
    import eventgallery.urls

    try:
        importlib.reload(accounts.urls)
        importlib.reload(eventgallery.urls)
        clear_url_caches()

        assert resolve("/authorization-code/callback/").func.view_class is views.SignInCallback
    finally:
        settings.OIDC_REDIRECT_URI = ""
        importlib.reload(accounts.urls)
        importlib.reload(eventgallery.urls)
        clear_url_caches()
