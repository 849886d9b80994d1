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
