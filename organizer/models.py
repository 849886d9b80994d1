from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.addresses import normalize_address_or_none


class MailAccount(models.Model):
    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("unencrypted (local servers only)")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="mail_accounts",
        verbose_name=_("owner"),
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    email_address = models.CharField(_("e-mail address"), max_length=254)
    # Other addresses the user sends from, as written; see own_addresses() for the normal forms.
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    host = models.CharField(_("IMAP server"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    login = models.CharField(_("login"), max_length=254)
    # Fernet token; see organizer.secrets. Never shown, never logged.
    password_encrypted = models.TextField(editable=False, verbose_name=_("password encrypted"))

    sync_enabled = models.BooleanField(_("synchronise"), default=True)
    auto_archive = models.BooleanField(_("automatic filing"), default=False)

    last_sync_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last error at"))
    failure_count = models.PositiveIntegerField(default=0, verbose_name=_("failure count"))
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When the owner last pressed "Sync now": the page waits for an outcome newer than this.
    sync_requested_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("sync requested at")
    )
    # A lease, claimed with a conditional UPDATE so that it works across processes and hosts.
    sync_lock_until = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("sync lock until")
    )
    sync_lock_token = models.CharField(
        max_length=32, blank=True, editable=False, verbose_name=_("sync lock token")
    )

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["email_address", "pk"]
        verbose_name = _("mail account")
        verbose_name_plural = _("mail accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "email_address"], name="mailaccount_unique_per_owner"
            )
        ]

    def __str__(self):
        return self.email_address

    def own_addresses(self):
        """The normal forms of the account's address and aliases."""
        found = (normalize_address_or_none(a) for a in [self.email_address, *self.aliases])
        return {a for a in found if a}

    @property
    def needs_attention(self):
        return self.failure_count >= settings.ABLAGE_SYNC_ATTENTION_AFTER


class Folder(models.Model):
    class Role(models.TextChoices):
        INBOX = "inbox", _("Inbox")
        SENT = "sent", _("Sent")
        DRAFTS = "drafts", _("Drafts")
        TRASH = "trash", _("Trash")
        JUNK = "junk", _("Junk")
        ARCHIVE = "archive", _("Archive")
        ALL = "all", _("All mail")
        OTHER = "", _("Folder")

    class SyncState(models.TextChoices):
        NONE = "", _("not synced yet")
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    AUTO_SYNC_ROLES = (Role.INBOX, Role.SENT)
    # Folders filled by organizer.importing carry this UIDVALIDITY: no server sends it (IMAP's
    # is a 32-bit number), so imported mail never mixes with a server's UIDs.
    IMPORT_UIDVALIDITY = 2**32

    account = models.ForeignKey(
        MailAccount, models.CASCADE, related_name="folders", verbose_name=_("account")
    )
    # The name as the server spells it (modified UTF-7): what SELECT and STATUS are sent.
    name = models.CharField(max_length=1000, verbose_name=_("name"))
    display_name = models.CharField(_("name"), max_length=1000)
    delimiter = models.CharField(max_length=4, blank=True, verbose_name=_("delimiter"))
    role = models.CharField(max_length=10, choices=Role.choices, blank=True, verbose_name=_("role"))
    flags = models.JSONField(default=list, blank=True, verbose_name=_("flags"))
    selectable = models.BooleanField(default=True, verbose_name=_("selectable"))
    exists_on_server = models.BooleanField(default=True, verbose_name=_("exists on server"))

    uidvalidity = models.BigIntegerField(null=True, blank=True, verbose_name=_("uidvalidity"))
    last_uid = models.BigIntegerField(default=0, verbose_name=_("last uid"))
    uidnext = models.BigIntegerField(null=True, blank=True, verbose_name=_("uidnext"))
    highest_modseq = models.BigIntegerField(null=True, blank=True, verbose_name=_("highest modseq"))
    server_message_count = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("server message count")
    )
    unseen_count = models.PositiveIntegerField(default=0, verbose_name=_("unseen count"))
    last_synced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last synced at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    # The latest sync of this folder as the mailbox page shows it, written by the worker
    # (organizer.ondemand) and read by the page's polling, whichever process either runs in.
    sync_state = models.CharField(
        max_length=10, choices=SyncState.choices, blank=True, verbose_name=_("sync state")
    )
    sync_state_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sync state at"))
    # {"done", "total"} while running; {"new", "removed", "updated", "errors"} when finished.
    sync_report = models.JSONField(default=dict, blank=True, verbose_name=_("sync report"))

    class Meta:
        ordering = ["account", "name"]
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="folder_unique_name")
        ]

    def __str__(self):
        return self.display_name

    @property
    def syncs_automatically(self):
        return self.role in self.AUTO_SYNC_ROLES and not self.is_imported

    @property
    def is_imported(self):
        """Filled by an import of mail files, not by a server: the sync leaves it alone."""
        return self.uidvalidity == self.IMPORT_UIDVALIDITY


