from django.apps import AppConfig


class FacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "faces"
    verbose_name = "Find me (faces)"

    def ready(self):
        # Here rather than at the top: models may be imported only once the app registry is ready.
        from faces import privacy, selectors
        from faces.healing import photo_faces_requeue_stuck
        from faces.services import indexing
        from galleries.face_data import FaceData, face_data_register
        from ops import sweeps

        face_data_register(
            FaceData(
                photo_privacy=selectors.photo_privacy,
                photo_faces_queue=indexing.photo_faces_queue,
                photos_faces_forget=indexing.photos_faces_forget,
                gallery_faces_forget=indexing.gallery_faces_forget,
                gallery_face_search_switched=indexing.gallery_face_search_switched,
                galleries_with_face_data=privacy.galleries_with_face_data,
            )
        )

        # The worker sweeps the face indexes a dead worker left stuck (ops/sweeps.py).
        sweeps.register("face_indexes", photo_faces_requeue_stuck, counted_as="stuck face index(es) queued again")
