import uuid

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from galleries.models import Gallery, Photo


class FaceCollection(models.Model):
    """A gallery's faces as the face engine keeps them: for Rekognition, the collection
    that holds them; for every engine, the counter that tells the search caches of
    other processes that faces were removed or regrouped."""

    gallery = models.OneToOneField(Gallery, on_delete=models.CASCADE, primary_key=True, related_name="face_collection")
    engine = models.CharField(max_length=20)
    # The Rekognition collection's id; empty for the local engine.
    external_id = models.CharField(max_length=255, blank=True)
    # Moves on every removal or regrouping of faces. Additions need no counter: a
    # cache loads the faces whose id is above the highest it has.
    revision = models.PositiveIntegerField(default=0)
    # Drawn when the row is made: a collection made again after Find me was switched
    # off starts at revision 0 too, and the caches must not take it for the old one.
    generation = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Faces of {self.gallery}"


class PhotoFacesQuerySet(models.QuerySet):
    def counts(self):
        return self.aggregate(
            total=Count("pk"),
            indexed=Count("pk", filter=Q(status=PhotoFaces.Status.INDEXED)),
            waiting=Count("pk", filter=Q(status__in=[PhotoFaces.Status.PENDING, PhotoFaces.Status.INDEXING])),
            failed=Count("pk", filter=Q(status=PhotoFaces.Status.FAILED)),
        )


class PhotoFaces(models.Model):
    """Where a photo stands in face indexing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        INDEXING = "indexing", "Indexing"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Failed"

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, primary_key=True, related_name="face_index")
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    engine = models.CharField(max_length=20, blank=True)
    face_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    # As Photo.processing_attempts and Photo.queued_at, for the indexing task.
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    queued_at = models.DateTimeField(default=timezone.now, editable=False)
    # The whole photo's difference hash (faces/copies.py), to tell a selfie that is this
    # photo resized or re-encoded; empty for photos indexed before it was kept.
    picture_hash = models.BinaryField(null=True, editable=False)

    objects = PhotoFacesQuerySet.as_manager()

    class Meta:
        verbose_name = "photo's faces"
        verbose_name_plural = "photos' faces"
        indexes = [models.Index(fields=["gallery", "status"], name="photofaces_gallery_status")]

    def __str__(self):
        return f"Faces of {self.photo}"


class Face(models.Model):
    """A face found in a gallery photo. The box and landmarks are ratios of the upright
    photo's width and height."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="faces")
    # The photo's gallery, kept here because every search reads a whole gallery's faces.
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="faces")
    engine = models.CharField(max_length=20)
    box_left = models.FloatField()
    box_top = models.FloatField()
    box_width = models.FloatField()
    box_height = models.FloatField()
    confidence = models.FloatField(help_text="0-100")
    landmarks = models.JSONField(default=list, blank=True)
    # The local engine's 128 float32 values; Rekognition keeps its own, under external_id.
    descriptor = models.BinaryField(null=True, editable=False)
    external_id = models.CharField(max_length=64, blank=True)
    # The person this face was grouped with, numbered within the gallery.
    person = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["photo", "box_left"]
        indexes = [
            models.Index(fields=["gallery", "id"], name="face_gallery_id"),
            models.Index(fields=["gallery", "external_id"], name="face_gallery_external_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(box_width__gt=0, box_height__gt=0, box_width__lte=1.01, box_height__lte=1.01),
                name="face_box_is_a_ratio",
            ),
        ]

    def __str__(self):
        return f"Face {self.pk} in {self.photo}"

    @property
    def box_percent(self) -> dict[str, float]:
        """The box in percent of the photo, for CSS that marks the face."""
        return {
            "left": round(100 * max(0.0, self.box_left), 2),
            "top": round(100 * max(0.0, self.box_top), 2),
            "width": round(100 * min(self.box_width, 1 - max(0.0, self.box_left)), 2),
            "height": round(100 * min(self.box_height, 1 - max(0.0, self.box_top)), 2),
        }


class HideRequest(models.Model):
    """A guest's request, from their Find me results, to hide the photos they are in or
    blur their face in them. It keeps which photos, the choice, the time, the status and
    an optional contact: never the selfie, never a face descriptor. Which face to blur
    is the face the search matched (a reference to the face index's row, taken from the
    signed results), never a box the guest sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"
        UNDONE = "undone", "Undone"

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="hide_requests")
    action = models.CharField(max_length=10, choices=Gallery.HideAction.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    contact = models.CharField(max_length=200, blank=True, help_text="Given by the guest, if they wished.")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Applied when the guest asked, without the organizer: what the gallery's budget of
    # photos hidden at once counts (faces/privacy.py).
    applied_at_once = models.BooleanField(
        default=False, editable=False, help_text="Applied when the guest asked, without waiting for approval."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["gallery", "status"], name="hiderequest_gallery_status"),
            models.Index(fields=["gallery", "created_at"], name="hiderequest_gallery_created"),
        ]

    def __str__(self):
        return f"Hide request {self.pk} in {self.gallery}"


class HideRequestPhoto(models.Model):
    """A photo of a hide request, and the face in it that the search matched (gone when
    the face data is deleted: the photo is then hidden instead of blurred)."""

    hide_request = models.ForeignKey(HideRequest, on_delete=models.CASCADE, related_name="entries")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="hide_entries")
    face = models.ForeignKey(Face, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hide_request", "photo"], name="hide_request_photo_once")]

    def __str__(self):
        return f"{self.photo} in hide request {self.hide_request_id}"


class ConsentReceipt(models.Model):
    """That a guest agreed to Find me's terms and searched: when, in which gallery,
    under which version of its privacy text. Nothing biometric, no address, no device."""

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="consent_receipts")
    created_at = models.DateTimeField(default=timezone.now)
    policy_version = models.CharField(max_length=16, help_text="The first characters of the privacy text's SHA-256.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["gallery", "created_at"], name="consentreceipt_gallery_time")]

    def __str__(self):
        return f"Consent in {self.gallery} at {self.created_at:%Y-%m-%d %H:%M}"