class ParsedMail(models.Model):
    """The parsed fields of one RFC 822 message; its raw bytes live in the "mail" storage.

    Address fields hold lists of {"name", "address", "normalized"} (normalized is "" when the
    address does not parse); only `normalized` is ever used to match.
    """

    # Indexes are declared per model: the message and the filed mail are looked up differently,
    # and every index costs each of the thousands of rows a sync inserts.
    identity = models.CharField(max_length=64, verbose_name=_("identity"))
    fingerprint = models.CharField(max_length=64, verbose_name=_("fingerprint"))
    raw_path = models.CharField(max_length=200, verbose_name=_("raw path"))
    size = models.PositiveIntegerField(default=0, verbose_name=_("size"))

    message_id = models.CharField(max_length=998, blank=True, verbose_name=_("message id"))
    in_reply_to = models.CharField(max_length=998, blank=True, verbose_name=_("in reply to"))
    references = models.TextField(blank=True, verbose_name=_("references"))
    date = models.DateTimeField(null=True, blank=True, verbose_name=_("date"))
    subject = models.TextField(blank=True, verbose_name=_("subject"))
    from_addresses = models.JSONField(default=list, blank=True, verbose_name=_("from addresses"))
    sender = models.JSONField(default=list, blank=True, verbose_name=_("sender"))
    reply_to = models.JSONField(default=list, blank=True, verbose_name=_("reply to"))
    to = models.JSONField(default=list, blank=True, verbose_name=_("to"))
    cc = models.JSONField(default=list, blank=True, verbose_name=_("cc"))
    bcc = models.JSONField(default=list, blank=True, verbose_name=_("bcc"))
    # The mailbox that authored the mail (From, else Sender), for lists; "" when there is none.
    author_name = models.CharField(max_length=500, blank=True, verbose_name=_("author name"))
    author_address = models.CharField(max_length=320, blank=True, verbose_name=_("author address"))
    # Why the From header cannot decide a filing ("missing", "ambiguous", ...); "" when it can.
    from_problem = models.CharField(max_length=200, blank=True, verbose_name=_("from problem"))
    text_body = models.TextField(blank=True, verbose_name=_("text body"))
    html_body = models.TextField(blank=True, verbose_name=_("html body"))
    attachments = models.JSONField(default=list, blank=True, verbose_name=_("attachments"))
    has_attachments = models.BooleanField(default=False, verbose_name=_("has attachments"))
    # Every normalized address of the mail, space-separated: searched in lists.
    search_addresses = models.TextField(blank=True, verbose_name=_("search addresses"))
    parse_defects = models.JSONField(default=list, blank=True, verbose_name=_("parse defects"))
    parse_failed = models.BooleanField(default=False, verbose_name=_("parse failed"))

    class Meta:
        abstract = True

    PARSED_FIELDS = (
        "identity",
        "fingerprint",
        "raw_path",
        "size",
        "message_id",
        "in_reply_to",
        "references",
        "date",
        "subject",
        "from_addresses",
        "sender",
        "reply_to",
        "to",
        "cc",
        "bcc",
        "author_name",
        "author_address",
        "from_problem",
        "text_body",
        "html_body",
        "attachments",
        "has_attachments",
        "search_addresses",
        "parse_defects",
        "parse_failed",
    )

    def parsed_values(self):
        """The parsed fields as a dict, leaving out deferred ones (reading them would query)."""
        deferred = self.get_deferred_fields()
        return {name: getattr(self, name) for name in self.PARSED_FIELDS if name not in deferred}


