"""The UI is German by default, English on request, and the committed catalogues are complete."""

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import make_customer

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def test_login_page_is_german_without_accept_language(client, db):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="de">' in html
    assert "Anmelden" in html and "Benutzername" in html and "Passwort" in html


def test_crm_pages_are_german_without_accept_language(client, owner):
    customer = make_customer("Hübner GmbH")
    client.force_login(owner)
    listing = client.get(reverse("crm:customer_list")).content.decode()
    detail = client.get(customer.get_absolute_url()).content.decode()
    for text in ["Kunden", "Ansprechpartner", "Kundennummer", "Einstellungen", "Abmelden"]:
        assert text in listing
    for text in ["Stammdaten", "E-Mail-Adressen", "Adresse hinzufügen", "Angebote", "Rechnungen"]:
        assert text in detail


def test_english_on_request(client, owner):
    client.force_login(owner)
    html = client.get(reverse("crm:customer_list"), headers={"Accept-Language": "en"})
    assert "Customers" in html.content.decode() and "Kundennummer" not in html.content.decode()


def test_the_language_switch_keeps_english(client, owner):
    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "New customer" in client.get(reverse("crm:customer_list")).content.decode()


# The sources whose texts must be German already. The other apps' texts follow with their issues
# (their tests still read English texts): then this tuple grows to the whole product.
TRANSLATED = (
    "crm/",
    "settings/",
    "templates/crm/",
    "templates/base.html",
    "templates/settings_home.html",
    "templates/registration/",
    "templates/includes/_pagination.html",
    "templates/includes/_search.html",
    "templates/includes/_tabs.html",
    "templates/includes/_messages.html",
)


def po_entries(path):
    """(msgid, [msgstr, ...], fuzzy, [source file, ...]) of every entry but the header."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"((?:\n".*")*)', block, re.M)
        if not msgid:
            continue
        text = msgid.group(1) + "".join(re.findall(r'"(.*)"', msgid.group(2)))
        if not text:
            continue
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        values = [first + "".join(re.findall(r'"(.*)"', rest)) for first, rest in strings]
        head = block.split("\nmsgid")[0]
        sources = " ".join(re.findall(r"^#: (.*)$", head, re.M)).split()
        entries.append((text, values, "fuzzy" in head, sources))
    return entries


def test_every_german_text_of_the_crm_and_the_layout_is_translated_and_none_is_fuzzy():
    entries = [
        entry
        for entry in po_entries(LOCALE / "de" / "LC_MESSAGES" / "django.po")
        if any(source.startswith(TRANSLATED) for source in entry[3])
    ]
    assert len(entries) > 100
    untranslated = [msgid for msgid, values, _fuzzy, _sources in entries if not all(values)]
    fuzzy = [msgid for msgid, _values, is_fuzzy, _sources in entries if is_fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_committed_mo_is_compiled_from_the_po(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    for msgid, values, _fuzzy, _sources in po_entries(folder / "django.po"):
        msgid = msgid.replace('\\"', '"')
        if values and values[0] and "\\" not in msgid:
            assert catalog._catalog.get(msgid, catalog._catalog.get((msgid, 0))) == values[
                0
            ].replace('\\"', '"'), msgid
