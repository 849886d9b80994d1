"""The contact import: a CSV of customers and their contacts, applied idempotently.

File: UTF-8 (a byte order mark and CRLF line ends are fine) with the header
`customer_number,customer_name,first_name,last_name,emails`; `emails` holds addresses separated
by `;`. One row says "this person, with these addresses, is a contact of this customer".

Which contact a row means (the identity rule). A row names an existing contact (or one an
earlier row of the same file created) when first and last name are equal (ignoring case and
surplus spaces) AND that contact either
  1. owns at least one of the row's addresses (in normal form), or
  2. is attached to the row's customer.
Otherwise the row creates a new contact. Several candidates: rule 1 before rule 2, then the
oldest. So a person on several rows (one per customer) stays one contact attached to several
customers, while two people who share an address (a team mailbox) stay two contacts, and
running the file again finds every contact it created.

What a row changes: it creates the customer when its number is new (with `customer_name`; an
existing customer keeps its name), creates or finds the contact, adds the row's addresses the
contact does not own yet and attaches it to the customer. It never removes or renames anything.
A row with an invalid address, or without customer number or last name, is skipped whole.

The writes are a few bulk queries in one transaction; afterwards crm.services announces the new
addresses and links once (crm.signals.addresses_added), so retroactive filing runs as for edits
in the UI.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from crm import services
from crm.addresses import InvalidAddress, normalize_address
from crm.models import Contact, Customer, EmailAddress

COLUMNS = ("customer_number", "customer_name", "first_name", "last_name", "emails")
CHUNK = 2000

ContactCustomer = Contact.customers.through


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not UTF-8, wrong header)."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # [(line number, reason)]
    mails_filed: int = 0


@dataclass
class Row:
    line: int
    customer_number: str
    customer_name: str
    first_name: str
    last_name: str
    addresses: dict  # {normal form: as written}


class SkipRow(Exception):
    pass


class ContactState:
    """A contact as the import sees it: existing or about to be created, with what it owns."""

    def __init__(self, contact, addresses=(), customer_numbers=()):
        self.contact = contact
        self.addresses = set(addresses)
        self.customer_numbers = set(customer_numbers)
        self.new_addresses = {}  # {normal form: as written}
        self.new_customer_numbers = set()

    @property
    def is_new(self):
        return self.contact.pk is None


def name_key(first_name, last_name):
    return (" ".join(first_name.split()).casefold(), " ".join(last_name.split()).casefold())


def read_rows(path):
    """(rows, skipped) from a file; ImportFileError when the file as a whole is unusable."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFileError(f"{path} is not UTF-8 (line {line})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise ImportFileError(
            f"the header must be {','.join(COLUMNS)}, not {','.join(header) or '(empty)'}"
        )
    rows, skipped = [], []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # a field of over 128 KiB, for one
            raise ImportFileError(f"line {reader.line_num}: {error}") from None
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        try:
            rows.append(parse_row(line, values))
        except SkipRow as reason:
            skipped.append((line, str(reason)))
    return rows, skipped


def _limit(value, model, field_name, label):
    max_length = model._meta.get_field(field_name).max_length
    if len(value) > max_length:
        raise SkipRow(f"{label} is longer than {max_length} characters")
    return value


