import pytest
from django.urls import reverse

from tests.factories import make_customer, make_invoice, make_quote


@pytest.fixture
def documents(db):
    hübner = make_customer("Hübner GmbH", number="K1", emails=["info@hübner.example.de"])
    berg = make_customer("Berg AG", number="K2")
    return {
        "quote": make_quote(hübner, number="A-2026-001", title="Wartungsvertrag"),
        "invoice": make_invoice(berg, number="R-2026-001", title="Lieferung"),
    }


@pytest.mark.parametrize(
    ("name", "q", "found"),
    [
        ("quote", "A-2026", True),
        ("quote", "wartung", True),
        ("quote", "K1", True),
        ("quote", "hübner gmbh", True),
        ("quote", "INFO@hübner.example.de", True),
        ("quote", "berg", False),
        ("invoice", "r-2026-001", True),
        ("invoice", "Berg AG", True),
        ("invoice", "K1", False),
    ],
)
def test_lists_search_number_title_customer_and_address(client, owner, documents, name, q, found):
    client.force_login(owner)
    response = client.get(reverse(f"crm:{name}_list"), {"q": q})
    assert (documents[name] in response.context["page_obj"]) is found


@pytest.mark.parametrize("name", ["quote", "invoice"])
def test_owner_and_colleague_see_the_pages_outsider_gets_403(
    client, owner, colleague, outsider, documents, name
):
    document = documents[name]
    urls = [
        reverse(f"crm:{name}_list"),
        document.get_absolute_url(),
        reverse(f"crm:{name}_master_data", args=[document.pk]),
    ]
    for user, status in [(owner, 200), (colleague, 200), (outsider, 403)]:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == status, (user, url)


@pytest.mark.parametrize("name", ["quote", "invoice"])
def test_detail_shows_the_document_and_its_customer(client, owner, documents, name):
    document = documents[name]
    client.force_login(owner)
    response = client.get(document.get_absolute_url())
    html = response.content.decode()
    assert document.number in html
    assert document.customer.get_absolute_url() in html
    assert response.context["tabs"][0]["id"] == "master-data"


# The queries of a list, whatever the number of rows:
#  1. the session, 2. the user, 3.-4. the user's and the group's permissions (view check),
#  5. the count for the paginator, 6. the page of documents joined with their customers.
@pytest.mark.parametrize("name", ["quote", "invoice"])
@pytest.mark.parametrize("rows", [3, 30])
def test_list_queries_do_not_grow_with_the_rows(
    client, owner, django_assert_num_queries, name, rows
):
    make = make_quote if name == "quote" else make_invoice
    for _n in range(rows):
        make(make_customer())
    client.force_login(owner)
    with django_assert_num_queries(6):
        response = client.get(reverse(f"crm:{name}_list"))
    assert len(response.context["page_obj"]) == min(rows, 25)


@pytest.mark.parametrize(
    ("name", "heading", "empty", "no_match"),
    [
        ("quote", ">Angebote</h1>", "Noch keine Angebote.", "Kein Angebot passt zu „x“."),
        ("invoice", ">Rechnungen</h1>", "Noch keine Rechnungen.", "Keine Rechnung passt zu „x“."),
    ],
)
def test_one_list_template_names_its_kind(client, owner, name, heading, empty, no_match):
    client.force_login(owner)
    html = client.get(reverse(f"crm:{name}_list")).content.decode()
    assert heading in html
    assert empty in html
    html = client.get(reverse(f"crm:{name}_list"), {"q": "x"}).content.decode()
    assert no_match in html
    assert empty not in html
