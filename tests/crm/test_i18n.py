"""The CRM pages are German by default and English on request (the whole product and the
catalogues: tests/test_i18n.py)."""

from django.urls import reverse

from tests.factories import make_customer


def test_login_page_is_german_without_accept_language(client, db):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="de">' in html
    assert "Anmelden" in html and "Benutzername" in html and "Passwort" in html


def test_crm_pages_are_german_without_accept_language(client, owner):
    customer = make_customer("Hübner GmbH")
    client.force_login(owner)
    listing = client.get(reverse("crm:customer_list")).content.decode()
    detail = client.get(customer.get_absolute_url()).content.decode()
    for text in ["Kunden", "Kontakte", "Kundennummer", "Einstellungen", "Abmelden"]:
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
