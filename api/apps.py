from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "JSON API"

    def ready(self):
        from api.services import pending_uploads_clean
        from ops import sweeps

        # Daily, by the worker: uploads never attached to a gallery, with their files.
        sweeps.register(
            "pending_uploads", pending_uploads_clean, counted_as="unattached API upload(s) deleted", every_s=24 * 3600
        )
