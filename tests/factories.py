"""Plain factory functions: each makes one thing with sensible defaults and returns it."""

import itertools
from datetime import date

from django.contrib.auth.models import Group, User

from crm.models import Contact, Customer, EmailAddress, Invoice, Quote

_counter = itertools.count(1)


def make_user(username=None, *, crm=True, password="pw", **extra):
    """A user; with crm=True in the "Vertrieb" group (may see CRM records and their mail)."""
    username = username or f"user{next(_counter)}"
    user = User.objects.create_user(username=username, password=password, **extra)
    if crm:
        user.groups.add(Group.objects.get(name="Vertrieb"))
    return user


def make_customer(name=None, *, number=None, emails=()):
    n = next(_counter)
    customer = Customer.objects.create(name=name or f"Kunde {n}", number=number or f"K{n:05d}")
    for address in emails:
        EmailAddress.objects.create(customer=customer, address=address)
    return customer


def make_contact(first_name="", last_name=None, *, emails=(), customers=()):
    contact = Contact.objects.create(
        first_name=first_name, last_name=last_name or f"Kontakt {next(_counter)}"
    )
    for address in emails:
        EmailAddress.objects.create(contact=contact, address=address)
    if customers:
        contact.customers.add(*customers)
    return contact


def make_quote(customer=None, *, number=None, **extra):
    customer = customer or make_customer()
    return Quote.objects.create(
        customer=customer,
        number=number or f"A-{next(_counter):05d}",
        date=extra.pop("date", date(2026, 1, 15)),
        **extra,
    )


def make_invoice(customer=None, *, number=None, **extra):
    customer = customer or make_customer()
    return Invoice.objects.create(
        customer=customer,
        number=number or f"R-{next(_counter):05d}",
        date=extra.pop("date", date(2026, 1, 15)),
        **extra,
    )


def make_mail_account(owner=None, *, server=None, user=None, port=None, **extra):
    """A mail account; with `server` (the Dovecot fixture) and `user` it logs in there."""
    from organizer.models import MailAccount
    from organizer.secrets import encrypt_password

    owner = owner or make_user()
    n = next(_counter)
    password = extra.pop("password", None)
    if server is not None:
        user = user or server.add_user()
        password = password or server.passwords[user]
    values = {
        "email_address": f"{user or f'mailbox{n}'}@example.com",
        "host": "127.0.0.1",
        "port": port or (server.port if server is not None else 993),
        "security": "none",
        "login": user or f"mailbox{n}",
    }
    values.update(extra)
    return MailAccount.objects.create(
        owner=owner, password_encrypted=encrypt_password(password or "pw"), **values
    )


def make_raw_mail(
    subject="Angebot",
    *,
    sender="Mira Albrecht <mira.albrecht@example.org>",
    to="Lena Vogt <lena.vogt@example.com>",
    message_id=True,
    date="Tue, 03 Mar 2026 10:00:00 +0100",
    body="Guten Tag,\r\nanbei das Angebot.\r\n",
    headers=(),
):
    """The bytes of a small RFC 822 mail; message_id=True makes a unique one, False none."""
    n = next(_counter)
    lines = []
    if sender:
        lines.append(f"From: {sender}")
    if to:
        lines.append(f"To: {to}")
    lines.append(f"Subject: {subject}")
    if date:
        lines.append(f"Date: {date}")
    if message_id is True:
        message_id = f"<m{n}.{id(lines)}@example.org>"
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    lines += list(headers)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


def make_filed_mail(record=None, *, subject="Angebot", date=None, source="auto", **fields):
    """A filed mail (the archive's copy, no mailbox needed), filed at `record` when given."""
    from datetime import UTC, datetime

    from django.contrib.contenttypes.models import ContentType

    from archiving.models import FiledMail, Filing

    n = next(_counter)
    date = date or datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    fields.setdefault(
        "from_addresses",
        [
            {
                "name": "Mira Albrecht",
                "address": "mira@example.org",
                "normalized": "mira@example.org",
            }
        ],
    )
    fields.setdefault("author_address", "mira@example.org")
    fields.setdefault("author_name", "Mira Albrecht")
    fields.setdefault("search_addresses", "mira@example.org")
    mail = FiledMail.objects.create(
        identity=f"{n:064x}",
        fingerprint=f"{n:064x}",
        raw_path=f"raw/none/{n}.eml",
        message_id=f"<filed{n}@example.org>",
        subject=subject,
        date=date,
        **fields,
    )
    if record is not None:
        Filing.objects.create(
            filed_mail=mail,
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            mail_date=date,
            direction="in",
            source=source,
            matched_address="mira@example.org",
            matched_role="from",
            reason="sender (From) mira@example.org",
        )
    return mail
