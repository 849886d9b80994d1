from django import template
from django.utils.translation import gettext_lazy as _

from crm.addresses import display_address

register = template.Library()

ROLE_LABELS = {
    "from": _("sender"),
    "sender": _("sender (Sender header, From missing)"),
    "to": _("recipient (To)"),
    "cc": _("recipient (Cc)"),
    "bcc": _("recipient (Bcc)"),
}


@register.filter
def role_label(role):
    return ROLE_LABELS.get(role, role)


@register.filter
def mailbox_label(mailbox):
    """“Name <address>” of one stored mailbox dict, or just the address."""
    if not mailbox:
        return ""
    name, address = mailbox.get("name", ""), mailbox.get("address", "")
    return f"{name} <{address}>" if name and name != address else address


@register.simple_tag
def counterpart(mail, direction):
    """Who the mail is from (incoming) or to (outgoing), for one line of a list."""
    if direction == "out":
        people = list(mail.to) + list(mail.cc) + list(mail.bcc)
        if not people:
            return ""
        first = people[0].get("name") or people[0].get("address", "")
        return first if len(people) == 1 else f"{first} +{len(people) - 1}"
    return mail.author_name or mail.author_address


@register.filter
def record_kind(record):
    return record._meta.verbose_name if record is not None else ""


@register.filter
def unicode_address(value):
    """bernd@xn--hbner-kva.example.de as bernd@hübner.example.de."""
    return display_address(value or "")
