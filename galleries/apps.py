from django.apps import AppConfig


class GalleriesConfig(AppConfig):
    name = "galleries"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from galleries.healing import photos_requeue_stuck
        from ops import sweeps

        # The worker sweeps the photos a dead worker left stuck (ops/sweeps.py).
        sweeps.register("photos", photos_requeue_stuck, counted_as="photo(s)")
