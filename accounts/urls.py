from urllib.parse import urlsplit

from django.conf import settings
from django.urls import path

from accounts import views

urlpatterns = [
    path("oidc/authenticate/", views.SignInStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", views.SignInCallback.as_view(), name="oidc_authentication_callback"),
    # Shadows the admin's own logout, which it calls, to end the provider's session too.
    path("admin/logout/", views.admin_logout, name="sso_admin_logout"),
]

# The original service's callback address (OKTA_REDIRECT_URI), if it is not ours, so that
# the application registered at the provider keeps working unchanged.
_redirect_path = urlsplit(settings.OIDC_REDIRECT_URI).path.strip("/")
if _redirect_path and _redirect_path != "oidc/callback":
    urlpatterns.append(path(f"{_redirect_path}/", views.SignInCallback.as_view()))
