from django.contrib import admin

from archiving.models import BlockedAddress, FiledMail, Filing, FilingRemoval


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FilingInline(admin.TabularInline):
    model = Filing
    fields = ["content_type", "object_id", "source", "matched_address", "matched_role", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FiledMail)
class FiledMailAdmin(ReadOnlyAdmin):
    list_display = ["date", "subject", "author_address", "message_id", "has_attachments"]
    search_fields = ["subject", "message_id", "search_addresses"]
    date_hierarchy = "date"
    exclude = ["text_body", "html_body"]
    inlines = [FilingInline]


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    list_display = [
        "filed_mail",
        "content_type",
        "object_id",
        "source",
        "direction",
        "matched_address",
        "matched_role",
        "created_at",
    ]
    list_filter = ["source", "direction", "content_type", "matched_role"]
    search_fields = ["matched_address", "filed_mail__subject", "filed_mail__message_id"]
    list_select_related = ["filed_mail", "content_type"]
    raw_id_fields = ["filed_mail"]


@admin.register(FilingRemoval)
class FilingRemovalAdmin(ReadOnlyAdmin):
    list_display = [
        "filed_mail",
        "content_type",
        "object_id",
        "removed_source",
        "removed_by",
        "removed_at",
    ]
    list_filter = ["removed_source", "content_type"]
    list_select_related = ["filed_mail", "content_type", "removed_by"]
    raw_id_fields = ["filed_mail"]


@admin.register(BlockedAddress)
class BlockedAddressAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["value"]
    readonly_fields = ["kind", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        from archiving.rules import parse_block_entry

        obj.kind, obj.value = parse_block_entry(obj.value)
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
