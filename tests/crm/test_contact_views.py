import pytest
from django.urls import reverse

from crm.models import Contact
from tests.factories import make_contact, make_customer

LIST = reverse("crm:contact_list")


def names(response):
    return [contact.full_name for contact in response.context["page_obj"]]


@pytest.fixture
def contacts(db):
    enron = make_customer("Enron", number="K10019")
    dow = make_customer("Dow Jones", number="K10015")
    return [
        make_contact("Jim", "Homco", emails=["jim.homco@enron.com"], customers=[enron]),
        make_contact("Robin", "Barbe", emails=["ROBIN.BARBE@enron.com"], customers=[enron, dow]),
        make_contact("Bernd", "Hübner", emails=["bernd@hübner.example.de"]),
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["Robin Barbe", "Jim Homco", "Bernd Hübner"]),
        ("homco", ["Jim Homco"]),
        ("jim homco", ["Jim Homco"]),
        ("robin.barbe@enron.com", ["Robin Barbe"]),
        ("Robin.Barbe@ENRON.com", ["Robin Barbe"]),
        ("K10015", ["Robin Barbe"]),
        ("dow jones", ["Robin Barbe"]),
        ("bernd@xn--hbner-kva.example.de", ["Bernd Hübner"]),
        ("@hübner.example.de", ["Bernd Hübner"]),
    ],
)
def test_list_searches_name_customer_number_and_address(client, owner, contacts, q, expected):
    client.force_login(owner)
    assert names(client.get(LIST, {"q": q})) == expected


def test_list_is_paginated_by_25(client, owner, db):
    for n in range(27):
        make_contact(last_name=f"Person {n:02d}")
    client.force_login(owner)
    assert len(client.get(LIST).context["page_obj"]) == 25
    assert names(client.get(LIST, {"page": 2})) == ["Person 25", "Person 26"]


def test_owner_and_colleague_see_the_pages_outsider_gets_403(client, owner, colleague, outsider):
    contact = make_contact()
    urls = [
        LIST,
        reverse("crm:contact_detail", args=[contact.pk]),
        reverse("crm:contact_master_data", args=[contact.pk]),
        reverse("crm:contact_create"),
        reverse("crm:contact_edit", args=[contact.pk]),
    ]
    for user, status in [(owner, 200), (colleague, 200), (outsider, 403)]:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == status, (user, url)


