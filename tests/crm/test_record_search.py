import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from crm.models import Contact, Customer, Quote
from tests.factories import make_contact, make_customer, make_invoice, make_quote, make_user

SEARCH = reverse("crm:record_search")


@pytest.fixture
def records(db):
    customer = make_customer("Hübner GmbH", number="K1", emails=["info@hübner.example.de"])
    return {
        "customer": customer,
        "contact": make_contact("Bernd", "Hübner", emails=["bernd@hübner.example.de"]),
        "quote": make_quote(customer, number="A-1"),
        "invoice": make_invoice(customer, number="R-1"),
    }


def test_hits_carry_content_type_object_kind_and_label(client, owner, records):
    client.force_login(owner)
    response = client.get(SEARCH, {"q": "hübner"})
    hits = {(hit.kind, hit.object_id): hit for hit in response.context["hits"]}
    customer_hit = hits[("customer", records["customer"].pk)]
    assert customer_hit.content_type_id == ContentType.objects.get_for_model(Customer).pk
    assert customer_hit.label == "Hübner GmbH (K1)"
    contact_hit = hits[("contact", records["contact"].pk)]
    assert contact_hit.content_type_id == ContentType.objects.get_for_model(Contact).pk
    assert contact_hit.label == "Bernd Hübner"
    # Quotes and invoices match through their customer's name.
    assert ("quote", records["quote"].pk) in hits and ("invoice", records["invoice"].pk) in hits
    html = response.content.decode()
    assert f'data-object-id="{records["contact"].pk}"' in html
    assert records["contact"].get_absolute_url() in html


def test_search_by_address_and_narrowed_to_kinds(client, owner, records):
    client.force_login(owner)
    response = client.get(SEARCH, {"q": "BERND@xn--hbner-kva.example.de", "kind": "contact"})
    assert [(h.kind, h.object_id) for h in response.context["hits"]] == [
        ("contact", records["contact"].pk)
    ]


def test_picker_renders_radio_buttons_with_content_type_and_id(client, owner, records):
    client.force_login(owner)
    response = client.get(SEARCH, {"q": "A-1", "kind": "quote", "picker": "1"})
    content_type = ContentType.objects.get_for_model(Quote).pk
    assert (
        f'<input type="radio" name="record" value="{content_type}:{records["quote"].pk}"'
        in response.content.decode()
    )


def test_empty_query_gives_no_hits(client, owner, records):
    client.force_login(owner)
    assert client.get(SEARCH, {"q": "  "}).context["hits"] == []


def test_kinds_the_user_may_not_see_are_left_out(client, records):
    user = make_user("contacts-only", crm=False)
    user.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client.force_login(user)
    kinds = {hit.kind for hit in client.get(SEARCH, {"q": "hübner"}).context["hits"]}
    assert kinds == {"contact"}
    assert client.get(SEARCH, {"q": "hübner", "kind": "customer"}).status_code == 403


def test_owner_and_colleague_may_search_outsider_gets_403(
    client, owner, colleague, outsider, records
):
    for user, status in [(owner, 200), (colleague, 200), (outsider, 403)]:
        client.force_login(user)
        assert client.get(SEARCH, {"q": "hübner"}).status_code == status
