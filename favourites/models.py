from django.db import models

from galleries.models import Gallery, Photo


class FavouriteQuerySet(models.QuerySet):
    def of_guest(self, gallery: Gallery, guest: str):
        return self.filter(gallery=gallery, guest=guest)


class Favourite(models.Model):
    """A photo a guest's device hearted (favourites/services.py). No accounts: the guest
    is their device, as a keyed hash of its cookie (`guest`)."""

    # Always the photo's gallery (the services keep it so): the per-gallery reads and the
    # cap need no join.
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="favourites")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="favourites")
    guest = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FavouriteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "guest"], name="unique_favourite_per_guest"),
        ]
        indexes = [models.Index(fields=["gallery", "guest"], name="favourite_gallery_guest")]

    def __str__(self):
        return f"{self.photo} ♥"


class GuestName(models.Model):
    """The name a guest gave in a gallery, so that its organizer knows whose favourites these are."""

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="guest_names")
    guest = models.CharField(max_length=32)
    name = models.CharField(max_length=80)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gallery", "guest"], name="unique_guest_name_per_gallery"),
            models.CheckConstraint(condition=~models.Q(name=""), name="guest_name_not_empty"),
        ]

    def __str__(self):
        return self.name
