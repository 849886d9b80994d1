"""What the benchmark works on: a generated mailbox and a CRM of 100,000 contacts.

The mailbox comes from organizer.mailgen (German and English business mail with threads,
attachments, HTML alternatives, newsletters and bounces). Its correspondents are MAIL_CONTACTS
people; every other one of them is a CRM contact, so that about a third of the mail is from or
to a contact and gets filed. The rest of the CRM is filler that no mail mentions.
"""

import random

from organizer.mailgen import Person, generate_mailbox

OWN = Person("Lena Vogt", "lena.vogt@ablage-bench.example")
MAIL_CONTACTS = 400
FIRST = ("Jürgen", "Anna", "Lukas", "Sabine", "Jörg", "Özlem", "Sophie", "Tomasz", "Emily", "Paul")
LAST = ("Müller", "Schäfer", "Köhler", "Groß", "Weiß", "Krüger", "Öztürk", "Carter", "Nowak")
COMPANIES = 120
CONTACTS_PER_CUSTOMER = 5


def mail_contacts():
    """The people the mailbox corresponds with (deterministic)."""
    rng = random.Random(20260101)
    people = []
    for index in range(MAIL_CONTACTS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = index % COMPANIES
        tld = "de" if company % 3 else "com"
        local = f"{first}.{last}{index}".lower()
        for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
            local = local.replace(umlaut, plain)
        people.append(Person(f"{first} {last}", f"{local}@firma{company}.example.{tld}"))
    return people


def in_crm(index):
    """Whether the mail contact with this index is a CRM contact."""
    return index % 2 == 0


def mailbox(n, seed):
    """{"INBOX": [raw, ...], "Sent": [raw, ...]}: n generated mails of one mailbox."""
    folders = {"INBOX": [], "Sent": []}
    for role, raw in generate_mailbox(n, mail_contacts(), OWN.address, seed, own_name=OWN.name):
        folders["Sent" if role == "sent" else "INBOX"].append(raw)
    return folders


def seed_crm(total_contacts):
    """Creates `total_contacts` contacts with one address each (the mail contacts among them),
    and customers of CONTACTS_PER_CUSTOMER contacts each. Returns the number of contacts."""
    from crm.addresses import normalize_address
    from crm.models import Contact, Customer, EmailAddress

    people = [p for i, p in enumerate(mail_contacts()) if in_crm(i)]
    filler = max(0, total_contacts - len(people))
    addresses = [p.address for p in people]
    names = [tuple(p.name.split(" ", 1)) for p in people]
    for index in range(filler):
        addresses.append(f"kontakt{index}@kunde{index % 20000}.example.net")
        names.append((FIRST[index % len(FIRST)], f"{LAST[index % len(LAST)]} {index}"))
    batch = 5000
    for start in range(0, len(addresses), batch):
        contacts = Contact.objects.bulk_create(
            [Contact(first_name=f, last_name=last) for f, last in names[start : start + batch]]
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(contact=c, address=a, normalized=normalize_address(a))
                for c, a in zip(contacts, addresses[start : start + batch], strict=True)
            ]
        )
        customers = Customer.objects.bulk_create(
            [
                Customer(number=f"K-{start + i:06d}", name=f"Kunde {start + i}")
                for i in range(0, len(contacts), CONTACTS_PER_CUSTOMER)
            ]
        )
        link = Contact.customers.through
        link.objects.bulk_create(
            [
                link(contact_id=c.pk, customer_id=customers[i // CONTACTS_PER_CUSTOMER].pk)
                for i, c in enumerate(contacts)
            ]
        )
    return len(addresses)
