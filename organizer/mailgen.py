"""Realistic business mail, generated: for the demo (`manage.py seed_demo`), tests and benchmarks.

    generate_mailbox(n, contacts, own_address, seed=0) -> iterator of (folder_role, raw bytes)

yields `n` mails of one mailbox in date order, each with the folder role it belongs in
("inbox" or "sent"). `contacts` are (name, address) pairs or Person objects: the people the
mailbox corresponds with, most of them a lot, some rarely. What comes out looks like a German
and English business mailbox:

- mail from contacts and mail sent to them (To, Cc, sometimes Bcc), threads of replies with
  In-Reply-To and References ("AW:" / "Re:" with the earlier text quoted);
- umlauts in names, subjects, bodies and attachment names (RFC 2047 and RFC 2231 encoded, a
  few raw UTF-8 headers and ISO-8859-1 bodies as older mailers write them);
- attachments generated on the spot: small valid PDFs, CSVs and PNGs; some HTML alternatives;
- senders nobody knows, newsletters (HTML with a remote image) from `newsletters`, and bounces
  from the mailbox's own MAILER-DAEMON carrying the undelivered mail as message/rfc822.

Deterministic: the same arguments give the same bytes (dates come from `until`, never from the
clock). Fast: ten thousand mails take a few seconds, so the benchmarks can use it.
"""

import base64
import binascii
import functools
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

INBOX = "inbox"
SENT = "sent"
CRLF = "\r\n"
DEFAULT_UNTIL = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Person:
    name: str
    address: str

    @property
    def first_name(self):
        parts = [p for p in self.name.split() if not p.endswith(".")]
        return parts[0] if parts else self.address.split("@")[0].split(".")[0].title()

    @property
    def domain(self):
        return self.address.rsplit("@", 1)[-1].lower()

    @property
    def german(self):
        return self.domain.endswith((".de", ".at", ".ch"))


# Senders of mass mail; the demo's block list covers the demo's own ones.
NEWSLETTERS = (
    Person("Baustoff-Newsletter", "newsletter@news.baustoffe-direkt.example"),
    Person("Fachverband Bau", "info@mailing.fachverband-bau.example"),
)

KINDS = (
    ("incoming", 30),
    ("reply", 22),
    ("outgoing", 20),
    ("unknown", 12),
    ("newsletter", 9),
    ("outgoing_unknown", 4),
    ("bounce", 3),
)

