from django_tasks import task

from galleries.models import Photo
from galleries.services.processing import photo_process
from galleries.services.watermark import photo_watermark_refresh
from ops.metrics import PHOTOS_PROCESSED


@task()
def process_photo(*, photo_id: int) -> None:
    photo = photo_process(photo_id=photo_id)
    if photo is not None:
        outcome = "ready"
    elif Photo.objects.filter(pk=photo_id, status=Photo.Status.FAILED).exists():
        outcome = "failed"
    else:
        outcome = "gone"
    PHOTOS_PROCESSED.labels(outcome=outcome).inc()


@task()
def refresh_photo_watermark(*, photo_id: int) -> None:
    photo_watermark_refresh(photo_id=photo_id)


@task()
def render_photo(*, photo_id: int) -> None:
    """Makes a photo's derivatives again after its hide requests changed (faces to blur
    or to show again), keeping its face index."""
    photo_process(photo_id=photo_id, index_faces=False)
