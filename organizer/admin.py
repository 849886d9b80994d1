"""Django admin of the organizer: accounts listed without passwords; folders and mail read-only.

Accounts are changed by their owners only (My settings) and by operators on the command line.
"""

from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from organizer.models import Folder, MailAccount, Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MailAccount)
class MailAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "email_address",
        "owner",
        "host",
        "sync_enabled",
        "auto_archive",
        "last_sync_at",
        "failure_count",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["sync_enabled", "auto_archive"]
    search_fields = ["email_address", "host", "owner__username"]
    list_select_related = ["owner"]
    # The password is never shown, not even encrypted, nor can it be guessed through filters
    # in the URL (?password_encrypted__startswith=… would answer one character at a time).
    exclude = SECRET_FIELDS = ["password_encrypted", "sync_lock_token"]

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP)[0] in self.SECRET_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(Folder)
class FolderAdmin(ReadOnlyAdmin):
    list_display = [
        "display_name",
        "account",
        "role",
        "selectable",
        "exists_on_server",
        "uidvalidity",
        "last_uid",
        "server_message_count",
        "last_synced_at",
    ]
    list_filter = ["role", "exists_on_server"]
    search_fields = ["display_name", "account__email_address"]
    list_select_related = ["account"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "author_address", "date", "folder", "seen", "archive_state"]
    list_filter = ["archive_state", "parse_failed", "seen"]
    search_fields = ["subject", "message_id", "author_address"]
    list_select_related = ["folder"]
    show_full_result_count = False
    raw_id_fields = ["account", "folder"]
    # Newest synced first, along the primary key: messages have no index on the date alone
    # (the mail lists use folder and date), and ordering the whole table by it would scan.
    ordering = ["-pk"]
