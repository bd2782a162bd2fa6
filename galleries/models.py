import hashlib
import uuid
import weakref

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from eventgallery.language_names import language_choices

_by_slug_queries: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _row_by_slug_query(connection, model) -> tuple[str, list[str], list]:
    """The SELECT of a gallery's row by slug and the database's converters of its
    columns (SQLite's dates come as text), made once for each connection."""
    made = _by_slug_queries.get(connection)
    if made is None:
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {quote('slug')} = %s"
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if functions:
                converters.append((index, column, functions))
        made = _by_slug_queries[connection] = (sql, [field.attname for field in fields], converters)
    return made


class GalleryQuerySet(models.QuerySet):
    def listed(self):
        """Galleries that anyone may find on the home page (galleries/access.py has the rest of the policy)."""
        return self.filter(LISTED)

    def closed(self, now=None):
        """Galleries whose closing time has passed (galleries/access.py says what that means to whom)."""
        return self.filter(closes_at__lte=now or timezone.now())

    def touch(self) -> int:
        """Records that the photos these galleries show have changed (their pages are cached
        under `updated_at`). Gallery edits move `updated_at` by themselves (auto_now); this
        is for the photos."""
        return self.update(updated_at=timezone.now())

    def not_closed(self, now=None):
        return self.filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now or timezone.now()))

    def by_slug(self, slug: str) -> "Gallery | None":
        """The gallery at /g/<slug>/, or None. Read with a plain cursor: the gallery
        pages read this row on every request, and the ORM's query (0.79 ms of CPU on
        PostgreSQL) or a raw() one (0.51 ms) cost a third of a page served from the
        cache; this costs 0.24 ms (bench/README.md, "Gallery page under gunicorn")."""
        connection = connections[self.db]
        sql, attnames, converters = _row_by_slug_query(connection, self.model)
        with connection.cursor() as cursor:
            cursor.execute(sql, [slug])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for index, column, functions in converters:
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(self.db, attnames, values)

    def with_photo_counts(self):
        return self.annotate(
            photo_count=Count("photos", distinct=True),
            ready_photo_count=Count("photos", filter=Q(photos__status=Photo.Status.READY), distinct=True),
            failed_photo_count=Count("photos", filter=Q(photos__status=Photo.Status.FAILED), distinct=True),
        )

    def with_face_counts(self):
        """Find me's progress: photos whose faces are indexed, of those Find me indexes
        (the photos guests see: not a guest's upload held back, not hidden), and those
        that failed. Every count is of those same photos: a photo hidden after it was
        indexed keeps its face index, and counted it would read "203/202 indexed".

        Read through the photos' face index (faces.PhotoFaces, Photo.face_index): this
        module never imports faces, whose models import these."""

        def photos_with_status(status):
            return Subquery(
                Photo.objects.filter(guest_visible_q(), face_index__gallery=OuterRef("pk"), face_index__status=status)
                .values("face_index__gallery")
                .annotate(count=Count("pk"))
                .values("count")[:1]
            )

        return self.annotate(
            faces_indexable_count=Count("photos", filter=guest_visible_q("photos__"), distinct=True),
            faces_indexed_count=Coalesce(photos_with_status("indexed"), 0),
            faces_failed_count=Coalesce(photos_with_status("failed"), 0),
        )


def watermark_logo_name(instance, filename) -> str:
    """Never the uploaded name: the logo is stored as the PNG galleries/watermark.py makes."""
    return f"watermarks/{uuid.uuid4().hex}.png"


# New and changed access codes need this many characters; shorter ones made before keep working.
ACCESS_CODE_MIN_LENGTH = 6