FIRST_NAMES = (
    "Jürgen", "Anna", "Lukas", "Sabine", "Jörg", "Björn", "Özlem", "Maximilian", "Sophie",
    "Grete", "Dieter", "Ines", "Tomasz", "Søren", "Chloé", "Emily", "James", "Olivia", "Noah",
    "Ayşe", "Käthe", "Matthias", "Hannah", "Frédéric", "Lena", "Paul", "Mira",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schäfer", "Köhler", "Groß", "Weiß", "Hoffmann", "Brandt", "Krüger", "Jäger",
    "Lindqvist", "Wendt", "Öztürk", "Carter", "Smith", "Nowak", "Bäumer", "Dürr", "Vogt",
    "Albrecht", "Fischer", "Hübner", "Şahin", "Leclerc", "O'Brien",
)  # fmt: skip
UNKNOWN_DOMAINS = (
    "gmx.example", "web.example", "t-online.example", "outlook.example", "posteo.example",
    "hausverwaltung-sonnenhof.example", "architekten-kuehn.example", "ing-buero-nord.example",
    "kanzlei-wagner.example", "fliesen-oezdemir.example",
)  # fmt: skip
PROJECTS = (
    "Neubau Lindenstraße 12",
    "Sanierung Schulzentrum Süd",
    "Erweiterung Halle 3",
    "Umbau Bürogebäude Königsallee",
    "Dachsanierung Mühlenweg",
    "Riverside Office Fit-out",
    "Kita Sonnenblume, Außenanlagen",
)
SUBJECTS_DE = (
    "Angebot {nr} – {project}",
    "Rückfrage zur Rechnung {nr}",
    "Terminvorschlag Baubesprechung {project}",
    "Lieferung am {weekday}",
    "Aufmaß {project}",
    "Änderungswünsche Grundriss, {project}",
    "Bestellung {nr}",
    "Mängelanzeige {project}",
    "Zahlungserinnerung Rechnung {nr}",
    "Protokoll der Baubesprechung vom {day}",
    "Nachtrag {nr}: zusätzliche Leistungen",
    "Bitte um Rückruf",
)
SUBJECTS_EN = (
    "Quote {nr} – {project}",
    "Question about invoice {nr}",
    "Meeting next {weekday_en}",
    "Delivery schedule for {project}",
    "Project update: {project}",
    "Contract draft for review",
    "Purchase order {nr}",
    "Minutes of our call on {day}",
)
UNKNOWN_SUBJECTS = (
    "Anfrage über Ihr Kontaktformular",
    "Bewerbung als Bauleiter (m/w/d)",
    "Kostenvoranschlag für Gartenmauer?",
    "Ihr Eintrag im Branchenbuch",
    "Request for proposal",
    "Einladung: Tag der offenen Tür",
    "Frage zu Ihren Öffnungszeiten",
)
SENTENCES_DE = (
    "anbei erhalten Sie die überarbeiteten Unterlagen.",
    "wie telefonisch besprochen, schicke ich Ihnen die Übersicht der Positionen.",
    "könnten Sie mir bis Freitag eine kurze Rückmeldung geben?",
    "die Lieferung verschiebt sich leider um zwei Tage.",
    "bitte prüfen Sie die Maße im Erdgeschoss noch einmal.",
    "wir würden den Termin gern auf Donnerstag, 10 Uhr, legen.",
    "die Schlussrechnung folgt nach der Abnahme.",
    "für Rückfragen stehe ich Ihnen gern zur Verfügung.",
    "der Gerüstbauer hat bestätigt, dass er am Montag beginnt.",
    "die Mehrkosten für den Estrich belaufen sich auf 1.240,00 €.",
    "das Aufmaß ist jetzt vollständig; es fehlen nur noch die Außenanlagen.",
    "die Bauherrin wünscht eine Änderung an den Fensterbänken.",
)
SENTENCES_EN = (
    "please find the revised documents attached.",
    "as discussed on the phone, here is the overview of the items.",
    "could you let me know by Friday?",
    "the delivery is unfortunately delayed by two days.",
    "could you double-check the measurements on the ground floor?",
    "we would like to move the meeting to Thursday at 10 am.",
    "the final invoice will follow after acceptance.",
    "happy to answer any questions.",
    "the scaffolding company confirmed they start on Monday.",
)
WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def generate_mailbox(
    n,
    contacts,
    own_address,
    seed=0,
    *,
    own_name="",
    until=None,
    days=365,
    newsletters=NEWSLETTERS,
):
    """Yields `n` (folder_role, raw bytes) pairs, oldest first; see the module docstring."""
    generator = _Generator(
        contacts=[c if isinstance(c, Person) else Person(*c) for c in contacts],
        own=Person(own_name or _name_from_address(own_address), own_address),
        seed=seed,
        newsletters=[c if isinstance(c, Person) else Person(*c) for c in newsletters],
    )
    until = until or DEFAULT_UNTIL
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    for index, moment in enumerate(_moments(generator.rng, n, until, days)):
        yield generator.mail(index, moment)


