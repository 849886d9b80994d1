import pytest
from django.urls import reverse

from crm.models import Customer, EmailAddress
from tests.factories import make_contact, make_customer, make_invoice, make_quote

LIST = reverse("crm:customer_list")


def names(response):
    return [customer.name for customer in response.context["page_obj"]]


@pytest.fixture
def customers(db):
    return [
        make_customer("Hübner GmbH", number="K10001", emails=["info@hübner.example.de"]),
        make_customer("Berg AG", number="K10002", emails=["Zentrale@Berg.example"]),
        make_customer("Enron Corp", number="E-77"),
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["Berg AG", "Enron Corp", "Hübner GmbH"]),
        ("berg", ["Berg AG"]),
        ("K10001", ["Hübner GmbH"]),
        ("k1000", ["Berg AG", "Hübner GmbH"]),
        ("zentrale@berg.example", ["Berg AG"]),
        ("ZENTRALE@BERG.EXAMPLE", ["Berg AG"]),
        ("info@xn--hbner-kva.example.de", ["Hübner GmbH"]),
        ("info@hübner.example.de", ["Hübner GmbH"]),
        ("hübner.example.de", ["Hübner GmbH"]),
        ("nothing-like-this", []),
    ],
)
def test_list_searches_name_number_and_address(client, owner, customers, q, expected):
    client.force_login(owner)
    response = client.get(LIST, {"q": q})
    assert response.status_code == 200
    assert names(response) == expected


def test_list_finds_a_customer_by_its_contacts_address(client, owner, customers):
    make_contact("Anna", "Berg", emails=["anna@privat.example"], customers=[customers[2]])
    client.force_login(owner)
    assert names(client.get(LIST, {"q": "anna@privat"})) == ["Enron Corp"]


def test_list_is_paginated_by_25_with_links_that_keep_the_search(client, owner, db):
    for n in range(30):
        make_customer(f"Kunde {n:02d}", number=f"P{n:03d}")
    client.force_login(owner)

    first = client.get(LIST, {"q": "kunde"})
    second = client.get(LIST, {"q": "kunde", "page": 2})

    assert len(first.context["page_obj"]) == 25
    assert names(second) == [f"Kunde {n:02d}" for n in range(25, 30)]
    assert 'href="?q=kunde&amp;page=2"' in first.content.decode()


