"""Reads of CRM data that other apps use."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from crm.addresses import address_search_forms, normalize_address
from crm.models import Contact, Customer, EmailAddress, Invoice, Quote

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
            # Contacts (no customer_id) first: NULLs sort first on SQLite but last on PostgreSQL.
            .order_by(F("customer_id").asc(nulls_first=True), "contact_id", "pk")
        )
        for row in rows:
            owner = row.contact or row.customer
            if owner not in found[row.normalized]:
                found[row.normalized].append(owner)
    return dict(found)


def owned_by_a_record(address_field):
    """A condition on another model: its `address_field` (a normal form) is an address that
    a contact or customer owns. One indexed lookup per row."""
    return Exists(EmailAddress.objects.filter(normalized=OuterRef(address_field)))


def contacts_owning(address):
    """The contacts that own an address (normal form), for the own-address warning."""
    return list(Contact.objects.filter(email_addresses__normalized=address).distinct())


def email_address_of(record, address):
    """A record's EmailAddress row for an address in any spelling (DoesNotExist if none)."""
    field = "contact" if isinstance(record, Contact) else "customer"
    return EmailAddress.objects.get(**{field: record}, normalized=normalize_address(address))


# Search: one text field `q` finds records by name, number and e-mail address.


def _address_condition(text):
    """Q on EmailAddress rows whose address (as written or normal form) contains the text."""
    condition = Q(address__icontains=text)
    for form in address_search_forms(text):
        condition |= Q(normalized__contains=form)
    return condition


def _owns_matching_address(text, **owner):
    return Exists(EmailAddress.objects.filter(_address_condition(text), **owner))


def _name_condition(text):
    """Every word in the first or the last name: "jim homco" finds Jim Homco."""
    condition = Q()
    for word in text.split():
        condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return condition


def customers_matching(text=""):
    """Customers for the list: by name, number, own addresses or their contacts' addresses."""
    customers = Customer.objects.all()
    text = text.strip()
    if text:
        customers = customers.filter(
            Q(name__icontains=text)
            | Q(number__icontains=text)
            | _owns_matching_address(text, customer=OuterRef("pk"))
            | _owns_matching_address(text, contact__customers=OuterRef("pk"))
        )
    # A subquery, not Count("contacts"): no GROUP BY, and the paginator's count stays plain.
    links = (
        Contact.customers.through.objects.filter(customer=OuterRef("pk"))
        .values("customer")
        .annotate(n=Count("*"))
        .values("n")
    )
    return customers.annotate(contact_count=Coalesce(Subquery(links), 0)).prefetch_related(
        Prefetch("email_addresses", EmailAddress.objects.order_by("pk"))
    )


def contacts_matching(text=""):
    """Contacts for the list: by name, own addresses, or their customers' number or name."""
    contacts = Contact.objects.all()
    text = text.strip()
    if text:
        customer_matches = Customer.objects.filter(
            Q(number__icontains=text) | Q(name__icontains=text), contacts=OuterRef("pk")
        )
        contacts = contacts.filter(
            _name_condition(text)
            | _owns_matching_address(text, contact=OuterRef("pk"))
            | Exists(customer_matches)
        )
    return contacts.prefetch_related(
        Prefetch("email_addresses", EmailAddress.objects.order_by("pk")),
        Prefetch("customers", Customer.objects.only("pk", "name", "number")),
    )


def _documents_matching(model, text):
    documents = model.objects.select_related("customer")
    text = text.strip()
    if text:
        documents = documents.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(customer__number__icontains=text)
            | Q(customer__name__icontains=text)
            | _owns_matching_address(text, customer=OuterRef("customer_id"))
        )
    return documents


def quotes_matching(text=""):
    return _documents_matching(Quote, text)


def invoices_matching(text=""):
    return _documents_matching(Invoice, text)


@dataclass(frozen=True)
class RecordHit:
    """One search hit, enough to show it and to file a mail on it (content type + object id)."""

    content_type_id: int
    object_id: int
    kind: str  # the model name: customer, contact, quote, invoice
    kind_label: str
    label: str
    detail: str
    url: str


SEARCHABLE = {
    "customer": customers_matching,
    "contact": contacts_matching,
    "quote": quotes_matching,
    "invoice": invoices_matching,
}


def _hit_detail(record):
    if isinstance(record, Customer):
        return ", ".join(a.address for a in record.email_addresses.all())
    if isinstance(record, Contact):
        parts = [c.name for c in record.customers.all()]
        parts += [a.address for a in record.email_addresses.all()]
        return ", ".join(parts)
    return f"{record.customer.name} · {record.date:%d.%m.%Y}"


def record_label(record):
    """A record's name beside a badge of its kind: a quote is "A-2026-01 Umbau", not
    "Angebot A-2026-01" after a badge that says "Angebot" already."""
    if isinstance(record, Customer | Contact):
        return str(record)
    return f"{record.number} {record.title}".strip()


def search_records(text, kinds=SEARCHABLE, limit=10):
    """Records of the given kinds (model names) matching the text: up to `limit` per kind."""
    text = text.strip()
    if not text:
        return []
    hits = []
    for kind in kinds:
        records = list(SEARCHABLE[kind](text)[:limit])
        if not records:
            continue
        model = type(records[0])
        content_type = ContentType.objects.get_for_model(model)
        hits += [
            RecordHit(
                content_type_id=content_type.pk,
                object_id=record.pk,
                kind=kind,
                kind_label=str(model._meta.verbose_name),
                label=record_label(record),
                detail=_hit_detail(record),
                url=record.get_absolute_url(),
            )
            for record in records
        ]
    return hits
