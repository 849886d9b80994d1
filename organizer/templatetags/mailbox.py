"""Small display helpers of the organizer's own pages (mailbox and My settings)."""

from django import template
from django.template.defaultfilters import date as format_date
from django.utils import timezone

register = template.Library()


@register.filter
def kind_of(record):
    """The record's kind as users call it: “Contact”, “Customer”, “Quote”, “Invoice”."""
    return str(record._meta.verbose_name).capitalize() if record is not None else ""


@register.filter
def record_name(record):
    """The record's name beside its kind_of badge (crm.selectors.record_label)."""
    from crm.selectors import record_label

    return record_label(record) if record is not None else ""


@register.filter
def list_date(value):
    """A mail's date for a list line: the time today, day and month this year, else the date."""
    if value is None:
        return "–"
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        return format_date(local, "TIME_FORMAT")
    if local.year == today.year:
        return format_date(local, "MONTH_DAY_FORMAT")
    return format_date(local, "SHORT_DATE_FORMAT")


@register.filter
def recipients_summary(message):
    """“Name” or “Name +2” of a sent mail's recipients (To, Cc, Bcc)."""
    people = [*message.to, *message.cc, *message.bcc]
    if not people:
        return ""
    first = people[0].get("name") or people[0].get("address", "")
    if "@" in first and people[0].get("address"):
        first = people[0]["address"]
    return first if len(people) == 1 else f"{first} +{len(people) - 1}"


@register.filter
def folder_title(folder):
    """A folder's name for people: the Inbox in the user's language, others as the server
    names them (decoded)."""
    from organizer.models import Folder

    if folder.name.upper() == "INBOX":
        return Folder.Role.INBOX.label
    return folder.display_name
