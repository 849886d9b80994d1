"""The whole UI is German by default (no Accept-Language, no cookie) with the names users know
from the help article, English on request; the committed catalogues are complete and compiled."""

import gettext
import html
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from organizer import imap
from organizer.imap import ImapError
from organizer.sync import sync_account
from tests.archiving.filed_mail_data import html_mail
from tests.factories import (
    make_contact,
    make_customer,
    make_filed_mail,
    make_mail_account,
    make_user,
)
from tests.organizer.mailbox_data import make_folder, put_mail

LOCALE = Path(__file__).resolve().parents[1] / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>")


# -- the catalogues -------------------------------------------------------------------------------


def po_entries(path):
    """(msgid, msgid_plural, [msgstr, ...], fuzzy, [source, ...]) of every entry but the header."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"((?:\n".*")*)', block, re.M)
        if not msgid:
            continue
        text = msgid.group(1) + "".join(re.findall(r'"(.*)"', msgid.group(2)))
        if not text:
            continue
        plural = re.search(r'^msgid_plural "(.*)"((?:\n".*")*)', block, re.M)
        plural = plural.group(1) + "".join(re.findall(r'"(.*)"', plural.group(2))) if plural else ""
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        values = [first + "".join(re.findall(r'"(.*)"', rest)) for first, rest in strings]
        head = block.split("\nmsgid")[0]
        sources = " ".join(re.findall(r"^#: (.*)$", head, re.M)).split()
        entries.append((text, plural, values, "fuzzy" in head, sources))
    return entries


GERMAN = po_entries(LOCALE / "de" / "LC_MESSAGES" / "django.po")


def test_every_german_text_of_the_product_is_translated_and_none_is_fuzzy():
    assert len(GERMAN) > 400
    untranslated = [msgid for msgid, _p, values, _f, _s in GERMAN if not all(values)]
    fuzzy = [msgid for msgid, _p, _v, is_fuzzy, _s in GERMAN if is_fuzzy]
    assert untranslated == [] and fuzzy == []


def test_german_texts_keep_every_placeholder_and_tag_and_plurals_have_two_forms():
    for msgid, plural, values, _fuzzy, _sources in GERMAN:
        assert len(values) == (2 if plural else 1), msgid
        for value in values:
            assert sorted(PLACEHOLDER.findall(value)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_the_german_catalogue_says_kontakt_as_weclapp_does():
    texts = " ".join(value for entry in GERMAN for value in entry[2])
    assert "Ansprechpartner" not in texts
    assert "Kontakt" in texts


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_committed_mo_is_compiled_from_the_po(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    for msgid, _plural, values, _fuzzy, _sources in po_entries(folder / "django.po"):
        msgid = msgid.replace('\\"', '"')
        if values and values[0] and "\\" not in msgid:
            expected = values[0].replace('\\"', '"')
            assert catalog._catalog.get(msgid, catalog._catalog.get((msgid, 0))) == expected, msgid


# -- the pages ----------------------------------------------------------------------------------

# English texts of the catalogue that differ in German: none may show on a German page.
ENGLISH_SENTENCES = sorted(
    {
        msgid
        for msgid, _plural, values, _fuzzy, _sources in GERMAN
        if " " in msgid and "%(" not in msgid and "<" not in msgid and values[0] != msgid
    },
    key=len,
    reverse=True,
)


def english_left_in(page):
    text = html.unescape(page)
    return [msgid for msgid in ENGLISH_SENTENCES if msgid in text]


@pytest.fixture
def world(owner):
    """A customer with a contact, a filed mail at the contact, and the owner's mail account with
    Automatische Ablage, an Inbox and a mail with an external picture."""
    customer = make_customer("Hübner Bau GmbH", emails=["info@huebner-bau.example.de"])
    contact = make_contact(
        "Mira", "Albrecht", emails=["mira.albrecht@example.org"], customers=[customer]
    )
    make_filed_mail(contact, subject="Angebot Dachsanierung")
    account = make_mail_account(
        owner, email_address="lena.vogt@example.com", host="192.0.2.1", auto_archive=True
    )
    inbox = make_folder(account, "INBOX")
    (message,) = put_mail(
        inbox,
        html_mail(
            '<p>Guten Tag</p><img src="https://bilder.example.de/logo.png" alt="Logo">',
            subject="Rückfrage zum Angebot",
        ),
    )
    blocklist_admin = make_user("sperrlisten-admin")
    blocklist_admin.user_permissions.add(Permission.objects.get(codename="manage_blocklist"))
    return {
        "customer": customer,
        "contact": contact,
        "account": account,
        "inbox": inbox,
        "message": message,
        "blocklist_admin": blocklist_admin,
    }


def pages(world):
    """{name: (url, German texts users know from weclapp's help and our own words)}."""
    contact = world["contact"]
    contact_type = ContentType.objects.get_for_model(contact).pk
    message = world["message"].pk
    return {
        "customer list": (
            reverse("crm:customer_list"),
            ["Kunden", "Kontakte", "Kundennummer", "+ Neuer Kunde", "Einstellungen", "Abmelden"],
        ),
        "contact detail": (
            contact.get_absolute_url(),
            ["Stammdaten", "E-Mail-Archiv", "E-Mail-Adressen", "Adresse hinzufügen", "Kunden"],
        ),
        "E-Mail-Archiv tab": (
            reverse("archiving:record_archive", args=[contact_type, contact.pk]),
            ["Betreff", "Warum hier", "Von / An", "Absender mira@example.org"],
        ),
        "Meine Einstellungen": (
            reverse("organizer:my_settings"),
            [
                "Meine Einstellungen",
                "E-Mail-Einstellungen",
                "+ E-Mail-Konto hinzufügen",
                "Automatische Ablage an",
                "Jetzt synchronisieren",
                "Postfach öffnen",
            ],
        ),
        "mail account form": (
            reverse("organizer:account_edit", args=[world["account"].pk]),
            [
                "Synchronisations-Einstellungen",
                "Automatische Ablage",
                "Schalten Sie dies nie für ein Konto ein, über das private oder vertrauliche "
                "E-Mails laufen.",
                "Verbindung testen",
                "So entscheidet die Automatische Ablage",
                "Archivierungs-Sperrliste",
            ],
        ),
        "ORGANIZER › E-Mail": (
            reverse("organizer:folder", args=[world["inbox"].pk]),
            ["E-Mail", "Posteingang", "Ordner synchronisieren", "Betreff", "Abgelegt bei"],
        ),
        "Archivierungs-Sperrliste": (
            reverse("archiving:blocklist"),
            ["Globale Einstellungen", "Archivierungs-Sperrliste", "+ Hinzufügen", "Adresse"],
        ),
        "filing panel and dialog": (
            reverse("archiving:message_filings", args=[message]),
            ["Abgelegt bei", "Ablegen", "E-Mail ablegen", "Kunde, Kontakt, Angebot oder Rechnung"],
        ),
        "filing page": (
            reverse("archiving:message_file", args=[message]),
            ["E-Mail ablegen", "Zurück zur E-Mail", "Name, Nummer oder E-Mail-Adresse"],
        ),
        "message view": (
            reverse("organizer:message", args=[message]),
            ["Von", "An", "Datum", "Externe Inhalte laden", "Original herunterladen (.eml)"],
        ),
    }


def test_every_main_page_is_german_by_default(client, owner, world):
    owner.is_superuser = True  # sees the block list too
    owner.save()
    client.force_login(owner)
    for name, (url, texts) in pages(world).items():
        response = client.get(url)
        assert response.status_code == 200, name
        page = html.unescape(response.text)
        missing = [text for text in texts if text not in page]
        assert missing == [], name
        assert english_left_in(response.text) == [], name
    assert '<html lang="de">' in client.get(reverse("crm:customer_list")).text


def test_the_block_list_speaks_german_to_the_user_who_manages_it(client, world):
    client.force_login(world["blocklist_admin"])
    client.post(reverse("archiving:blocklist"), {"value": "newsletter@example.org"})
    page = client.get(reverse("archiving:blocklist")).text
    twice = client.post(reverse("archiving:blocklist"), {"value": "newsletter@example.org"}).text

    assert "„newsletter@example.org“ wurde zur Archivierungs-Sperrliste hinzugefügt." in page
    assert "„newsletter@example.org“ steht bereits auf der Archivierungs-Sperrliste." in twice
    assert english_left_in(page) == [] and english_left_in(twice) == []


def test_the_language_switch_turns_the_pages_english_and_back(client, owner, world):
    owner.is_superuser = True
    owner.save()
    client.force_login(owner)
    base = client.get(reverse("crm:customer_list")).text
    assert f'action="{reverse("set_language")}"' in base and 'value="en"' in base

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = {name: client.get(url).text for name, (url, _texts) in pages(world).items()}

    assert '<html lang="en">' in english["customer list"]
    assert "Master data" in english["contact detail"]
    assert "E-mail archive" in english["contact detail"]
    assert "Automatic filing on" in english["Meine Einstellungen"]
    assert "Sync folder" in english["ORGANIZER › E-Mail"]
    assert "Filing block list" in english["Archivierungs-Sperrliste"]
    assert "File mail" in english["filing panel and dialog"]
    assert "Load remote content" in english["message view"]
    assert not any("Ordner synchronisieren" in page for page in english.values())

    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert "Ordner synchronisieren" in client.get(pages(world)["ORGANIZER › E-Mail"][0]).text


# -- IMAP and sync errors, shown to users as they are --------------------------------------------


@pytest.mark.parametrize(
    ("host", "security", "german"),
    [
        ("", "ssl", "Es ist kein IMAP-Server angegeben."),
        (
            "mail.invalid",
            "ssl",
            "Der Server mail.invalid wurde nicht gefunden. Prüfen Sie den Servernamen.",
        ),
        (
            "169.254.169.254",
            "ssl",
            "Verbindungen zu 169.254.169.254 sind nicht erlaubt "
            "(der Name verweist auf eine Cloud-Metadaten-Adresse).",
        ),
        ("224.0.0.5", "ssl", "(der Name verweist auf eine Multicast-Adresse)"),
        ("10.1.2.3", "none", "Unverschlüsselte Verbindungen sind nur zum Ablage-Server"),
    ],
)
def test_imap_errors_are_plain_german(host, security, german):
    with pytest.raises(ImapError) as caught:
        imap.resolve_host(host, 993, security)
    assert german in caught.value.message


def test_a_wrong_password_is_said_in_german(dovecot):
    user = dovecot.add_user()
    with pytest.raises(ImapError) as caught:
        imap.test_login("127.0.0.1", dovecot.port, "none", user, "Passwort123")
    assert caught.value.kind == "auth"
    assert caught.value.message == (
        "Der Server hat die Anmeldung abgelehnt: Benutzername oder Passwort stimmt nicht."
    )


def test_a_failed_sync_records_its_error_in_german_and_the_account_card_shows_it(
    client, owner, dovecot
):
    account = make_mail_account(owner, server=dovecot, password="nicht-das-richtige")

    result = sync_account(account)

    account.refresh_from_db()
    assert result.failed and result.error_kind == "auth"
    client.force_login(owner)
    page = html.unescape(client.get(reverse("organizer:my_settings")).text)
    assert "Letzter Fehler" in page
    assert "Der Server hat die Anmeldung abgelehnt: Benutzername oder Passwort stimmt nicht." in (
        page
    )
