from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizer.models import ParsedMail


class FiledMail(ParsedMail):
    """The company's copy of a filed mail, independent of any mailbox.

    It stays when the mail is deleted from the mailbox, the account is removed or its owner
    leaves. `identity` is the natural key: the same mail reaching several mailboxes (or several
    folders of one) is one filed mail.
    """

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("filed mail")
        verbose_name_plural = _("filed mails")
        # The unique constraint indexes identity; the archive is listed newest first.
        constraints = [
            models.UniqueConstraint(fields=["identity"], name="filedmail_unique_identity")
        ]
        indexes = [models.Index(fields=["-date", "-id"], name="filedmail_date")]

    def __str__(self):
        return self.subject or "(no subject)"


class Filing(models.Model):
    """A filed mail linked to one CRM record, with how it got there."""

    class Source(models.TextChoices):
        AUTOMATIC = "auto", _("automatic")
        MANUAL = "manual", _("manual")

    class Direction(models.TextChoices):
        INCOMING = "in", _("incoming")
        OUTGOING = "out", _("outgoing")

    filed_mail = models.ForeignKey(
        FiledMail, models.CASCADE, related_name="filings", verbose_name=_("filed mail")
    )
    content_type = models.ForeignKey(ContentType, models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    record = GenericForeignKey("content_type", "object_id")
    # Copied from the filed mail so that a record's archive sorts on one index.
    mail_date = models.DateTimeField(null=True, blank=True, verbose_name=_("mail date"))
    direction = models.CharField(
        max_length=3, choices=Direction.choices, verbose_name=_("direction")
    )
    source = models.CharField(max_length=10, choices=Source.choices, verbose_name=_("source"))
    # For automatic filings: the address that matched and its header ("from", "to", ...).
    matched_address = models.CharField(
        max_length=320, blank=True, verbose_name=_("matched address")
    )
    matched_role = models.CharField(max_length=10, blank=True, verbose_name=_("matched role"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    # The account whose copy of the mail led to this filing (kept as plain data: accounts go).
    account_address = models.CharField(
        max_length=254, blank=True, verbose_name=_("account address")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-mail_date", "-pk"]
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        constraints = [
            models.UniqueConstraint(
                fields=["filed_mail", "content_type", "object_id"], name="filing_unique_record"
            )
        ]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-mail_date"], name="filing_record_date"
            )
        ]

    def __str__(self):
        return f"{self.filed_mail} → {self.content_type.model} {self.object_id}"

    @property
    def filed_by_name(self):
        """Who filed it by hand, as the header shows them: full name, else login; "" when the
        user is gone."""
        user = self.filed_by
        return (user.get_full_name() or user.get_username()) if user else ""


class FilingRemoval(models.Model):
    """A filing a user removed. The automatic rule never recreates it."""

    filed_mail = models.ForeignKey(
        FiledMail, models.CASCADE, related_name="removals", verbose_name=_("filed mail")
    )
    content_type = models.ForeignKey(ContentType, models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    record = GenericForeignKey("content_type", "object_id")
    removed_source = models.CharField(
        max_length=10, choices=Filing.Source.choices, verbose_name=_("removed source")
    )
    removed_reason = models.TextField(blank=True, verbose_name=_("removed reason"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("removed by"),
    )
    removed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("removed at"))

    class Meta:
        ordering = ["-removed_at"]
        verbose_name = _("removed filing")
        verbose_name_plural = _("removed filings")
        constraints = [
            models.UniqueConstraint(
                fields=["filed_mail", "content_type", "object_id"], name="removal_unique_record"
            )
        ]

    def __str__(self):
        return f"{self.filed_mail} ↛ {self.content_type.model} {self.object_id}"


class BlockedAddress(models.Model):
    """An entry of the Archivierungs-Sperrliste: an address or a whole domain."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("address")
        DOMAIN = "domain", _("domain")

    # The normal form: an address, or a domain in punycode without a leading "@".
    value = models.CharField(_("address or domain"), max_length=320, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["value"]
        verbose_name = _("blocked address")
        verbose_name_plural = _("filing block list")
        permissions = [("manage_blocklist", _("Can manage the filing block list"))]

    def __str__(self):
        return self.value
