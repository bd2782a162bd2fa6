"""Runs the tests' OpenID Connect provider: migrates its own SQLite database, makes
the users and the client application of the config file, then serves on a free
loopback port, which it prints on its first line of output.

    python -m accounts.tests.oidc_provider.serve CONFIG.json
"""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main(config_path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "accounts.tests.oidc_provider.settings"
    os.environ["PROVIDER_CONFIG"] = config_path

    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from oauth2_provider.models import Application

    config = settings.CONFIG
    call_command("migrate", verbosity=0)
    for username, user in config["users"].items():
        User.objects.create_user(username, password=user["password"], email=user["claims"].get("email", ""))
    client = config["client"]
    Application.objects.create(
        name="Eventgallery",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        post_logout_redirect_uris=" ".join(client["post_logout_redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server("127.0.0.1", 0, WSGIHandler(), server_class=ThreadingServer, handler_class=QuietHandler)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
