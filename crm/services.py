"""Writes to the CRM: the one path used by views, the admin and the contact import.

Every change that gives a record an address it did not own before (a new address, a contact
attached to a customer) ends by sending `crm.signals.addresses_added` once the transaction has
committed, so that apps above the CRM (archiving) can file existing mail retroactively. The
services return how many mails the receivers filed: the number is known when the caller runs in
autocommit (views, the import); inside a caller's transaction the signal goes out on its commit
and the service returns 0.
"""

import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm.addresses import MAX_ADDRESS_LENGTH, AddressTooLong, InvalidAddress, normalize_address
from crm.models import Contact, Customer, EmailAddress
from crm.signals import addresses_added

logger = logging.getLogger(__name__)

ContactCustomer = Contact.customers.through


def announce_addresses_added(*, contact_ids=(), customer_ids=(), addresses=(), sender=None):
    """Send addresses_added after the current transaction commits; the mails the receivers filed.

    Called directly only by bulk writers (the import) that made their rows themselves.
    """
    contact_ids, customer_ids = sorted(set(contact_ids)), sorted(set(customer_ids))
    addresses = sorted(set(addresses))
    if not addresses or not (contact_ids or customer_ids):
        return 0
    filed = []

    def send():
        responses = addresses_added.send_robust(
            sender=sender or EmailAddress,
            contact_ids=contact_ids,
            customer_ids=customer_ids,
            addresses=addresses,
        )
        total = 0
        for receiver, response in responses:
            if isinstance(response, Exception):
                # The CRM change is committed and stays; a failing receiver must not turn it
                # into an error page. Its own logs and retries are its business.
                logger.error(
                    "addresses_added receiver %r failed",
                    receiver,
                    exc_info=(type(response), response, response.__traceback__),
                )
            elif isinstance(response, int):
                total += response
        filed.append(total)

    # Runs at once in autocommit, otherwise when the outermost transaction commits.
    transaction.on_commit(send)
    return filed[0] if filed else 0


def clean_address(address):
    """The address as written (trimmed) and its normal form; ValidationError when invalid."""
    address = (address or "").strip()
    try:
        if len(address) > MAX_ADDRESS_LENGTH:
            raise AddressTooLong(address)
        return address, normalize_address(address)
    except AddressTooLong:
        raise ValidationError(
            _("“%(address)s” is longer than an e-mail address may be (%(limit)d characters).")
            % {"address": address, "limit": MAX_ADDRESS_LENGTH},
            code="too_long",
        ) from None
    except InvalidAddress:
        raise ValidationError(
            _("“%(address)s” is not a valid e-mail address.") % {"address": address},
            code="invalid",
        ) from None


def _owner_fields(record):
    if isinstance(record, Contact):
        return {"contact": record}
    if isinstance(record, Customer):
        return {"customer": record}
    raise TypeError(f"e-mail addresses belong to contacts or customers, not {record!r}")


def _duplicate_error(record, address):
    return ValidationError(
        _("%(record)s already has the address “%(address)s”.")
        % {"record": record, "address": address},
        code="duplicate",
    )


def add_email_addresses(record, addresses: Iterable[str]):
    """Add addresses to a contact or customer; the number of mails filed retroactively.

    All or nothing: an invalid address, or one the record already owns (in any spelling),
    raises ValidationError and adds none of them.
    """
    owner = _owner_fields(record)
    cleaned = {}
    for address in addresses:
        written, normalized = clean_address(address)
        if normalized in cleaned:
            raise _duplicate_error(record, written)
        cleaned[normalized] = written
    if not cleaned:
        return 0
    existing = EmailAddress.objects.filter(**owner, normalized__in=list(cleaned))
    owned = existing.values_list("normalized", flat=True).first()
    if owned:
        raise _duplicate_error(record, cleaned[owned])
    try:
        with transaction.atomic():
            for written in cleaned.values():
                EmailAddress.objects.create(**owner, address=written)
    except IntegrityError:
        # Another request added one of them between the check and the insert.
        raise _duplicate_error(record, ", ".join(cleaned.values())) from None
    return _announce_for(record, cleaned)


