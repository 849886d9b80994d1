"""The E-Mail-Archiv tab shows each mail once, also where it is filed at several of its records."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from archiving.models import Filing
from archiving.selectors import filed_mails_for_record
from tests.factories import make_contact, make_customer, make_filed_mail

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 1, tzinfo=UTC)


def file_also_at(mail, record):
    Filing.objects.create(
        filed_mail=mail,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        direction="in",
        source="auto",
        mail_date=mail.date,
    )


def test_a_customer_archive_holds_a_mail_filed_at_customer_and_contacts_once():
    customer = make_customer("Nord GmbH")
    contact = make_contact("Mira", "Albrecht", customers=[customer])
    other = make_contact("Tomasz", "Wendt", customers=[customer])
    shared = make_filed_mail(customer, subject="an alle", date=START)
    file_also_at(shared, contact)
    file_also_at(shared, other)
    make_filed_mail(contact, subject="nur Mira", date=START + timedelta(days=1))
    make_filed_mail(make_contact("Fremd"), subject="fremd")

    mails = filed_mails_for_record(customer)

    assert mails.count() == 2 == len(list(mails))
    assert mails.filter(subject="an alle").count() == 1
    assert filed_mails_for_record(customer, "nur").count() == 1


def test_tab_pages_of_a_customer_with_doubly_filed_mail(client, owner):
    customer = make_customer("Nord GmbH")
    contact = make_contact("Mira", "Albrecht", customers=[customer])
    for n in range(26):
        mail = make_filed_mail(customer, subject=f"Mail {n}", date=START + timedelta(hours=n))
        file_also_at(mail, contact)
    client.force_login(owner)
    url = reverse(
        "archiving:record_archive",
        args=[ContentType.objects.get_for_model(customer).pk, customer.pk],
    )

    response = client.get(url, {"page": 2}, headers={"HX-Request": "true"})

    page = response.context["page"]
    assert (page.has_previous, page.has_next) == (True, False)
    assert [m.subject for m in page.object_list] == ["Mail 0"]
