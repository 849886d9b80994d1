"""manage.py seed_demo [--url URL] [--mails N]

The demo of `make run`: a staff login "demo" (group "Vertrieb" and the block list permission,
no superuser), a handful of customers and contacts (one contact on two customers, one address
on two contacts), a block list, and the demo user's mail account "Demo-Postfach (importiert)"
with automatic filing on and sync off (there is no IMAP server behind it), holding a few hundred
mails written by organizer.mailgen in INBOX, Sent and "Projekte/Müller & Söhne". The mail goes
in through organizer.importing like any import, so the django-q2 worker files it: the
contacts' E-Mail-Archiv tabs fill within a minute of `make run`.

Idempotent: a second run finds the user, the records, the block list and the account, and the
generated mail is the same (its dates count back from the account's creation), so the import
adds nothing.
"""

import contextlib
import os
import secrets
import tempfile
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils import timezone

from archiving import services
from crm.apps import SALES_GROUP, ensure_sales_group
from crm.importing import COLUMNS, import_contacts
from crm.models import Contact, Customer, Invoice, Quote
from crm.services import add_email_addresses, update_customer
from organizer.accounts import create_account
from organizer.importing import ImportedMail, import_messages
from organizer.mailgen import SENT, Person, generate_mailbox
from organizer.models import MailAccount, Message
from organizer.parsing import parse_message
from organizer.sync import enqueue_filing

USERNAME = "demo"
PASSWORD = "demo"
OWN_ADDRESS = "lena.vogt@vogt-bau.de"
ACCOUNT_NAME = "Demo-Postfach (importiert)"
PROJECT_FOLDER = "Projekte/Müller & Söhne"
PROJECT_DOMAIN = "mueller-soehne.de"
SEED = 2024
UNREAD = 12  # the newest mails of the Inbox stay unread

# The CRM, in the format of manage.py import_contacts. Peter Groß advises two customers (one
# contact on two rows); the purchasing mailbox einkauf@ stands on two contacts.
CONTACTS_CSV = [
    ("K-1001", "Müller & Söhne Bau GmbH", "Jürgen", "Müller", "juergen.mueller@mueller-soehne.de"),
    (
        "K-1001",
        "Müller & Söhne Bau GmbH",
        "Anna",
        "Schäfer",
        "anna.schaefer@mueller-soehne.de;einkauf@mueller-soehne.de",
    ),
    (
        "K-1001",
        "Müller & Söhne Bau GmbH",
        "Lukas",
        "Brandt",
        "lukas.brandt@mueller-soehne.de;einkauf@mueller-soehne.de",
    ),
    ("K-1001", "Müller & Söhne Bau GmbH", "Peter", "Groß", "peter.gross@gross-beratung.de"),
    ("K-1002", "Bäckerei Köhler KG", "Sabine", "Köhler", "sabine@baeckerei-koehler.de"),
    ("K-1003", "Nordlicht Logistik AG", "Sofia", "Lindqvist", "s.lindqvist@nordlicht-logistik.de"),
    ("K-1003", "Nordlicht Logistik AG", "Tomasz", "Wendt", "tomasz.wendt@nordlicht-logistik.de"),
    ("K-1003", "Nordlicht Logistik AG", "Peter", "Groß", "peter.gross@gross-beratung.de"),
    ("K-1004", "Brightwater Consulting Ltd", "Emily", "Carter", "emily.carter@brightwater.co.uk"),
    ("K-1004", "Brightwater Consulting Ltd", "James", "O'Neill", "james.oneill@brightwater.co.uk"),
    ("K-1005", "Baufachmarkt Nord GmbH", "Jana", "Kühn", "jana.kuehn@baufachmarkt-nord.de"),
]
CUSTOMER_DETAILS = {
    "K-1001": {"city": "Hamburg", "phone": "+49 40 555 1001"},
    "K-1002": {"city": "Lüneburg", "phone": "+49 4131 555 1002"},
    "K-1003": {"city": "Kiel", "phone": "+49 431 555 1003"},
    "K-1004": {"city": "Bristol", "country": "United Kingdom", "phone": "+44 117 555 1004"},
    "K-1005": {"city": "Norderstedt", "phone": "+49 40 555 1005"},
}
# A few quotes and invoices, so that mail can be filed at them by hand ("Ablegen").
DOCUMENTS = [
    ("quote", "A-2026-0101", "K-1001", "Rohbau Lindenstraße 12", "48250.00", "sent"),
    ("quote", "A-2026-0102", "K-1003", "Hallenboden Lager Kiel", "12900.00", "draft"),
    ("quote", "A-2026-0103", "K-1002", "Umbau Backstube", "7340.50", "accepted"),
    ("invoice", "R-2026-0311", "K-1001", "Abschlag 1 Rohbau", "15000.00", "open"),
    ("invoice", "R-2026-0312", "K-1004", "Beratung Q1", "2380.00", "paid"),
]
# Addresses of customers themselves (not of a person): the shop's info@ sends its newsletter.
CUSTOMER_ADDRESSES = {"K-1005": ["info@baufachmarkt-nord.de"]}
# Mass mail senders of the generated mailbox, all covered by the block list below.
NEWSLETTERS = [
    Person("Baufachmarkt Nord", "info@baufachmarkt-nord.de"),
    Person("Baustoff-Newsletter", "newsletter@news.baustoffe-direkt.example"),
]
BLOCKLIST = [
    "info@baufachmarkt-nord.de",  # an address on a customer that only sends newsletters
    "baustoffe-direkt.example",  # a domain: covers news.baustoffe-direkt.example too
    "mailer-daemon@mail.vogt-bau.de",  # bounces
]
# Who writes and gets mail in the generated mailbox: the contacts, the shared purchasing
# mailbox, and people nobody filed (mailgen adds those).
CORRESPONDENTS = list(
    {
        emails.split(";")[0]: Person(f"{first} {last}", emails.split(";")[0])
        for _number, _name, first, last, emails in CONTACTS_CSV
    }.values()
) + [Person("Einkauf Müller & Söhne", "einkauf@mueller-soehne.de")]


