from django.apps import AppConfig
from django.core.signals import request_finished


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ops import (
            checks,  # noqa: F401 (registers them)
            sweeps,
        )
        from ops.services import task_results_prune_old

        # After the apps' sweeps (ops comes after them in INSTALLED_APPS): the queue's
        # finished rows, pruned hourly (TASK_RESULTS_KEEP_DAYS).
        sweeps.register("task_results", task_results_prune_old, counted_as="old task result(s) deleted", every_s=3600)

        request_finished.connect(_forget_request_id, dispatch_uid="ops.forget_request_id")


def _forget_request_id(**kwargs):
    from ops.logging import request_id_var

    request_id_var.set(None)