def parse_row(line, values):
    if len(values) != len(COLUMNS):
        raise SkipRow(f"has {len(values)} fields instead of {len(COLUMNS)}")
    if any("\x00" in value for value in values):
        raise SkipRow("contains a NUL character")
    number, customer_name, first_name, last_name, emails = (v.strip() for v in values)
    if not number:
        raise SkipRow("customer number is missing")
    if not last_name:
        raise SkipRow("last name is missing")
    addresses = {}
    for written in (part.strip() for part in emails.split(";")):
        if not written:
            continue
        try:
            normalized = normalize_address(written)
        except InvalidAddress:
            raise SkipRow(f"“{written}” is not a valid e-mail address") from None
        _limit(written, EmailAddress, "address", f"address “{written[:40]}…”")
        addresses.setdefault(normalized, written)
    return Row(
        line=line,
        customer_number=_limit(number, Customer, "number", "customer number"),
        customer_name=_limit(" ".join(customer_name.split()), Customer, "name", "customer name"),
        first_name=_limit(" ".join(first_name.split()), Contact, "first_name", "first name"),
        last_name=_limit(" ".join(last_name.split()), Contact, "last_name", "last name"),
        addresses=addresses,
    )


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class Plan:
    """What the rows change, worked out in memory against the CRM's current state."""

    def __init__(self, rows):
        self.customers = {}  # number -> Customer (pk None: to create)
        self.contacts = defaultdict(list)  # name key -> [ContactState]
        self._load(rows)

    def _load(self, rows):
        numbers = {row.customer_number for row in rows}
        for chunk in _chunks(numbers):
            for customer in Customer.objects.filter(number__in=chunk).only("pk", "number"):
                self.customers[customer.number] = customer
        keys = {name_key(row.first_name, row.last_name) for row in rows}
        states = {}
        for contact in Contact.objects.only("pk", "first_name", "last_name").order_by("pk"):
            key = name_key(contact.first_name, contact.last_name)
            if key in keys:
                states[contact.pk] = ContactState(contact)
                self.contacts[key].append(states[contact.pk])
        for chunk in _chunks(states):
            pairs = EmailAddress.objects.filter(contact_id__in=chunk).values_list(
                "contact_id", "normalized"
            )
            for contact_id, normalized in pairs:
                states[contact_id].addresses.add(normalized)
            links = ContactCustomer.objects.filter(contact_id__in=chunk).values_list(
                "contact_id", "customer__number"
            )
            for contact_id, number in links:
                states[contact_id].customer_numbers.add(number)

    def find_contact(self, row):
        candidates = self.contacts[name_key(row.first_name, row.last_name)]
        for state in candidates:
            if state.addresses & row.addresses.keys():
                return state
        for state in candidates:
            if row.customer_number in state.customer_numbers:
                return state
        return None

    def apply(self, row):
        """'created', 'updated' or 'unchanged'; raises SkipRow."""
        if row.customer_number not in self.customers:
            if not row.customer_name:
                raise SkipRow(
                    f"customer {row.customer_number} does not exist and the row has no "
                    "customer name"
                )
            self.customers[row.customer_number] = Customer(
                number=row.customer_number, name=row.customer_name
            )
        state = self.find_contact(row)
        outcome = "unchanged"
        if state is None:
            state = ContactState(Contact(first_name=row.first_name, last_name=row.last_name))
            self.contacts[name_key(row.first_name, row.last_name)].append(state)
            outcome = "created"
        for normalized, written in row.addresses.items():
            if normalized not in state.addresses:
                state.addresses.add(normalized)
                state.new_addresses[normalized] = written
                outcome = outcome if outcome == "created" else "updated"
        if row.customer_number not in state.customer_numbers:
            state.customer_numbers.add(row.customer_number)
            state.new_customer_numbers.add(row.customer_number)
            outcome = outcome if outcome == "created" else "updated"
        return outcome

    def states(self):
        return [state for states in self.contacts.values() for state in states]

    def write(self):
        """Create what the plan needs; (contact ids, customer ids, addresses) to announce."""
        new_customers = [c for c in self.customers.values() if c.pk is None]
        Customer.objects.bulk_create(new_customers, batch_size=500)
        changed = [s for s in self.states() if s.new_addresses or s.new_customer_numbers]
        Contact.objects.bulk_create([s.contact for s in changed if s.is_new], batch_size=500)
        addresses = [
            EmailAddress(contact_id=s.contact.pk, address=written, normalized=normalized)
            for s in changed
            for normalized, written in s.new_addresses.items()
        ]
        links = [
            ContactCustomer(contact_id=s.contact.pk, customer_id=self.customers[number].pk)
            for s in changed
            for number in s.new_customer_numbers
        ]
        # ignore_conflicts: a concurrent edit that added the same address or link wins quietly.
        EmailAddress.objects.bulk_create(addresses, batch_size=500, ignore_conflicts=True)
        ContactCustomer.objects.bulk_create(links, batch_size=500, ignore_conflicts=True)
        announced = set()
        for s in changed:
            # A newly attached customer reaches all of the contact's addresses, not only new ones.
            announced |= s.addresses if s.new_customer_numbers else s.new_addresses.keys()
        customer_ids = {self.customers[n].pk for s in changed for n in s.new_customer_numbers}
        return [s.contact.pk for s in changed], customer_ids, announced


def import_contacts(path, *, dry_run=False):
    """Apply a contact CSV to the CRM; an ImportReport. Raises ImportFileError."""
    rows, skipped = read_rows(path)
    report = ImportReport(skipped=skipped)
    plan = Plan(rows)
    for row in rows:
        try:
            outcome = plan.apply(row)
        except SkipRow as reason:
            report.skipped.append((row.line, str(reason)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    report.skipped.sort()
    if dry_run:
        return report
    with transaction.atomic():
        contact_ids, customer_ids, addresses = plan.write()
    report.mails_filed = services.announce_addresses_added(
        contact_ids=contact_ids, customer_ids=customer_ids, addresses=addresses
    )
    return report