class Command(BaseCommand):
    help = "Creates (or finds) the demo of `make run`: a login, CRM records and a filed mailbox."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="where the web server answers"
        )
        parser.add_argument("--mails", type=int, default=300, help="mails in the demo mailbox")

    def handle(self, *args, url, mails, **options):
        url = url.rstrip("/") + "/"
        user, password_known = self.demo_user()
        customers = self.crm()
        for value in BLOCKLIST:
            try:
                services.block(value, user)
            except ValidationError as error:
                if error.code != "duplicate":
                    raise
        account = self.account(user)
        imported = self.mailbox(account, mails)
        if (
            not sum(imported.values())
            and account.messages.filter(archive_state=Message.ArchiveState.PENDING).exists()
        ):
            enqueue_filing(account.pk)  # a run stopped before the worker filed everything

        contact = Contact.objects.filter(last_name="Müller", first_name="Jürgen").first()
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Ablage demo"))
        out.write(f"  URL:       {url}")
        out.write(f"  Login:     {USERNAME}")
        if password_known:
            out.write(f"  Password:  {PASSWORD}")
        else:
            out.write("  Password:  the one you set (seed_demo leaves it alone)")
        demo_contacts = Contact.objects.filter(customers__in=customers.values()).distinct()
        out.write(
            f"  CRM:       {len(customers)} customers, {demo_contacts.count()} contacts, "
            f"{len(DOCUMENTS)} quotes and invoices"
        )
        if sum(imported.values()):
            folders = ", ".join(f"{name} {count}" for name, count in imported.items())
            out.write(
                f"  Mail:      {sum(imported.values())} generated mails imported into "
                f"“{account.display_name}” ({folders}); the worker files them now."
            )
        else:
            out.write(
                f"  Mail:      “{account.display_name}” holds its "
                f"{account.messages.count()} mails already."
            )
        if contact:
            out.write(f"  Look at:   {url.rstrip('/')}{contact.get_absolute_url()} › E-Mail-Archiv")
        out.write("")

    def demo_user(self):
        ensure_sales_group(sender=None)
        user, created = User.objects.get_or_create(
            username=USERNAME,
            defaults={
                "first_name": "Lena",
                "last_name": "Vogt",
                "email": OWN_ADDRESS,
                "is_staff": True,
            },
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=SALES_GROUP))
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="archiving", codename="manage_blocklist")
        )
        return user, user.check_password(PASSWORD)

    def crm(self):
        with tempfile.TemporaryDirectory(prefix="ablage-demo-") as folder:
            path = os.path.join(folder, "contacts.csv")
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(",".join(COLUMNS) + "\n")
                for row in CONTACTS_CSV:
                    fh.write(",".join(_csv_field(value) for value in row) + "\n")
            report = import_contacts(path)
        if report.skipped:
            raise RuntimeError(f"the demo CRM has bad rows: {report.skipped}")
        customers = {c.number: c for c in Customer.objects.filter(number__in=CUSTOMER_DETAILS)}
        for number, details in CUSTOMER_DETAILS.items():
            customer = customers[number]
            missing = {k: v for k, v in details.items() if not getattr(customer, k)}
            if missing:
                update_customer(customer, **missing)
        for number, addresses in CUSTOMER_ADDRESSES.items():
            for address in addresses:
                with contextlib.suppress(ValidationError):  # the customer has it already
                    add_email_addresses(customers[number], [address])
        for kind, number, customer, title, total, status in DOCUMENTS:
            model = Quote if kind == "quote" else Invoice
            model.objects.get_or_create(
                number=number,
                defaults={
                    "customer": customers[customer],
                    "date": timezone.localdate(),
                    "title": title,
                    "total": Decimal(total),
                    "status": status,
                },
            )
        return customers

    def account(self, user):
        account = MailAccount.objects.filter(owner=user, email_address=OWN_ADDRESS).first()
        if account is not None:
            return account
        return create_account(
            user,
            password=secrets.token_urlsafe(24),  # no server behind it; nobody needs to know it
            display_name=ACCOUNT_NAME,
            email_address=OWN_ADDRESS,
            # .invalid never resolves (RFC 2606): "Test connection" says so plainly.
            host="imap.vogt-bau.invalid",
            port=993,
            security=MailAccount.Security.SSL,
            login=OWN_ADDRESS,
            sync_enabled=False,
            auto_archive=True,
        )

    def mailbox(self, account, count):
        """Imports the generated mail; returns {folder: mails imported now}."""
        folders = {"INBOX": [], "Sent": [], PROJECT_FOLDER: []}
        generated = generate_mailbox(
            count,
            CORRESPONDENTS,
            OWN_ADDRESS,
            seed=SEED,
            own_name="Lena Vogt",
            # Dates count back from the account's creation: the same mail on every run.
            until=account.created_at - timedelta(minutes=5),
            days=180,
            newsletters=NEWSLETTERS,
        )
        for role, raw in generated:
            if role == SENT:
                folders["Sent"].append(raw)
            elif _sender_domain(raw) == PROJECT_DOMAIN:
                folders[PROJECT_FOLDER].append(raw)  # as a mail rule of the user would sort it
            else:
                folders["INBOX"].append(raw)
        imported = Counter()
        for name, raws in folders.items():
            unread_from = len(raws) - UNREAD if name == "INBOX" else len(raws)
            mails = (
                ImportedMail(raw, ("\\Seen",) if index < unread_from else ())
                for index, raw in enumerate(raws)
            )
            result = import_messages(account, name, mails)
            if result.imported:
                imported[name] = result.imported
        return imported


def _csv_field(value):
    return f'"{value}"' if "," in value or '"' in value else value


def _sender_domain(raw):
    author = parse_message(raw).author
    return author.address.rsplit("@", 1)[-1].lower() if author else ""
