"""Searches ignore the case of every letter, umlauts included, on SQLite as on PostgreSQL."""

import pytest
from django.urls import reverse

from crm.models import Customer
from tests.factories import make_contact, make_customer, make_filed_mail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["MÜLLER", "müller", "Müller", "ÜLLER & SÖ"])
def test_customer_search_ignores_the_case_of_umlauts(client, owner, query):
    make_customer("Müller & Söhne GmbH")
    make_customer("Mueller Bau")
    client.force_login(owner)

    response = client.get(reverse("crm:customer_list"), {"q": query})

    assert [c.name for c in response.context["page_obj"]] == ["Müller & Söhne GmbH"]


def test_lookups_ignore_the_case_of_umlauts_and_keep_like_wildcards_literal():
    make_customer("KÖHLER KG")
    make_customer("100% Bio")
    make_customer("100 Bio")

    assert Customer.objects.filter(name__icontains="köhler").count() == 1
    assert Customer.objects.filter(name__istartswith="kö").count() == 1
    assert list(Customer.objects.filter(name__icontains="0%").values_list("name", flat=True)) == [
        "100% Bio"
    ]


def test_archive_search_ignores_the_case_of_umlauts(client, owner):
    contact = make_contact("Jürgen", "Köhler")
    make_filed_mail(contact, subject="Rückruf wegen Aufmaß")
    make_filed_mail(contact, subject="Angebot")
    client.force_login(owner)
    from django.contrib.contenttypes.models import ContentType

    url = reverse(
        "archiving:record_archive", args=[ContentType.objects.get_for_model(contact).pk, contact.pk]
    )
    response = client.get(url, {"q": "RÜCKRUF"})

    assert [m.subject for m in response.context["page"].object_list] == ["Rückruf wegen Aufmaß"]


def test_a_nul_character_in_any_search_box_is_dropped_not_a_server_error(client, owner):
    # PostgreSQL refuses NUL in text; a pasted or forged one must still get an answer.
    from django.contrib.contenttypes.models import ContentType

    from organizer.models import Folder
    from tests.factories import make_mail_account

    contact = make_contact("Jürgen", "Köhler")
    make_filed_mail(contact, subject="Rückruf")
    folder = Folder.objects.create(
        account=make_mail_account(owner), name="INBOX", display_name="INBOX"
    )
    archive = reverse(
        "archiving:record_archive", args=[ContentType.objects.get_for_model(contact).pk, contact.pk]
    )
    urls = [
        reverse("crm:customer_list"),
        reverse("crm:contact_list"),
        reverse("crm:quote_list"),
        reverse("crm:invoice_list"),
        reverse("crm:record_search"),
        reverse("archiving:filing_search"),
        archive,
        reverse("organizer:folder", args=[folder.pk]),
    ]
    client.force_login(owner)

    for url in urls:
        response = client.get(url, {"q": "Kö\x00hler"})
        assert response.status_code == 200, url
    response = client.get(reverse("crm:contact_list"), {"q": "Kö\x00hler"})
    assert [c.last_name for c in response.context["page_obj"]] == ["Köhler"]
