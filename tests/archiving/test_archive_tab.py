"""The E-Mail-Archiv tab of customers, contacts, quotes and invoices."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    make_contact,
    make_customer,
    make_filed_mail,
    make_invoice,
    make_quote,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 1, tzinfo=UTC)


def archive_url(record):
    content_type = ContentType.objects.get_for_model(record)
    return reverse("archiving:record_archive", args=[content_type.pk, record.pk])


def subjects(response):
    return [mail.subject for mail in response.context["page"].object_list]


def test_tab_lists_newest_first(client, owner):
    contact = make_contact("Mira", "Albrecht")
    for day, subject in [(2, "zwei"), (9, "neun"), (5, "fünf")]:
        make_filed_mail(contact, subject=subject, date=START + timedelta(days=day))
    client.force_login(owner)

    response = client.get(archive_url(contact), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert subjects(response) == ["neun", "fünf", "zwei"]
    assert b"<html" not in response.content  # the fragment only


def test_tab_without_htmx_renders_the_whole_detail_page(client, owner):
    contact = make_contact("Mira", "Albrecht")
    make_filed_mail(contact, subject="Angebot Regale")
    client.force_login(owner)

    response = client.get(archive_url(contact))

    assert b"<html" in response.content
    assert "Angebot Regale" in response.text
    assert 'aria-selected="true"' in response.text


def test_customer_tab_shows_own_and_contact_filings_each_mail_once(client, owner):
    customer = make_customer("Nord GmbH")
    contact = make_contact("Mira", "Albrecht", customers=[customer])
    other = make_contact("Tomasz", "Wendt", customers=[customer])
    shared = make_filed_mail(contact, subject="an beide", date=START)
    make_filed_mail(customer, subject="an die Firma", date=START + timedelta(days=1))
    make_filed_mail(make_contact("Fremd"), subject="fremd", date=START + timedelta(days=2))
    from archiving.models import Filing

    Filing.objects.create(
        filed_mail=shared,
        content_type=ContentType.objects.get_for_model(other),
        object_id=other.pk,
        direction="in",
        source="auto",
        mail_date=START,
    )
    client.force_login(owner)

    response = client.get(archive_url(customer), headers={"HX-Request": "true"})

    assert subjects(response) == ["an die Firma", "an beide"]
    # Both filings of the shared mail give their reason in its one row.
    shared_row = response.context["page"].object_list[1]
    assert {str(f.record) for f in shared_row.record_filings} == {str(contact), str(other)}


@pytest.mark.parametrize("maker", [make_quote, make_invoice])
def test_quotes_and_invoices_have_the_tab(client, owner, maker):
    record = maker()
    make_filed_mail(record, subject="Zum Beleg")
    client.force_login(owner)

    response = client.get(archive_url(record), headers={"HX-Request": "true"})

    assert subjects(response) == ["Zum Beleg"]


def test_tab_search_finds_subject_and_address(client, owner):
    contact = make_contact("Mira", "Albrecht")
    make_filed_mail(contact, subject="Rechnung 17")
    make_filed_mail(contact, subject="Angebot", search_addresses="einkauf@nord.example")
    client.force_login(owner)

    by_subject = client.get(archive_url(contact), {"q": "rechnung"})
    by_address = client.get(archive_url(contact), {"q": "Einkauf@Nord"})

    assert subjects(by_subject) == ["Rechnung 17"]
    assert subjects(by_address) == ["Angebot"]


def test_tab_needs_crm_permission(client, outsider, colleague):
    contact = make_contact("Mira", "Albrecht")
    make_filed_mail(contact, subject="vertraulich")

    client.force_login(outsider)
    assert client.get(archive_url(contact)).status_code == 403
    client.force_login(colleague)
    assert client.get(archive_url(contact)).status_code == 200


def test_every_mail_a_customer_viewer_is_listed_is_one_they_may_open(client):
    # A customer's archive lists its contacts' mail: who may see the customer may read it, even
    # without the permission to see contacts. A contact of no customer stays out of sight.
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    user = make_user(crm=False)
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    customer = make_customer("Nord GmbH")
    via_contact = make_filed_mail(make_contact("Mira", customers=[customer]), subject="über Mira")
    alone = make_filed_mail(make_contact("Fremd"), subject="ohne Firma")
    client.force_login(user)

    listed = client.get(archive_url(customer), headers={"HX-Request": "true"})

    assert subjects(listed) == ["über Mira"]
    for mail in listed.context["page"].object_list:
        opened = client.get(reverse("archiving:filed_mail", args=[mail.pk]))
        assert opened.status_code == 200 and "über Mira" in opened.text
    assert client.get(reverse("archiving:filed_mail", args=[alone.pk])).status_code == 404
    assert via_contact.pk == listed.context["page"].object_list[0].pk


@pytest.mark.parametrize("page", ["922337203685477580", str(2**63), "9" * 30, "-5", "x"])
def test_any_page_number_gets_a_page(client, owner, page):
    contact = make_contact("Mira", "Albrecht")
    make_filed_mail(contact, subject="eine")
    client.force_login(owner)

    response = client.get(archive_url(contact), {"page": page}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert subjects(response) == ([] if page.startswith("9") else ["eine"])


def test_tab_of_unknown_records_is_404(client, owner):
    client.force_login(owner)
    user_type = ContentType.objects.get(app_label="auth", model="user")

    assert (
        client.get(reverse("archiving:record_archive", args=[user_type.pk, owner.pk])).status_code
        == 404
    )
    contact_type = ContentType.objects.get_for_model(make_contact())
    assert (
        client.get(reverse("archiving:record_archive", args=[contact_type.pk, 99999])).status_code
        == 404
    )


def test_tab_redirects_to_login_when_logged_out(client):
    contact = make_contact("Mira", "Albrecht")

    response = client.get(archive_url(contact))

    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("count", [3, 300])
def test_tab_query_count_does_not_grow_with_filings(client, owner, count):
    customer = make_customer("Nord GmbH")
    contact = make_contact("Mira", "Albrecht", customers=[customer])
    for n in range(count):
        make_filed_mail(contact if n % 2 else customer, date=START + timedelta(hours=n))
    client.force_login(owner)
    url = archive_url(customer)
    client.get(url, headers={"HX-Request": "true"})  # warm the content type cache

    # session, user, customer, user permissions, group permissions, the customer's contacts,
    # the page of mails (no count), their filings, the filings' customers, their contacts.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == (3 if count == 3 else 25)
    assert len(queries) == 10, "\n".join(q["sql"] for q in queries)


def test_pages_link_to_newer_and_older_mail_without_counting(client, owner):
    contact = make_contact("Mira", "Albrecht")
    for n in range(30):
        make_filed_mail(contact, subject=f"Mail {n:02d}", date=START + timedelta(hours=n))
    client.force_login(owner)

    first = client.get(archive_url(contact), headers={"HX-Request": "true"})
    second = client.get(archive_url(contact), {"page": 2}, headers={"HX-Request": "true"})
    beyond = client.get(archive_url(contact), {"page": 9}, headers={"HX-Request": "true"})

    assert subjects(first)[0] == "Mail 29" and len(subjects(first)) == 25
    assert subjects(second) == ["Mail 04", "Mail 03", "Mail 02", "Mail 01", "Mail 00"]
    assert (first.context["page"].has_next, first.context["page"].has_previous) == (True, False)
    assert (second.context["page"].has_next, second.context["page"].has_previous) == (False, True)
    assert "?page=2" in first.text and "?page=1" in second.text
    assert subjects(beyond) == []