def test_htmx_gets_only_the_results(client, owner, customers):
    client.force_login(owner)
    response = client.get(LIST, {"q": "berg"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and "Berg AG" in html
    assert "HX-Request" in response["Vary"]


def test_search_and_pagination_replace_the_results_element_itself(client, owner, db):
    for n in range(26):
        make_customer(f"Kunde {n:02d}")
    client.force_login(owner)
    html = client.get(LIST).content.decode()
    # The partial brings its own <div id="results">: swapping inside it would nest a second one.
    assert 'hx-target="#results" hx-swap="outerHTML"' in html
    assert html.count('hx-swap="outerHTML"') == 2  # the search form and the "next" link


def test_a_history_restore_gets_the_whole_page(client, owner, customers):
    client.force_login(owner)
    response = client.get(
        LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_owner_and_colleague_see_the_pages_outsider_gets_403(client, owner, colleague, outsider):
    customer = make_customer()
    urls = [
        LIST,
        reverse("crm:customer_detail", args=[customer.pk]),
        reverse("crm:customer_master_data", args=[customer.pk]),
        reverse("crm:customer_create"),
        reverse("crm:customer_edit", args=[customer.pk]),
    ]
    for user, status in [(owner, 200), (colleague, 200), (outsider, 403)]:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == status, (user, url)


def test_outsider_cannot_add_or_remove_addresses(client, outsider):
    customer = make_customer(emails=["a@example.com"])
    client.force_login(outsider)
    add = reverse("crm:customer_address_add", args=[customer.pk])
    remove = reverse("crm:address_remove", args=[customer.email_addresses.get().pk])
    assert client.post(add, {"address": "b@example.com"}).status_code == 403
    assert client.post(remove).status_code == 403
    assert list(customer.email_addresses.values_list("address", flat=True)) == ["a@example.com"]


def test_viewer_without_change_permission_cannot_edit(client, db, in_english):
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    viewer = make_user("viewer", crm=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    customer = make_customer()
    client.force_login(viewer)
    detail = client.get(customer.get_absolute_url())
    assert detail.status_code == 200
    assert "Add address" not in detail.content.decode()
    assert client.get(reverse("crm:customer_edit", args=[customer.pk])).status_code == 403
    add = reverse("crm:customer_address_add", args=[customer.pk])
    assert client.post(add, {"address": "b@example.com"}).status_code == 403


def test_detail_shows_master_data_tab_first_and_active(client, owner, db):
    customer = make_customer("Hübner GmbH", emails=["info@example.com"])
    contact = make_contact("Anna", "Berg", customers=[customer])
    quote = make_quote(customer, number="A-2026-1")
    invoice = make_invoice(customer, number="R-2026-1")
    client.force_login(owner)

    response = client.get(customer.get_absolute_url())

    html = response.content.decode()
    tabs = response.context["tabs"]
    assert tabs[0]["id"] == "master-data" and response.context["active_tab"] == "master-data"
    assert 'aria-selected="true"' in html
    tab_url = reverse("crm:customer_master_data", args=[customer.pk])
    assert f'href="{tab_url}"' in html and f'hx-get="{tab_url}"' in html
    for text in ["info@example.com", contact.get_absolute_url(), "A-2026-1", "R-2026-1"]:
        assert text in html
    assert invoice.get_absolute_url() in html and quote.get_absolute_url() in html


def test_the_tab_url_gives_htmx_the_fragment_and_a_browser_the_page(client, owner, db):
    customer = make_customer("Hübner GmbH")
    client.force_login(owner)
    tab_url = reverse("crm:customer_master_data", args=[customer.pk])

    fragment = client.get(tab_url, headers={"HX-Request": "true"}).content.decode()
    page = client.get(tab_url).content.decode()

    assert "<html" not in fragment and "Hübner GmbH" in fragment
    assert "<html" in page and 'role="tablist"' in page


def test_adding_an_address_without_javascript_redirects_with_a_message(client, owner, db):
    customer = make_customer()
    client.force_login(owner)
    response = client.post(
        reverse("crm:customer_address_add", args=[customer.pk]),
        {"address": " Info@Hübner.example.de "},
        follow=True,
    )
    assert response.redirect_chain == [(customer.get_absolute_url(), 302)]
    assert "Info@Hübner.example.de" in response.content.decode()
    assert customer.email_addresses.get().normalized == "info@xn--hbner-kva.example.de"


def test_adding_an_address_with_htmx_returns_the_tab_and_the_filed_count(
    client, owner, transactional_db, receiver
):
    customer = make_customer()
    client.force_login(owner)
    response = client.post(
        reverse("crm:customer_address_add", args=[customer.pk]),
        {"address": "info@example.com"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'hx-swap-oob="true"' in html
    assert "2 vorhandene E-Mails wurden abgelegt." in html
    assert receiver[0]["customer_ids"] == [customer.pk]


def test_a_duplicate_or_invalid_address_shows_an_error(client, owner, db):
    customer = make_customer(emails=["info@example.com"])
    client.force_login(owner)
    url = reverse("crm:customer_address_add", args=[customer.pk])

    duplicate = client.post(url, {"address": "INFO@example.com"}, headers={"HX-Request": "true"})
    invalid = client.post(url, {"address": "info(at)example.com"})

    assert duplicate.status_code == 422
    assert "hat die Adresse „INFO@example.com“ bereits." in duplicate.content.decode()
    assert invalid.status_code == 422
    assert "„info(at)example.com“ ist keine gültige E-Mail-Adresse." in invalid.content.decode()
    assert customer.email_addresses.count() == 1


def test_an_address_too_long_in_punycode_shows_an_error(client, owner, db):
    # 235 characters as typed, about 300 in the stored normal form (PostgreSQL would refuse it).
    address = "x@" + ".".join(["ä" * 20] * 11) + ".de"
    customer = make_customer()
    client.force_login(owner)

    one = client.post(reverse("crm:customer_address_add", args=[customer.pk]), {"address": address})
    addresses = "ok@example.de\n" + "a" * 300 + "@x.de"
    new = client.post(
        reverse("crm:customer_create"), {"number": "K-9", "name": "Lang", "addresses": addresses}
    )

    assert one.status_code == 422
    assert "ist länger, als eine E-Mail-Adresse sein darf (254 Zeichen)." in one.text
    assert new.status_code == 422
    assert "ist länger, als eine E-Mail-Adresse sein darf" in new.text
    assert not customer.email_addresses.exists()
    assert not Customer.objects.filter(number="K-9").exists()


def test_removing_an_address(client, owner, db):
    customer = make_customer(emails=["info@example.com", "sales@example.com"])
    client.force_login(owner)
    row = customer.email_addresses.get(normalized="info@example.com")
    response = client.post(reverse("crm:address_remove", args=[row.pk]))
    assert response.status_code == 302
    assert list(customer.email_addresses.values_list("address", flat=True)) == ["sales@example.com"]


def test_create_and_edit_a_customer(client, owner, db):
    client.force_login(owner)
    response = client.post(
        reverse("crm:customer_create"),
        {"number": "K9", "name": "Neu GmbH", "addresses": "a@neu.example; B@Neu.example"},
    )
    customer = Customer.objects.get(number="K9")
    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    assert sorted(customer.email_addresses.values_list("normalized", flat=True)) == [
        "a@neu.example",
        "b@neu.example",
    ]

    response = client.post(
        reverse("crm:customer_edit", args=[customer.pk]),
        {"number": "K9", "name": "Neu GmbH & Co. KG", "city": "Köln"},
    )
    customer.refresh_from_db()
    assert (customer.name, customer.city) == ("Neu GmbH & Co. KG", "Köln")


def test_create_refuses_a_taken_number_and_a_bad_address(client, owner, db):
    make_customer(number="K9")
    client.force_login(owner)
    response = client.post(
        reverse("crm:customer_create"), {"number": "K9", "name": "X", "addresses": "nope"}
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"number", "addresses"}
    assert Customer.objects.count() == 1


# The queries of the list, whatever the number of rows:
#  1. the session, 2. the user, 3.-4. the user's and the group's permissions (view check),
#  5. the count for the paginator, 6. the page of customers with their contact count,
#  7. the addresses of those customers (prefetch).
@pytest.mark.parametrize("rows", [3, 30])
def test_list_queries_do_not_grow_with_the_rows(client, owner, django_assert_num_queries, rows):
    for n in range(rows):
        customer = make_customer(emails=[f"a{n}@example.com", f"b{n}@example.com"])
        make_contact(customers=[customer])
    client.force_login(owner)
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert response.status_code == 200
    assert EmailAddress.objects.count() == rows * 2


# The queries of the detail page, whatever the number of contacts:
#  1. the session, 2. the user, 3.-4. the permissions, 5. the customer, 6. its addresses,
#  7. its contacts, 8. their addresses (prefetch), 9. its quotes, 10. its invoices.
@pytest.mark.parametrize("rows", [3, 30])
def test_detail_queries_do_not_grow_with_the_contacts(
    client, owner, django_assert_num_queries, rows
):
    customer = make_customer(emails=["info@example.com"])
    for n in range(rows):
        make_contact(emails=[f"a{n}@example.com"], customers=[customer])
        make_quote(customer)
    client.force_login(owner)
    with django_assert_num_queries(10):
        response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
