import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from crm.models import Contact, Customer, EmailAddress, Invoice, Quote
from tests.factories import make_contact, make_customer, make_invoice, make_quote


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


def form_data(response):
    """The POST data an unchanged admin change form would send (main form and all inlines)."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = (
                [str(v) for v in value] if isinstance(value, list) else value
            )

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.initial_forms:
            add(form)
    return data


@pytest.mark.parametrize("model", [Customer, Contact, EmailAddress, Quote, Invoice])
def test_changelists_and_forms_load(admin_client, model):
    customer = make_customer(emails=["info@example.com"])
    make_contact(emails=["anna@example.com"], customers=[customer])
    make_quote(customer)
    make_invoice(customer)
    meta = model._meta
    changelist = reverse(f"admin:crm_{meta.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "example.com"}).status_code == 200
    assert admin_client.get(reverse(f"admin:crm_{meta.model_name}_add")).status_code == 200
    change = reverse(f"admin:crm_{meta.model_name}_change", args=[model.objects.first().pk])
    assert admin_client.get(change).status_code == 200


def test_changelist_search_finds_customers_by_address(admin_client):
    make_customer("Hübner GmbH", emails=["Info@Hübner.example.de"])
    make_customer("Berg AG")
    response = admin_client.get(
        reverse("admin:crm_customer_changelist"), {"q": "info@xn--hbner-kva.example.de"}
    )
    assert [c.name for c in response.context["cl"].result_list] == ["Hübner GmbH"]


def test_address_added_in_an_inline_goes_through_the_services(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    customer = make_customer(emails=["info@example.com"])
    url = reverse("admin:crm_customer_change", args=[customer.pk])
    data = form_data(admin_client.get(url))
    data["email_addresses-TOTAL_FORMS"] = "2"
    data["email_addresses-1-address"] = " Sales@Hübner.example.de "

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    row = customer.email_addresses.get(address="Sales@Hübner.example.de")
    assert row.normalized == "sales@xn--hbner-kva.example.de"
    assert receiver == [
        {
            "signal": receiver[0]["signal"],
            "contact_ids": [],
            "customer_ids": [customer.pk],
            "addresses": ["sales@xn--hbner-kva.example.de"],
        }
    ]


def test_a_duplicate_address_in_an_inline_is_an_error_not_a_crash(admin_client):
    customer = make_customer(emails=["info@example.com"])
    url = reverse("admin:crm_customer_change", args=[customer.pk])
    data = form_data(admin_client.get(url))
    data["email_addresses-TOTAL_FORMS"] = "2"
    data["email_addresses-1-address"] = "INFO@example.com"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Diese Adresse steht doppelt in der Liste." in response.content.decode()
    assert customer.email_addresses.count() == 1


def test_contact_attached_in_the_customer_inline_is_announced(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    customer = make_customer()
    contact = make_contact(emails=["anna@example.com"])
    url = reverse("admin:crm_customer_change", args=[customer.pk])
    data = form_data(admin_client.get(url))
    prefix = next(
        inline.formset.prefix
        for inline in admin_client.get(url).context["inline_admin_formsets"]
        if inline.formset.model is Contact.customers.through
    )
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data[f"{prefix}-0-contact"] = str(contact.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302
    assert list(contact.customers.all()) == [customer]
    assert receiver[0]["customer_ids"] == [customer.pk]
    assert receiver[0]["addresses"] == ["anna@example.com"]


def test_removing_an_address_in_an_inline_sends_nothing(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    contact = make_contact(emails=["anna@example.com", "berg@example.com"])
    url = reverse("admin:crm_contact_change", args=[contact.pk])
    data = form_data(admin_client.get(url))
    data["email_addresses-0-DELETE"] = "on"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302
    assert list(contact.email_addresses.values_list("address", flat=True)) == ["berg@example.com"]
    assert receiver == []


def test_address_added_on_its_own_page_goes_through_the_services(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    contact = make_contact()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:crm_emailaddress_add"),
            {"contact": contact.pk, "address": "Anna@Example.com"},
        )
    row = contact.email_addresses.get()
    assert response.status_code == 302
    assert row.normalized == "anna@example.com"
    assert receiver[0]["contact_ids"] == [contact.pk]


def test_address_page_refuses_a_duplicate_and_an_owner_less_address(admin_client):
    contact = make_contact(emails=["anna@example.com"])
    add = reverse("admin:crm_emailaddress_add")
    duplicate = admin_client.post(add, {"contact": contact.pk, "address": "ANNA@example.com"})
    orphan = admin_client.post(add, {"address": "x@example.com"})
    assert "hat die Adresse „ANNA@example.com“ bereits." in duplicate.content.decode()
    assert "Wählen Sie entweder einen Kontakt oder einen Kunden." in orphan.content.decode()
    assert EmailAddress.objects.count() == 1