class Gallery(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: listed on the home page"
        UNLISTED = "unlisted", "Unlisted: only people with the link"
        PRIVATE = "private", "Private: people with the link and the access code"

    class HideRequests(models.TextChoices):
        AT_ONCE = "at_once", "At once: the photos leave the gallery as soon as the guest asks"
        AFTER_APPROVAL = "after_approval", "After my approval: they stay until you approve the request"

    class HideAction(models.TextChoices):
        HIDE = "hide", "Hide the photos from guests"
        BLUR = "blur", "Blur the guest's face in the photos"

    class Downloads(models.TextChoices):
        ORIGINALS = "originals", "Originals: guests download the files as uploaded"
        DISPLAY = "display", "Display size only: guests download the images they see"
        NONE = "none", "No downloads: guests only look"

    class GuestUploads(models.TextChoices):
        OFF = "off", "Off: only organizers add photos"
        APPROVAL = "approval", "With approval: guests' photos are shown once you approve them"
        OPEN = "open", "Open: guests' photos are shown as soon as they are processed"
        DROP_BOX = "drop_box", "Drop box: guests send you photos; no guest sees anyone else's"

    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The end of the gallery's address: summer-party is at /g/summer-party/."
    )
    event_date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    cover = models.ForeignKey(
        "Photo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown on the home page. Without one, the first photo is used.",
    )
    # The organizer's own focal point of the cover, in percent of its width and height
    # (galleries/focal.py): empty, the cover's own (Photo.focal_x), from its faces.
    cover_focal_x = models.PositiveSmallIntegerField(
        "cover's focal point across (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="From 0 (the left edge) to 100 (the right edge). Empty: kept from the faces found, else the centre.",
    )
    cover_focal_y = models.PositiveSmallIntegerField(
        "cover's focal point down (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="From 0 (the top) to 100 (the bottom).",
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    access_code = models.CharField(max_length=64, blank=True, help_text="Guests type this to open a private gallery.")
    downloads = models.CharField(
        max_length=10,
        choices=Downloads.choices,
        default=Downloads.ORIGINALS,
        help_text="What guests may download, one photo or all at once. Organizers always get the originals.",
    )
    guest_uploads = models.CharField(
        "guest uploads",
        max_length=10,
        choices=GuestUploads.choices,
        default=GuestUploads.OFF,
        help_text=(
            "Guests add their own photos at the gallery's address + upload/. In a drop box the gallery "
            "shows your photos only (or nothing but the upload button if you add none)."
        ),
    )

    class Watermark(models.TextChoices):
        NONE = "none", "None"
        TEXT = "text", "Text"
        LOGO = "logo", "Logo image"

    class WatermarkPosition(models.TextChoices):
        TOP_LEFT = "top-left", "Top left"
        TOP_RIGHT = "top-right", "Top right"
        BOTTOM_LEFT = "bottom-left", "Bottom left"
        BOTTOM_RIGHT = "bottom-right", "Bottom right"
        CENTRE = "centre", "Centre"

    default_language = models.CharField(
        "guests' language",
        max_length=16,
        blank=True,
        choices=language_choices,
        help_text=(
            "The language of the gallery's pages for guests whose browser asks for none the site speaks. "
            "Each guest can choose another. Empty: the site's default."
        ),
    )
    is_published = models.BooleanField("published", default=False, help_text="Drafts are visible to organizers only.")
    face_search_enabled = models.BooleanField(
        "Find me",
        default=False,
        help_text="Guests can find the photos they appear in with a selfie. The faces of the photos are indexed.",
    )
    hide_requests_apply = models.CharField(
        "hide requests apply",
        max_length=20,
        choices=HideRequests.choices,
        default=HideRequests.AT_ONCE,
        help_text="Guests who found themselves with Find me can ask to hide the photos they are in.",
    )
    hide_action = models.CharField(
        "what a hide request does",
        max_length=10,
        choices=HideAction.choices,
        default=HideAction.HIDE,
        help_text="The default for each request; you can choose otherwise for any request.",
    )
    privacy_contact = models.CharField(
        "privacy contact",
        max_length=200,
        blank=True,
        help_text=(
            "How guests reach you about their photos and face data (an email address, a phone number): "
            "shown on the gallery's privacy page. Empty: your account's email address."
        ),
    )
    closes_at = models.DateTimeField(
        "closes at",
        null=True,
        blank=True,
        help_text=(
            "From then on guests see that the gallery has closed; you still see everything. "
            "Its face data is deleted and Find me switched off. Empty: never closes."
        ),
    )
    # Drawn by the worker into the display and middle images, never into the originals
    # (nor the thumbnails: at 400 px a mark is a smudge). Changing it draws them again.
    watermark = models.CharField(
        max_length=10,
        choices=Watermark.choices,
        default=Watermark.NONE,
        help_text=(
            "Drawn on the photos guests see and on the display-size downloads. "
            "Originals never carry it: guests allowed to download originals get them without it."
        ),
    )
    watermark_text = models.CharField("text", max_length=100, blank=True, help_text="For example © Studio Lumen.")
    watermark_logo = models.FileField(
        "logo",
        upload_to=watermark_logo_name,
        max_length=255,
        blank=True,
        help_text="A PNG with transparency looks best; JPEG, WebP and GIF work too. At most 5 MB.",
    )
    watermark_position = models.CharField(
        "position", max_length=12, choices=WatermarkPosition.choices, default=WatermarkPosition.BOTTOM_RIGHT
    )
    watermark_opacity = models.PositiveSmallIntegerField(
        "opacity (%)",
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text="From 10 (faint) to 100 (solid).",
    )
    watermark_size = models.PositiveSmallIntegerField(
        "size (%)",
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="The share of the photo's width and height the mark may fill, from 5 to 60.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="galleries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Also moved whenever the photos the gallery shows change (GalleryQuerySet.touch):
    # the gallery page's cache is keyed by it.
    updated_at = models.DateTimeField(auto_now=True)

    objects = GalleryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "galleries"
        ordering = ["-event_date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="private") | ~Q(access_code=""),
                name="private_gallery_has_access_code",
                violation_error_message="A private gallery needs an access code.",
            ),
            models.CheckConstraint(
                condition=Q(cover_focal_x__isnull=True, cover_focal_y__isnull=True)
                | Q(
                    cover_focal_x__isnull=False,
                    cover_focal_y__isnull=False,
                    cover_focal_x__lte=100,
                    cover_focal_y__lte=100,
                ),
                name="gallery_cover_focal_point_whole_and_in_range",
                violation_error_message="The cover's focal point needs both numbers, each from 0 to 100.",
            ),
            models.CheckConstraint(
                condition=Q(watermark_opacity__gte=10, watermark_opacity__lte=100, watermark_size__gte=5)
                & Q(watermark_size__lte=60),
                name="gallery_watermark_in_range",
                violation_error_message="The watermark's opacity or size is out of range.",
            ),
        ]
        indexes = [
            # close_expired_galleries asks for the closed galleries every minute.
            models.Index(fields=["closes_at"], name="gallery_closes_at"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("galleries:detail", args=[self.slug])

    @classmethod
    def from_db(cls, db, field_names, values):
        gallery = super().from_db(db, field_names, values)
        # The code as stored, for clean(): only a new or changed code must meet today's length.
        gallery._stored_access_code = gallery.__dict__.get("access_code")
        return gallery

    def clean(self):
        # Guests' codes are compared without surrounding spaces (access.gallery_unlock).
        self.access_code = self.access_code.strip()
        changed = self.access_code != (getattr(self, "_stored_access_code", None) or "").strip()
        if self.access_code and changed and len(self.access_code) < ACCESS_CODE_MIN_LENGTH:
            raise ValidationError(
                {"access_code": f"An access code needs at least {ACCESS_CODE_MIN_LENGTH} characters."}
            )
        self.watermark_text = self.watermark_text.strip()
        if self.watermark == self.Watermark.TEXT and not self.watermark_text:
            raise ValidationError({"watermark_text": "Type the watermark's text, or choose another kind."})
        if self.watermark == self.Watermark.LOGO and not self.watermark_logo:
            raise ValidationError({"watermark_logo": "Choose the logo to draw, or choose another kind."})

    def watermark_signature(self) -> str:
        """What the watermark looks like, in 16 characters ("" for none): a photo whose
        derivatives were drawn with another (Photo.watermark) is drawn again."""
        if self.watermark == self.Watermark.NONE:
            return ""
        what = self.watermark_text if self.watermark == self.Watermark.TEXT else self.watermark_logo.name
        described = f"{self.watermark}|{what}|{self.watermark_position}|{self.watermark_opacity}|{self.watermark_size}"
        return hashlib.sha256(described.encode()).hexdigest()[:16]

    @property
    def is_private(self):
        return self.visibility == self.Visibility.PRIVATE

    def is_closed(self, now=None) -> bool:
        """Has its closing time passed: to whom that matters is galleries/access.py's business."""
        return self.closes_at is not None and self.closes_at <= (now or timezone.now())

    @property
    def is_listed(self):
        return self.visibility == self.Visibility.PUBLIC and self.is_published

    @property
    def takes_guest_uploads(self) -> bool:
        return self.guest_uploads != self.GuestUploads.OFF


# Published public galleries: on the home page, and in the API's list without a key.
LISTED = Q(visibility=Gallery.Visibility.PUBLIC, is_published=True)


def guest_visible_q(prefix: str = "") -> Q:
    """THE rule for which photos guests see (pages, files, viewer, slideshow, Find me,
    downloads, favourites, the API): processed, not a guest's upload that waits for
    approval or went to the drop box, and not hidden by a guest's hide request. `prefix`
    is a lookup path to the photo ("photo__"). Photo.is_guest_visible says the same of
    one loaded photo: change both together. The admin shows all."""
    return Q(**{f"{prefix}status": Photo.Status.READY, f"{prefix}review": Photo.Review.SHOWN, f"{prefix}hidden": False})


class PhotoQuerySet(models.QuerySet):
    def ready(self):
        """Processed: what organizers see in their lists. Guests: guest_visible()."""
        return self.filter(status=Photo.Status.READY)

    def guest_visible(self):
        """The photos any guest may see (guest_visible_q)."""
        return self.filter(guest_visible_q())

    def awaiting_review(self):
        """Guests' uploads that wait for the organizer's approval."""
        return self.filter(review=Photo.Review.PENDING)

    def in_display_order(self):
        return self.order_by("sort_at", "id")

    def for_tiles(self):
        """Only the columns a thumbnail tile needs (files.stored_name reads every file name;
        files.photo_file_version whether the faces are blurred; a cover its focal point)."""
        return self.only(
            "gallery",
            "key",
            "width",
            "height",
            "original",
            "thumbnail",
            "middle",
            "display",
            "guest_name",
            "original_filename",
            "faces_blurred",
            "focal_x",
            "focal_y",
        )


class Photo(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be processed"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Review(models.TextChoices):
        SHOWN = "shown", "Shown to guests"
        PENDING = "pending", "Waiting for approval"
        DROP_BOX = "drop_box", "In the drop box: for organizers only"

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="photos")
    # The public handle of a photo (URLs, storage keys): never the sequential id.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255, blank=True)
    # Between the two, for grid tiles on phones. Photos processed before it existed have
    # none until `manage.py make_middle_derivatives`; pages then offer the display image.
    middle = models.FileField(max_length=255, blank=True)
    display = models.FileField(max_length=255, blank=True)
    # The bytes of the middle and display files, recorded when they are stored: download
    # menus add them up for a whole gallery after each of its changes, which asked the
    # storage for every file's size (a listing per thousand files on S3). None: not
    # recorded (photos processed before), asked of the storage.
    middle_bytes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    display_bytes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The gallery's watermark_signature() the middle and display images were drawn
    # with: "" for none. Another means they wait to be drawn again.
    watermark = models.CharField(max_length=16, blank=True, editable=False)
    original_filename = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the original file.")
    file_size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField(help_text="As displayed, after EXIF orientation.")
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    # When the photo was taken if the camera said so, else when it was uploaded:
    # one non-null column keeps ordering and previous/next simple on every database.
    sort_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Whether guests may see it once ready: a guest's upload may wait for approval, or
    # stay in the drop box (guest_visible_q).
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.SHOWN)
    uploaded_by_guest = models.BooleanField(default=False, editable=False)
    # The name a guest gave with the upload (optional), shown with the photo.
    guest_name = models.CharField("uploaded by", max_length=80, blank=True)
    error = models.TextField(blank=True)
    # Kept by faces.privacy from the hide requests applied to the photo: hidden from
    # guests, or its derivatives made with faces blurred (guests then never get the
    # original: its downloads serve the blurred display image).
    hidden = models.BooleanField("hidden from guests", default=False, editable=False)
    faces_blurred = models.BooleanField("faces blurred", default=False, editable=False)
    # Where the photo's faces are, as the CSS object-position (in percent) that keeps them
    # in any crop they fit in (galleries/focal.py): set when its faces are indexed; empty
    # (the centre) without faces or before.
    focal_x = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    focal_y = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Runs of the processing task since someone last queued the photo: bounds the
    # retries of transient errors and the re-runs after a worker died mid-task.
    processing_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # When the photo was last put in the queue: a pending photo without a task for
    # longer than the heartbeat age lost its task, and is queued again.
    queued_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["sort_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["gallery", "content_hash"], name="unique_photo_content_per_gallery"),
            models.CheckConstraint(
                condition=Q(focal_x__isnull=True, focal_y__isnull=True)
                | Q(focal_x__isnull=False, focal_y__isnull=False, focal_x__lte=100, focal_y__lte=100),
                name="photo_focal_point_whole_and_in_range",
            ),
            models.CheckConstraint(
                condition=Q(review="shown") | Q(uploaded_by_guest=True),
                name="photo_held_back_only_if_a_guests",
                violation_error_message="Only a guest's upload waits for approval or stays in the drop box.",
            ),
        ]
        indexes = [
            models.Index(fields=["gallery", "status", "sort_at", "id"], name="photo_gallery_order"),
            # The admin's queue of guests' photos waiting for approval.
            models.Index(fields=["gallery", "created_at"], condition=Q(review="pending"), name="photo_awaiting_review"),
        ]

    def __str__(self):
        return self.original_filename

    @property
    def is_ready(self):
        return self.status == self.Status.READY

    @property
    def is_guest_visible(self) -> bool:
        """guest_visible_q for one photo already loaded (the file view's check)."""
        return self.status == self.Status.READY and self.review == self.Review.SHOWN and not self.hidden

    @property
    def stored_names(self):
        """Every file this photo has in storage."""
        return [f.name for f in (self.original, self.thumbnail, self.middle, self.display) if f.name]

    def scaled_size(self, long_edge):
        """Width and height of a derivative whose long edge is at most `long_edge`."""
        scale = min(1.0, long_edge / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


class GalleryVisit(models.Model):
    """A guest's device seen in a gallery on a day: the gallery's views are these rows
    (galleries/stats.py), one per device per day however often it comes back."""

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="visits")
    # A keyed hash of the device cookie (ops.ratelimits.device_id), never the id itself.
    visitor = models.CharField(max_length=32)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gallery", "day", "visitor"], name="unique_gallery_visit_per_day"),
        ]

    def __str__(self):
        return f"{self.gallery_id} on {self.day}"


class GalleryDownload(models.Model):
    """One download by a guest: a photo, or a ZIP of many (galleries/stats.py)."""

    class What(models.TextChoices):
        PHOTO = "photo", "One photo"
        ALL = "all", "Download all (ZIP)"
        FAVOURITES = "favourites", "My favourites (ZIP)"
        FIND_ME = "find_me", "Find me's photos (ZIP)"

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="downloads_made")
    what = models.CharField(max_length=12, choices=What.choices)
    photo_count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["gallery", "what"], name="gallery_download_what")]

    def __str__(self):
        return f"{self.get_what_display()} ({self.photo_count})"