def test_outsider_cannot_attach_detach_or_add_addresses(client, outsider):
    customer = make_customer(number="K1")
    contact = make_contact()
    client.force_login(outsider)
    posts = [
        (reverse("crm:contact_customer_attach", args=[contact.pk]), {"number": "K1"}),
        (reverse("crm:contact_address_add", args=[contact.pk]), {"address": "a@example.com"}),
        (reverse("crm:contact_customer_detach", args=[contact.pk, customer.pk]), {}),
        (reverse("crm:customer_contact_detach", args=[customer.pk, contact.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert not contact.customers.exists() and not contact.email_addresses.exists()


def test_detail_lists_addresses_and_customers(client, owner, contacts):
    client.force_login(owner)
    html = client.get(contacts[1].get_absolute_url()).content.decode()
    assert "ROBIN.BARBE@enron.com" in html and "robin.barbe@enron.com" in html
    assert "K10019" in html and "K10015" in html


def test_attaching_to_a_customer_by_number(client, owner, transactional_db, receiver):
    customer = make_customer("Berg AG", number="K2")
    contact = make_contact("Anna", "Berg", emails=["anna@example.com"])
    client.force_login(owner)

    response = client.post(
        reverse("crm:contact_customer_attach", args=[contact.pk]),
        {"number": " k2 "},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Anna Berg wurde Berg AG (K2) zugeordnet." in html
    assert "2 vorhandene E-Mails wurden abgelegt." in html
    assert list(contact.customers.all()) == [customer]
    assert receiver[0]["addresses"] == ["anna@example.com"]


def test_attaching_by_number_prefers_the_exact_spelling(client, owner, db, in_english):
    upper = make_customer("Bom GmbH", number="K901")
    lower = make_customer("Klein KG", number="k901")
    make_customer("Mehr AG", number="Ab1")
    make_customer("Mehr KG", number="aB1")
    contact = make_contact("Anna", "Berg")
    client.force_login(owner)
    url = reverse("crm:contact_customer_attach", args=[contact.pk])

    client.post(url, {"number": "k901"}, headers={"HX-Request": "true"})
    client.post(url, {"number": "K901"}, headers={"HX-Request": "true"})
    ambiguous = client.post(url, {"number": "ab1"}, headers={"HX-Request": "true"})

    assert set(contact.customers.all()) == {upper, lower}
    assert "Several customers have the number" in ambiguous.content.decode()


def test_attaching_to_an_unknown_or_attached_customer_shows_an_error(client, owner, db):
    customer = make_customer(number="K2")
    contact = make_contact(customers=[customer])
    client.force_login(owner)
    url = reverse("crm:contact_customer_attach", args=[contact.pk])

    unknown = client.post(url, {"number": "K404"})
    again = client.post(url, {"number": "K2"})

    assert unknown.status_code == 422
    assert "Es gibt keinen Kunden mit der Nummer „K404“." in unknown.content.decode()
    assert again.status_code == 422
    assert "bereits" in again.content.decode()


def test_detaching_from_the_contact_page_and_from_the_customer_page(client, owner, db):
    first, second = make_customer(), make_customer()
    contact = make_contact(customers=[first, second])
    client.force_login(owner)

    on_contact = client.post(reverse("crm:contact_customer_detach", args=[contact.pk, first.pk]))
    on_customer = client.post(
        reverse("crm:customer_contact_detach", args=[second.pk, contact.pk]),
        headers={"HX-Request": "true"},
    )

    assert on_contact["Location"] == contact.get_absolute_url()
    assert on_customer.status_code == 200 and on_customer.context["record"] == second
    assert not contact.customers.exists()


def test_create_a_contact_for_a_customer(client, owner, db):
    customer = make_customer()
    client.force_login(owner)
    form_page = client.get(reverse("crm:contact_create"), {"customer": customer.pk})
    assert f'value="{customer.pk}"' in form_page.content.decode()

    response = client.post(
        reverse("crm:contact_create"),
        {
            "salutation": "ms",
            "first_name": "Anna",
            "last_name": "Berg",
            "addresses": "anna@example.com\nANNA@example.com\nberg@example.com",
            "customer": customer.pk,
        },
    )

    contact = Contact.objects.get()
    assert response["Location"] == contact.get_absolute_url()
    assert list(contact.customers.all()) == [customer]
    assert contact.email_addresses.count() == 2


def test_edit_a_contact(client, owner, db):
    contact = make_contact("Anna", "Berg")
    client.force_login(owner)
    response = client.post(
        reverse("crm:contact_edit", args=[contact.pk]),
        {"first_name": "Anna", "last_name": "Berg-Meier", "position": "Einkauf"},
    )
    contact.refresh_from_db()
    assert response.status_code == 302
    assert (contact.last_name, contact.position) == ("Berg-Meier", "Einkauf")


def test_a_contact_needs_a_last_name(client, owner, db):
    client.force_login(owner)
    response = client.post(reverse("crm:contact_create"), {"first_name": "Anna"})
    assert response.status_code == 422
    assert "last_name" in response.context["form"].errors


# The queries of the list, whatever the number of rows:
#  1. the session, 2. the user, 3.-4. the user's and the group's permissions (view check),
#  5. the count for the paginator, 6. the page of contacts,
#  7. their addresses (prefetch), 8. their customers (prefetch).
@pytest.mark.parametrize("rows", [3, 30])
def test_list_queries_do_not_grow_with_the_rows(client, owner, django_assert_num_queries, rows):
    customer = make_customer()
    for n in range(rows):
        make_contact(emails=[f"a{n}@example.com", f"b{n}@example.com"], customers=[customer])
    client.force_login(owner)
    with django_assert_num_queries(8):
        response = client.get(LIST)
    assert len(response.context["page_obj"]) == min(rows, 25)
