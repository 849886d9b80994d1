"""Reads of CRM data that other apps use."""

from collections import defaultdict

from crm.models import Contact, EmailAddress

CHUNK = 2000


def records_by_address(addresses):
    """{normalized address: [Contact or Customer, ...]} for the addresses that records own.

    One indexed query per 2,000 addresses (SQLite limits the parameters of one query); records
    owning an address come back once per address, contacts before customers.
    """
    addresses = sorted(set(addresses))
    found = defaultdict(list)
    for start in range(0, len(addresses), CHUNK):
        rows = (
            EmailAddress.objects.filter(normalized__in=addresses[start : start + CHUNK])
            .select_related("contact", "customer")
            .order_by("customer_id", "contact_id", "pk")
        )
        for row in rows:
            owner = row.contact or row.customer
            if owner not in found[row.normalized]:
                found[row.normalized].append(owner)
    return dict(found)


def contacts_owning(address):
    """The contacts that own an address (normal form), for the own-address warning."""
    return list(Contact.objects.filter(email_addresses__normalized=address).distinct())
