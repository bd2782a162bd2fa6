"""Find me, from a guest's selfie to the photos they are in.

The rules run in one order, whatever the transport: the gallery's switch, the rate
limits (counted before the selfie is read), the size, the consent, the form, the
search. Each refusal is an exception of its own; the page and the API only turn them
into their answers. Each search that ran leaves a consent receipt (faces/consent.py)
and nothing of the selfie.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _lazy

from faces.consent import consent_receipt_create
from faces.forms import SelfieForm
from faces.selectors import find_me_coverage
from faces.services.search import FaceSearchDisabled, SearchResult, face_search, face_search_allowed, read_selfie
from galleries.models import Gallery

#
# One request of Find me, whatever its transport: the selfie upload held in memory, the
# gallery's switch, the rate limits, the size, the consent, the form, the search. Each
# refusal is an exception of its own; the page and the API only turn them into their
# answers. Then the results travel to the results page in a signed, expiring token, so
# that nothing new is stored on the server: the token holds which photos matched and
# where the face is, never anything of the selfie.

# What a client sends for consent through the API; the page's checkbox sends "on".
CONSENT_VALUES = frozenset({"true", "1", "yes", "on"})


class FindMeRefused(Exception):
    """A Find me request refused before the selfie was searched."""


class TooManySearches(FindMeRefused):
    def __init__(self, retry_after_s: int):
        super().__init__("You have searched several times in the last few minutes.")
        self.retry_after_s = retry_after_s


class SelfieTooLarge(FindMeRefused):
    def __init__(self, max_mb: int):
        super().__init__(f"That photo is larger than {max_mb} MB.")
        self.max_mb = max_mb


class ConsentRequired(FindMeRefused):
    """The guest has not agreed (this time, or earlier in their session)."""

    def __init__(self, form: SelfieForm):
        super().__init__("The guest has not agreed to how their selfie is used.")
        self.form = form  # bound, for the page to show with its errors


class SelfieFormInvalid(FindMeRefused):
    def __init__(self, form: SelfieForm):
        self.form = form
        self.field, messages = next(iter(form.errors.items()))
        self.message = " ".join(messages)
        super().__init__(self.message)


def find_me_allowed(*, gallery: Gallery, device: str, address: str) -> None:
    """The rules that come before the selfie is read (the transports call this before
    they read the request's body): the gallery's switch (FaceSearchDisabled), then the
    rate limits (TooManySearches), which count this search."""
    if not gallery.face_search_enabled:
        raise FaceSearchDisabled(_lazy("Find me is not switched on for this gallery."))
    limit = face_search_allowed(device=device, address=address)
    if not limit.allowed:
        raise TooManySearches(limit.retry_after_s)


def find_me_selfie(*, data, files, too_large: bool, consent_given: bool) -> UploadedFile:
    """The selfie of a Find me request once find_me_allowed let it through, from the
    fields sent (`data`, `files`: mappings as a form takes them; `too_large`: the upload
    was dropped for its size), in this order: the size (SelfieTooLarge), the consent
    (ConsentRequired: given earlier in the session when `consent_given`, or stated in
    the `consent` field), the form (SelfieFormInvalid)."""
    if too_large:
        raise SelfieTooLarge(settings.SELFIE_MAX_MB)
    form = SelfieForm(data, files, consent_given=consent_given)
    if not consent_given and str(data.get("consent", "")).strip().lower() not in CONSENT_VALUES:
        raise ConsentRequired(form)
    if not form.is_valid():
        raise SelfieFormInvalid(form)
    return form.cleaned_data["selfie"]


def find_me_search(*, gallery: Gallery, selfie: UploadedFile) -> SearchResult:
    """The photos of the gallery the selfie's person is in; FaceSearchError when the
    selfie cannot be searched or the engine is unavailable. Each search that ran leaves
    a consent receipt (faces.consent.consent_receipt_create): when, where, under which
    privacy text, and nothing else. The result says how many of the gallery's photos
    were searched (faces.selectors.find_me_coverage), counted before the search so that
    it never claims a photo indexed while the search ran."""
    coverage = find_me_coverage(gallery=gallery)
    result = face_search(gallery=gallery, selfie=read_selfie(selfie))
    consent_receipt_create(gallery=gallery)
    return dataclasses.replace(result, coverage=coverage)
