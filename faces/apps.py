from django.apps import AppConfig


class FacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "faces"
    verbose_name = "Find me (faces)"

    def ready(self):
        from faces.healing import photo_faces_requeue_stuck
        from ops import sweeps

        # The worker sweeps the face indexes a dead worker left stuck (ops/sweeps.py).
        sweeps.register("face_indexes", photo_faces_requeue_stuck, counted_as="face index(es)")
