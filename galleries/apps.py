from django.apps import AppConfig


class GalleriesConfig(AppConfig):
    name = "galleries"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from galleries.healing import photos_requeue_stuck
        from galleries.services.closing import galleries_closed_sweep
        from galleries.services.stored_files import stored_files_sweep
        from ops import sweeps

        # The worker sweeps the photos a dead worker left stuck (ops/sweeps.py), the
        # galleries past their closing time that still hold face data, and daily the
        # files that no row names (a delete the storage did not answer).
        sweeps.register("photos", photos_requeue_stuck, counted_as="stuck photo(s) queued again")
        sweeps.register(
            "closed_galleries", galleries_closed_sweep, counted_as="closed gallery(ies) whose face data was deleted"
        )
        sweeps.register(
            "stored_files", stored_files_sweep, counted_as="file(s) without a row deleted", every_s=24 * 3600
        )