def _name_from_address(address):
    local = address.split("@")[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def _moments(rng, n, until, days):
    """n ascending times within the `days` before `until`, on working days in office hours."""
    start = until - timedelta(days=days)
    moments = []
    for _ in range(n):
        day = start + timedelta(days=rng.randrange(max(days, 1)))
        if day.weekday() >= 5 and rng.random() < 0.9:
            day -= timedelta(days=day.weekday() - 4)
        local = day.astimezone(BERLIN).replace(hour=7, minute=0, second=0, microsecond=0)
        moments.append(local + timedelta(seconds=rng.randrange(11 * 3600)))
    moments.sort()
    return moments


@dataclass
class _Thread:
    subject: str
    counterpart: Person
    german: bool
    message_ids: list
    last_body: str
    last_incoming: bool
    last_date: datetime
    cc: tuple = ()


class _Generator:
    def __init__(self, *, contacts, own, seed, newsletters):
        self.rng = random.Random(seed)
        self.seed = seed
        self.contacts = contacts
        self.own = own
        self.own_domain = own.domain
        self.newsletters = newsletters
        self.threads = []
        rng = self.rng
        self.colleagues = [
            Person(f"{f} {last}", _address_for(f, last, self.own_domain))
            for f, last in ((rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for _ in range(3))
        ]
        self.kinds = [k for k, _w in KINDS]
        self.weights = [w for _k, w in KINDS]

    # -- people --

    def contact(self):
        if not self.contacts:
            return self.stranger()
        # Some contacts write a lot, most rarely: skewed towards the start of the list.
        return self.contacts[int(len(self.contacts) * self.rng.random() ** 2)]

    def stranger(self):
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        return Person(f"{first} {last}", _address_for(first, last, rng.choice(UNKNOWN_DOMAINS)))

    # -- one mail --

    def mail(self, index, moment):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "reply" and not self.threads:
            kind = "incoming"
        return getattr(self, f"make_{kind}")(index, moment)

    def message_id(self, index, moment, domain):
        return f"<{moment:%Y%m%d%H%M%S}.{self.seed & 0xFFFFFFFF:x}.{index}@{domain}>"

    def subject_for(self, german):
        rng = self.rng
        template = rng.choice(SUBJECTS_DE if german else SUBJECTS_EN)
        return template.format(
            nr=f"{rng.choice('AR')}-{rng.randrange(2024000, 2025999)}",
            project=rng.choice(PROJECTS),
            weekday=rng.choice(WEEKDAYS_DE),
            weekday_en=rng.choice(WEEKDAYS_EN),
            day=f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.",
        )

    def body_for(self, to, sender, german, quoted=None, quoted_date=None):
        rng = self.rng
        sentences = rng.sample(SENTENCES_DE if german else SENTENCES_EN, rng.randrange(2, 5))
        greeting = (
            rng.choice(("Hallo {first},", "Guten Tag {name},", "Guten Morgen {first},"))
            if german
            else rng.choice(("Hi {first},", "Dear {first},", "Hello {name},"))
        ).format(first=to.first_name, name=to.name)
        first, *rest = sentences
        text = f"{greeting}\n\n{first[0].upper()}{first[1:]}\n"
        for sentence in rest:
            text += f"{sentence[0].upper()}{sentence[1:]}\n"
        closing = "Viele Grüße" if german else "Best regards"
        text += f"\n{closing}\n{sender.name}\n"
        if sender.domain == self.own_domain:
            text += f"-- \n{sender.name}\nTel. +49 40 1234 56{rng.randrange(10, 99)}\n"
        if quoted:
            intro = "schrieb" if german else "wrote"
            when = format_datetime(quoted_date) if quoted_date else ""
            text += f"\n{when} {intro} {to.name}:\n"
            text += "".join(f"> {line}\n" for line in quoted.splitlines()[:12])
        return text

    def attachments(self, german):
        rng = self.rng
        chosen = []
        for _ in range(rng.choice((1, 1, 1, 2))):
            which = rng.randrange(3)
            number = rng.randrange(1000, 9999)
            if which == 0:
                name = f"Angebot_{number}.pdf" if german else f"Quote_{number}.pdf"
                chosen.append((name, "application/pdf", make_pdf(self.pdf_lines(german, number))))
            elif which == 1:
                name = f"Aufmaß_{number}.csv" if german else f"Measurements_{number}.csv"
                chosen.append((name, "text/csv", make_csv(rng, german)))
            else:
                name = f"Foto Baustelle {number}.png" if german else f"Site photo {number}.png"
                chosen.append((name, "image/png", make_png(rng)))
        return chosen

    def pdf_lines(self, german, number):
        rng = self.rng
        project = rng.choice(PROJECTS)
        total = rng.randrange(800, 95000)
        if german:
            return [
                f"Angebot Nr. {number}",
                f"Bauvorhaben: {project}",
                f"Gesamtbetrag netto: {total:,} EUR".replace(",", "."),
                "Gültig 30 Tage. Zahlbar ohne Abzug.",
            ]
        return [f"Quote no. {number}", f"Project: {project}", f"Total (net): EUR {total:,}"]

    # -- kinds --

    def make_incoming(self, index, moment, *, sender=None):
        rng = self.rng
        sender = sender or self.contact()
        german = sender.german
        cc = ()
        if rng.random() < 0.2:
            cc = (rng.choice(self.colleagues),)
        elif rng.random() < 0.1:
            cc = (self.contact(),)
        subject = self.subject_for(german)
        body = self.body_for(self.own, sender, german)
        attachments = self.attachments(german) if rng.random() < 0.25 else ()
        message_id = self.message_id(index, moment, sender.domain)
        raw = self.compose(
            moment, sender, [self.own], cc, (), subject, body, message_id, german, attachments
        )
        self.remember(subject, sender, german, message_id, body, True, moment, cc)
        return INBOX, raw

    def make_unknown(self, index, moment):
        sender = self.stranger()
        german = self.rng.random() < 0.7
        subject = self.rng.choice(UNKNOWN_SUBJECTS)
        body = self.body_for(self.own, sender, german)
        raw = self.compose(
            moment,
            sender,
            [self.own],
            (),
            (),
            subject,
            body,
            self.message_id(index, moment, sender.domain),
            german,
            (),
        )
        return INBOX, raw

    def make_outgoing(self, index, moment, *, recipients=None):
        rng = self.rng
        to = recipients or [self.contact()]
        if not recipients and rng.random() < 0.2:
            to.append(self.contact())
        german = to[0].german
        cc = (self.contact(),) if rng.random() < 0.2 else ()
        if rng.random() < 0.15:
            cc += (rng.choice(self.colleagues),)
        bcc = (self.contact(),) if rng.random() < 0.08 else ()
        subject = self.subject_for(german)
        body = self.body_for(to[0], self.own, german)
        attachments = self.attachments(german) if rng.random() < 0.35 else ()
        message_id = self.message_id(index, moment, self.own_domain)
        raw = self.compose(
            moment, self.own, to, cc, bcc, subject, body, message_id, german, attachments
        )
        self.remember(subject, to[0], german, message_id, body, False, moment, cc)
        return SENT, raw

    def make_outgoing_unknown(self, index, moment):
        return self.make_outgoing(index, moment, recipients=[self.stranger()])

    def make_reply(self, index, moment):
        rng = self.rng
        # Recent conversations are answered more often than old ones.
        thread = self.threads[-1 - int(len(self.threads) * rng.random() ** 3)]
        prefix = "AW: " if thread.german else "Re: "
        subject = thread.subject
        if not subject.lower().startswith(("aw:", "re:")):
            subject = prefix + subject
        incoming = not thread.last_incoming
        sender, to = (thread.counterpart, self.own) if incoming else (self.own, thread.counterpart)
        body = self.body_for(
            to, sender, thread.german, quoted=thread.last_body, quoted_date=thread.last_date
        )
        message_id = self.message_id(index, moment, sender.domain)
        attachments = self.attachments(thread.german) if rng.random() < 0.15 else ()
        raw = self.compose(
            moment,
            sender,
            [to],
            thread.cc,
            (),
            subject,
            body,
            message_id,
            thread.german,
            attachments,
            in_reply_to=thread.message_ids[-1],
            references=thread.message_ids[-10:],
        )
        thread.subject = subject
        thread.message_ids.append(message_id)
        thread.last_body, thread.last_incoming, thread.last_date = body, incoming, moment
        if len(thread.message_ids) > 6 or rng.random() < 0.2:
            self.threads.remove(thread)
        return (INBOX if incoming else SENT), raw

    def make_newsletter(self, index, moment):
        rng = self.rng
        if not self.newsletters:
            return self.make_unknown(index, moment)
        sender = rng.choice(self.newsletters)
        month = moment.strftime("%m/%Y")
        subject = rng.choice(
            (
                f"Ihr Newsletter {month}: Neuheiten für Profis",
                f"Nur diese Woche: 20 % auf Dämmstoffe ({month})",
                f"Fachinformation {month} – Änderungen der Bauordnung",
            )
        )
        text = (
            f"{subject}\n\nNeu im Sortiment: Holzfaserdämmplatten, Trockenbauprofile und "
            "Fliesenkleber.\nAbbestellen: https://unsubscribe.example/abmelden\n"
        )
        html = (
            '<html><body><table width="600"><tr><td>'
            f'<img src="https://cdn.newsletter.example/logo.png" alt="Logo" width="200">'
            f"<h1>{_html_escape(subject)}</h1>"
            "<p>Neu im Sortiment: <b>Holzfaserdämmplatten</b>, Trockenbauprofile und "
            "Fliesenkleber.</p>"
            '<p><a href="https://shop.example/angebote">Zu den Angeboten</a></p>'
            '<p style="color:#888">Abbestellen: <a href="https://unsubscribe.example/abmelden">'
            "hier klicken</a></p></td></tr></table></body></html>"
        )
        raw = self.compose(
            moment,
            sender,
            [self.own],
            (),
            (),
            subject,
            text,
            self.message_id(index, moment, sender.domain),
            True,
            (),
            html=html,
            extra=(
                ("List-Unsubscribe", "<https://unsubscribe.example/abmelden>"),
                ("Precedence", "bulk"),
            ),
        )
        return INBOX, raw

    def make_bounce(self, index, moment):
        contact = self.contact()
        original_id = self.message_id(index, moment - timedelta(minutes=3), self.own_domain)
        german = contact.german
        original = self.compose(
            moment - timedelta(minutes=3),
            self.own,
            [contact],
            (),
            (),
            self.subject_for(german),
            self.body_for(contact, self.own, german),
            original_id,
            german,
            (),
        )
        mta = f"mail.{self.own_domain}"
        daemon = Person("Mail Delivery System", f"MAILER-DAEMON@{mta}")
        boundary = f"bounce-{index}"
        text = (
            f"This is the mail system at host {mta}.\n\nI'm sorry to have to inform you that "
            "your message could not be delivered to one or more recipients.\n\n"
            f"<{contact.address}>: host mx.{contact.domain} said: 552 5.2.2 Mailbox full\n"
        ).replace("\n", CRLF)
        status = (
            f"Reporting-MTA: dns; {mta}{CRLF}{CRLF}Final-Recipient: rfc822; {contact.address}"
            f"{CRLF}Action: failed{CRLF}Status: 5.2.2{CRLF}"
        )
        head = self.headers(
            moment,
            daemon,
            [self.own],
            (),
            (),
            "Undelivered Mail Returned to Sender",
            self.message_id(index, moment, mta),
            False,
        )
        raw = (
            head
            + "MIME-Version: 1.0"
            + CRLF
            + f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"'
            + CRLF
            + CRLF
            + f"--{boundary}{CRLF}Content-Type: text/plain; charset=us-ascii{CRLF}{CRLF}{text}"
            + f"{CRLF}--{boundary}{CRLF}Content-Type: message/delivery-status{CRLF}{CRLF}{status}"
            + f"{CRLF}--{boundary}{CRLF}Content-Type: message/rfc822{CRLF}{CRLF}"
        ).encode("ascii")
        return INBOX, raw + original + f"{CRLF}--{boundary}--{CRLF}".encode("ascii")

    def remember(self, subject, counterpart, german, message_id, body, incoming, moment, cc):
        self.threads.append(
            _Thread(subject, counterpart, german, [message_id], body, incoming, moment, cc)
        )
        if len(self.threads) > 60:
            del self.threads[0]

    # -- bytes --

    def headers(self, moment, sender, to, cc, bcc, subject, message_id, german, **extra):
        raw_utf8 = self.rng.random() < 0.03  # a mailer writing RFC 6532 headers
        lines = [
            f"Date: {format_datetime(moment)}",
            f"From: {_mailbox(sender, raw_utf8)}",
            f"To: {', '.join(_mailbox(p, raw_utf8) for p in to)}",
        ]
        if cc:
            lines.append(f"Cc: {', '.join(_mailbox(p, raw_utf8) for p in cc)}")
        if bcc:
            lines.append(f"Bcc: {', '.join(_mailbox(p, raw_utf8) for p in bcc)}")
        lines.append(f"Subject: {subject if raw_utf8 else _encode_header(subject)}")
        lines.append(f"Message-ID: {message_id}")
        if extra.get("in_reply_to"):
            lines.append(f"In-Reply-To: {extra['in_reply_to']}")
            lines.append("References: " + f"{CRLF} ".join(extra["references"]))
        if german:
            lines.append("Content-Language: de-DE")
        for name, value in extra.get("extra") or ():
            lines.append(f"{name}: {value}")
        return CRLF.join(lines) + CRLF

    def compose(
        self,
        moment,
        sender,
        to,
        cc,
        bcc,
        subject,
        text,
        message_id,
        german,
        attachments,
        *,
        html=None,
        in_reply_to=None,
        references=(),
        extra=(),
    ):
        rng = self.rng
        head = self.headers(
            moment,
            sender,
            to,
            cc,
            bcc,
            subject,
            message_id,
            german,
            in_reply_to=in_reply_to,
            references=references,
            extra=extra,
        ).encode("utf-8")
        head += b"MIME-Version: 1.0\r\n"
        if html is None and rng.random() < 0.15:
            html = "".join(f"<p>{_html_escape(p)}</p>" for p in text.split("\n\n"))
            html = f"<html><body>{html}</body></html>"
        content = _text_part(text, latin1=german and rng.random() < 0.1)
        if html is not None:
            content = (
                b'Content-Type: multipart/alternative; boundary="=_alt_b"\r\n\r\n--=_alt_b\r\n'
                + content
                + b"\r\n--=_alt_b\r\n"
                + _html_part(html)
                + b"\r\n--=_alt_b--\r\n"
            )
        if not attachments:
            return head + content
        out = [
            head,
            b'Content-Type: multipart/mixed; boundary="=_mix_b"\r\n\r\n--=_mix_b\r\n',
            content,
        ]
        for name, content_type, data in attachments:
            out.append(b"\r\n--=_mix_b\r\n" + _attachment(name, content_type, data))
        out.append(b"\r\n--=_mix_b--\r\n")
        return b"".join(out)


# -- encodings ---------------------------------------------------------------------------------


def _address_for(first, last, domain):
    local = f"{first}.{last}".lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        local = local.replace(umlaut, plain)
    local = "".join(c for c in local if c.isascii() and (c.isalnum() or c in ".-"))
    return f"{local}@{domain}"


SPECIALS = set('()<>[]:;@\\,."')


def _mailbox(person, raw_utf8=False):
    name = person.name
    if not name:
        return person.address
    if not name.isascii():
        name = f'"{name}"' if raw_utf8 else _encode_header(name)
    elif SPECIALS & set(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{person.address}>"


@functools.lru_cache(maxsize=4096)
def _encode_header(text):
    """RFC 2047 encoded words (UTF-8, base64) for non-ASCII text, each under 76 characters."""
    if text.isascii():
        return text
    words = []
    while text:
        size = 15  # characters; 45 bytes of UTF-8 at most make a word of 70 characters
        while len(text[:size].encode("utf-8")) > 45:
            size -= 4
        words.append(text[:size])
        text = text[size:]
    return f"{CRLF} ".join(
        "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
    )


def _text_part(text, latin1=False):
    charset = "iso-8859-1" if latin1 else "utf-8"
    data = text.replace("\n", CRLF).encode(charset, "replace")
    return (
        f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + binascii.b2a_qp(data)


def _html_part(html):
    return (
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(html.encode("utf-8")).replace(b"\n", b"\r\n")
    )


def _attachment(name, content_type, data):
    if name.isascii():
        params = f'name="{name}"', f'filename="{name}"'
    else:
        encoded = quote(name.encode("utf-8"), safe="")
        params = f"name*=utf-8''{encoded}", f"filename*=utf-8''{encoded}"
    return (
        f"Content-Type: {content_type}; {params[0]}\r\n"
        f"Content-Disposition: attachment; {params[1]}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("ascii") + base64.encodebytes(data).replace(b"\n", b"\r\n")


def _html_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- attachment contents -------------------------------------------------------------------------


def make_pdf(lines):
    """A small valid one-page PDF showing `lines` (Latin-1 text) in Helvetica."""

    def pdf_text(value):
        data = value.encode("cp1252", "replace")
        return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    stream = b"BT /F1 12 Tf 72 770 Td 16 TL " + b" ".join(
        b"(" + pdf_text(line) + b") Tj T*" for line in lines
    )
    stream += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def make_csv(rng, german=True):
    items = (
        ("Estrich", "m²"),
        ("Trockenbauwand", "m²"),
        ("Fensterbank Naturstein", "Stk"),
        ("Dämmung Fassade", "m²"),
        ("Türzarge", "Stk"),
    )
    header = "Pos;Beschreibung;Menge;Einheit;Einzelpreis" if german else "Item;Description;Qty"
    rows = [header]
    for pos, (what, unit) in enumerate(rng.sample(items, rng.randrange(2, 5)), 1):
        amount = f"{rng.randrange(1, 400)},{rng.randrange(10)}"
        price = f"{rng.randrange(5, 300)},{rng.randrange(100):02d}"
        rows.append(f"{pos};{what};{amount};{unit};{price}" if german else f"{pos};{what};{amount}")
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


def make_png(rng, width=32, height=24):
    """A small valid PNG: two colour bands."""
    top = bytes(rng.randrange(256) for _ in range(3))
    bottom = bytes(rng.randrange(256) for _ in range(3))
    rows = b"".join(b"\x00" + (top if y < height // 2 else bottom) * width for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
