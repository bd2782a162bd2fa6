from django.apps import AppConfig
from django.core.signals import request_finished


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ops import checks  # noqa: F401 (registers them)

        request_finished.connect(_forget_request_id, dispatch_uid="ops.forget_request_id")


def _forget_request_id(**kwargs):
    from ops.logging import request_id_var

    request_id_var.set(None)
