from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils import timezone

from api import services
from api.models import ApiKey, PendingUpload
from galleries import access
from galleries.admin_access import ManagedByOrganizerAdmin


@admin.register(ApiKey)
class ApiKeyAdmin(ManagedByOrganizerAdmin):
    """Organizers make keys for the JSON API here and revoke them. A key is shown once,
    in the message after it is made: only its hash is kept."""

    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at", "status"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description="Key")
    def key_prefix(self, api_key):
        return f"eg_{api_key.prefix}_…" if api_key.prefix else "—"

    @admin.display(description="Status")
    def status(self, api_key):
        return f"Revoked {timezone.localtime(api_key.revoked_at):%Y-%m-%d %H:%M}" if api_key.is_revoked else "Active"

    def scope(self, queryset, user):
        return access.owned_by(queryset, user, owner_field="user")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # only a superuser sees the field: keys for organizers
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = ["name"]
        if request.user.is_superuser:
            fields.append("user")
        return fields + (self.readonly_fields if obj else [])

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk}

    def has_change_permission(self, request, obj=None):
        # Only the name could change; a key is revoked, never edited.
        return False if obj is not None and obj.is_revoked else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        user = obj.user if request.user.is_superuser and obj.user_id else request.user
        api_key, key = services.api_key_create(user=user, name=obj.name)
        obj.pk = api_key.pk
        obj.prefix = api_key.prefix
        messages.warning(
            request,
            f"The new API key for {user.get_username()}: {key} — copy it now, it is not shown again.",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.api_key_revoke(api_key=obj)
        super().delete_model(request, obj)


@admin.register(PendingUpload)
class PendingUploadAdmin(ManagedByOrganizerAdmin):
    """Uploads through the API not attached to a gallery yet (removed after a day)."""

    list_display = ["original_filename", "owner", "file_size", "created_at"]
    readonly_fields = ["key", "owner", "file", "original_filename", "content_hash", "file_size", "created_at"]

    def scope(self, queryset, user):
        return access.owned_by(queryset, user, owner_field="owner")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.pending_upload_delete(pending=obj)

    def delete_queryset(self, request, queryset):
        for pending in queryset:
            services.pending_upload_delete(pending=pending)