def check_address_is_new(record, address):
    """ValidationError when the address is invalid or the record owns it already (any spelling)."""
    written, normalized = clean_address(address)
    if EmailAddress.objects.filter(**_owner_fields(record), normalized=normalized).exists():
        raise _duplicate_error(record, written)


def add_email_address(record, address):
    """Add one address to a contact or customer; the number of mails filed retroactively."""
    return add_email_addresses(record, [address])


def change_email_address(email_address, address):
    """Correct the spelling of an address. A new normal form counts as a newly added address."""
    written, normalized = clean_address(address)
    record = email_address.owner
    if normalized == email_address.normalized:
        if written != email_address.address:
            email_address.address = written
            email_address.save(update_fields=["address", "normalized"])
        return 0
    if (
        EmailAddress.objects.filter(**_owner_fields(record), normalized=normalized)
        .exclude(pk=email_address.pk)
        .exists()
    ):
        raise _duplicate_error(record, written)
    email_address.address = written
    try:
        with transaction.atomic():
            email_address.save(update_fields=["address", "normalized"])
    except IntegrityError:
        raise _duplicate_error(record, written) from None
    return _announce_for(record, {normalized: written})


def remove_email_address(email_address):
    """Remove an address from its record. Mail already filed stays filed; nothing is sent."""
    email_address.delete()


def _announce_for(record, normalized_addresses):
    if isinstance(record, Contact):
        return announce_addresses_added(contact_ids=[record.pk], addresses=normalized_addresses)
    return announce_addresses_added(customer_ids=[record.pk], addresses=normalized_addresses)


def attach_contact_to_customer(contact, customer):
    """Attach a contact to a customer; the number of mails filed retroactively.

    The customer now reaches the contact's addresses, so they are announced as added for both.
    Raises ValidationError when the contact is attached already.
    """
    try:
        with transaction.atomic():
            _link, created = ContactCustomer.objects.get_or_create(
                contact=contact, customer=customer
            )
    except IntegrityError:
        created = False
    if not created:
        raise ValidationError(
            _("%(contact)s is already attached to %(customer)s.")
            % {"contact": contact, "customer": customer},
            code="duplicate",
        )
    addresses = contact.email_addresses.values_list("normalized", flat=True)
    return announce_addresses_added(
        contact_ids=[contact.pk],
        customer_ids=[customer.pk],
        addresses=list(addresses),
        sender=ContactCustomer,
    )


def detach_contact_from_customer(contact, customer):
    """Detach a contact from a customer. Nothing is sent: removing never files anything."""
    ContactCustomer.objects.filter(contact=contact, customer=customer).delete()


def _apply(instance, fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


def create_customer(*, addresses=(), **fields):
    """A new customer, with its addresses. Returns (customer, mails filed)."""
    with transaction.atomic():
        customer = _apply(Customer(), fields)
    filed = add_email_addresses(customer, addresses) if addresses else 0
    return customer, filed


def update_customer(customer, **fields):
    return _apply(customer, fields)


def create_contact(*, addresses=(), customers=(), **fields):
    """A new contact with its addresses, attached to customers. Returns (contact, mails filed).

    The addresses are validated before anything is written, and the whole change is one
    announcement: a new contact is one event for the archive, however many addresses it has.
    """
    cleaned = {}
    for address in addresses:
        written, normalized = clean_address(address)
        cleaned.setdefault(normalized, written)
    with transaction.atomic():
        contact = _apply(Contact(), fields)
        for written in cleaned.values():
            EmailAddress.objects.create(contact=contact, address=written)
        ContactCustomer.objects.bulk_create(
            [ContactCustomer(contact=contact, customer=customer) for customer in customers]
        )
    filed = announce_addresses_added(
        contact_ids=[contact.pk],
        customer_ids=[customer.pk for customer in customers],
        addresses=list(cleaned),
    )
    return contact, filed


def update_contact(contact, **fields):
    return _apply(contact, fields)
