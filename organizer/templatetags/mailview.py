"""{% mail_view mail "namespace" sent=... %}: one stored mail, shown safely (organizer.mailview)."""

from django import template

from organizer import mailview

register = template.Library()


@register.inclusion_tag("includes/_mail.html", takes_context=True)
def mail_view(context, mail, namespace, sent=False):
    values = mailview.mail_view_context(context["request"], mail, namespace, sent=sent)
    values.update(request=context["request"], csrf_token=context.get("csrf_token"))
    return values


@register.filter
def mailbox(value):
    """“Name <address>” of one stored mailbox dict, or just the address.

    A display name holding an "@" shows nothing but the real address: a name that looks like
    someone's address is the classic disguise (F08)."""
    if not value:
        return ""
    name, address = value.get("name", ""), value.get("address", "")
    if not name or not address or name == address or "@" in name:
        return address or name
    return f"{name} <{address}>"


@register.filter
def join_mailboxes(values):
    return ", ".join(mailbox(v) for v in values or ())
