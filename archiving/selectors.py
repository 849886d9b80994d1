"""Reads of the archive."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q

from archiving.models import FiledMail, Filing
from crm.models import Contact, Customer, Invoice, Quote, user_can_view_record

# The records mail can be filed at.
ARCHIVE_MODELS = (Customer, Contact, Quote, Invoice)


def archive_record(content_type_id, object_id):
    """The record behind an archive URL, or None when it is no archive record or is gone."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        return None
    model = content_type.model_class()
    if model not in ARCHIVE_MODELS:
        return None
    return model.objects.filter(pk=object_id).first()


def record_keys(record):
    """The (content type id, id) pairs whose filings make up a record's E-Mail-Archiv.

    A customer's archive shows its own filings and those of its contacts.
    """
    keys = [(ContentType.objects.get_for_model(record).pk, record.pk)]
    if isinstance(record, Customer):
        contact_type = ContentType.objects.get_for_model(Contact)
        keys += [(contact_type.pk, pk) for pk in record.contacts.values_list("pk", flat=True)]
    return keys


def _filing_condition(keys):
    by_type = {}
    for content_type_id, object_id in keys:
        by_type.setdefault(content_type_id, []).append(object_id)
    condition = Q(pk__in=[])
    for content_type_id, object_ids in by_type.items():
        condition |= Q(content_type_id=content_type_id, object_id__in=object_ids)
    return condition


# What one line of an archive shows (the counterpart of outgoing mail comes from To/Cc/Bcc).
LIST_FIELDS = (
    "pk",
    "date",
    "subject",
    "author_name",
    "author_address",
    "to",
    "cc",
    "bcc",
    "has_attachments",
)


def filed_mails_for_record(record, search=""):
    """The filed mails of a record's archive, newest first, each once, with `record_filings`
    (the filings that put it here) prefetched together with the records they point at.
    """
    condition = _filing_condition(record_keys(record))
    mails = FiledMail.objects.filter(
        pk__in=Filing.objects.filter(condition).values("filed_mail_id")
    ).only(*LIST_FIELDS)
    if search:
        mails = mails.filter(
            Q(subject__icontains=search) | Q(search_addresses__icontains=search.strip().lower())
        )
    filings = (
        Filing.objects.filter(condition)
        .select_related("content_type", "filed_by")
        .prefetch_related("record")
        .order_by("pk")
    )
    return mails.order_by("-date", "-pk").prefetch_related(
        Prefetch("filings", queryset=filings, to_attr="record_filings")
    )


def filings_of_mail(filed_mail):
    """Every filing of a mail with its record, for the message view."""
    return list(
        filed_mail.filings.select_related("content_type", "filed_by")
        .prefetch_related("record")
        .order_by("pk")
    )


def user_can_view_filed_mail(user, filed_mail, filings=None):
    """A user may read a filed mail when it stands in an E-Mail-Archiv they may see: that of a
    record it is filed at, or that of a customer of a contact it is filed at (record_keys)."""
    if not user.is_authenticated:
        return False
    filings = filings if filings is not None else filings_of_mail(filed_mail)
    records = [f.record for f in filings if f.record is not None]
    if any(user_can_view_record(user, record) for record in records):
        return True
    contact_ids = [record.pk for record in records if isinstance(record, Contact)]
    return (
        bool(contact_ids)
        and user.is_active
        and user.has_perm("crm.view_customer")
        and Customer.objects.filter(contacts__in=contact_ids).exists()
    )


def filings_by_identity(identities):
    """{identity: [Filing, ...]} for mailbox messages: the filing icon and its shortcuts."""
    found = {}
    rows = (
        Filing.objects.filter(filed_mail__identity__in=set(identities))
        .select_related("content_type", "filed_mail")
        .only("pk", "content_type", "object_id", "filed_mail__identity", "filed_mail__id")
        .prefetch_related("record")
        .order_by("pk")
    )
    for filing in rows:
        found.setdefault(filing.filed_mail.identity, []).append(filing)
    return found
