"""The admin's side of the access policy (galleries/access.py)."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404


class DateCheckedChangeList(ChangeList):
    """A list whose date hierarchy refuses a year, month or day too large for a date
    (?event_date__year=99999999999) as Django refuses other bad filters: the list with
    ?e=1, instead of the OverflowError of Python's datetime (a 500)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


class ManagedByOrganizerAdmin(admin.ModelAdmin):
    """A model admin whose rows each belong to one organizer: its lists, actions, filters
    and object pages hold only what `scope` keeps for the user (galleries/access.py)."""

    def scope(self, queryset, user):
        raise NotImplementedError

    def get_changelist(self, request, **kwargs):
        return DateCheckedChangeList

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request.user)

    def _may_manage(self, request, obj) -> bool:
        return obj is None or self.scope(self.model._default_manager.filter(pk=obj.pk), request.user).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_manage(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_manage(request, obj)

    def response_action(self, request, queryset):
        # Ids that are not ids (a forged form) would fail Django's own filter with a 500:
        # the action does nothing and says so. Ids of rows outside `scope` are dropped by
        # the queryset, as always.
        pk = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk.to_python(value)
            except ValidationError:
                self.message_user(request, "Nothing was done: the rows chosen are not rows of this list.", "error")
                return None
        return super().response_action(request, queryset)


def view_on_site(request, content_type_id, object_id):
    """The admin's "View on site" redirect (/admin/r/<type>/<id>/) for objects the
    organizer's admin lists hold: Django's own answers any staff user for any object,
    which would give away the address of another organizer's unlisted gallery."""
    try:
        model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
    except (ContentType.DoesNotExist, ValueError):
        raise Http404 from None
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        raise Http404
    try:
        found = model_admin.get_queryset(request).filter(pk=object_id).exists()
    except (ValueError, ValidationError):  # not an id of this model: not found, as in Django's own
        raise Http404 from None
    if not found:
        raise Http404
    return contenttype_views.shortcut(request, content_type_id, object_id)