class Message(ParsedMail):
    """One mail as it lies in one folder of one user's mailbox."""

    class ArchiveState(models.TextChoices):
        NONE = "", _("not filed automatically")
        PENDING = "pending", _("filing pending")
        DONE = "done", _("examined")

    account = models.ForeignKey(
        MailAccount, models.CASCADE, related_name="messages", verbose_name=_("account")
    )
    # Indexed as the first column of message_unique_uid and message_folder_date.
    folder = models.ForeignKey(
        Folder, models.CASCADE, related_name="messages", db_index=False, verbose_name=_("folder")
    )
    uidvalidity = models.BigIntegerField(verbose_name=_("uidvalidity"))
    uid = models.BigIntegerField(verbose_name=_("uid"))
    seen = models.BooleanField(default=False, verbose_name=_("seen"))
    flags = models.JSONField(default=list, blank=True, verbose_name=_("flags"))
    # Only the pending rows are looked up (partial index message_pending below); a full index
    # would cost every filing batch an index update per row.
    archive_state = models.CharField(
        max_length=10, choices=ArchiveState.choices, blank=True, verbose_name=_("archive state")
    )
    synced_at = models.DateTimeField(auto_now_add=True, verbose_name=_("synced at"))

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "uidvalidity", "uid"], name="message_unique_uid"
            )
        ]
        indexes = [
            models.Index(fields=["folder", "-date"], name="message_folder_date"),
            # A mail stored again (new UIDVALIDITY, a re-import) is found in its folder.
            models.Index(fields=["folder", "identity"], name="message_folder_identity"),
            # Raw mail already stored is found by its fingerprint and not written again.
            models.Index(fields=["fingerprint"], name="message_fingerprint"),
            models.Index(
                fields=["account", "archive_state"],
                condition=Q(archive_state="pending"),
                name="message_pending",
            ),
        ]

    def __str__(self):
        return self.subject or "(no subject)"


class MessageAddress(models.Model):
    """One normalized address of a message with its role: "which mail mentions X" is one query."""

    class Role(models.TextChoices):
        FROM = "from", _("From")
        SENDER = "sender", _("Sender")
        REPLY_TO = "reply_to", _("Reply-To")
        TO = "to", _("To")
        CC = "cc", _("Cc")
        BCC = "bcc", _("Bcc")

    # Indexed as the first column of messageaddress_unique.
    message = models.ForeignKey(
        Message,
        models.CASCADE,
        related_name="address_rows",
        db_index=False,
        verbose_name=_("message"),
    )
    role = models.CharField(max_length=10, choices=Role.choices, verbose_name=_("role"))
    address = models.CharField(max_length=320, verbose_name=_("address"))

    class Meta:
        verbose_name = _("message address")
        verbose_name_plural = _("message addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "role", "address"], name="messageaddress_unique"
            )
        ]
        # Equality lookups only: no pattern index beside it (db_index would add one on
        # PostgreSQL).
        indexes = [models.Index(fields=["address"], name="messageaddress_address")]

    def __str__(self):
        return f"{self.role}: {self.address}"


class RemoteContentAllowance(models.Model):
    """A user's choice to always load remote content (images) in mail from one sender.

    Keyed by the sender's normal form (crm.addresses). A From header proves nothing, so this
    only ever decides whether images load; scripts never run in a mail, whoever sent it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="remote_content_allowances",
        verbose_name=_("user"),
    )
    address = models.CharField(_("sender address"), max_length=320)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["address"]
        verbose_name = _("remote content allowed for a sender")
        verbose_name_plural = _("remote content allowed for senders")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "address"], name="remotecontentallowance_unique"
            )
        ]

    def __str__(self):
        return self.address
