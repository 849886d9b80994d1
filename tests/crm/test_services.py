import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from crm import services
from crm.models import Contact, EmailAddress
from crm.signals import addresses_added
from tests.factories import make_contact, make_customer


def test_added_address_is_stored_as_written_and_normalised(db):
    contact = make_contact()
    services.add_email_address(contact, "  Bernd@Hübner.Example.DE ")
    row = contact.email_addresses.get()
    assert (row.address, row.normalized) == (
        "Bernd@Hübner.Example.DE",
        "bernd@xn--hbner-kva.example.de",
    )


def test_invalid_address_is_refused_with_a_clear_error(db):
    contact = make_contact()
    with pytest.raises(ValidationError) as error:
        services.add_email_address(contact, "bernd at example.de")
    assert error.value.messages == ["„bernd at example.de“ ist keine gültige E-Mail-Adresse."]
    assert not contact.email_addresses.exists()


def test_address_the_record_owns_in_another_spelling_is_refused(db):
    contact = make_contact("Bernd", "Hübner", emails=["bernd@hübner.example.de"])
    with pytest.raises(ValidationError) as error:
        services.add_email_address(contact, "BERND@xn--hbner-kva.example.de")
    assert error.value.code == "duplicate"
    assert error.value.messages == [
        "Bernd Hübner hat die Adresse „BERND@xn--hbner-kva.example.de“ bereits."
    ]
    assert contact.email_addresses.count() == 1


def test_several_addresses_are_added_all_or_nothing(db):
    contact = make_contact()
    with pytest.raises(ValidationError):
        services.add_email_addresses(contact, ["ok@example.com", "broken"])
    assert not contact.email_addresses.exists()


def test_same_address_on_another_record_is_allowed(db):
    first = make_contact(emails=["shared@example.com"])
    second = make_contact()
    customer = make_customer()
    services.add_email_address(second, "shared@example.com")
    services.add_email_address(customer, "Shared@Example.com")
    assert EmailAddress.objects.filter(normalized="shared@example.com").count() == 3
    assert first.email_addresses.count() == 1


def test_added_address_is_announced_after_commit_and_the_filed_mails_counted(
    transactional_db, receiver
):
    contact = make_contact()

    filed = services.add_email_address(contact, "Anna@Example.com")

    assert receiver == [
        {
            "signal": addresses_added,
            "contact_ids": [contact.pk],
            "customer_ids": [],
            "addresses": ["anna@example.com"],
        }
    ]
    assert filed == 2


def test_inside_a_transaction_the_announcement_waits_for_the_commit(transactional_db, receiver):
    customer = make_customer()
    with transaction.atomic():
        filed = services.add_email_address(customer, "info@example.com")
        assert receiver == []
    assert filed == 0
    assert receiver[0]["customer_ids"] == [customer.pk]
    assert receiver[0]["addresses"] == ["info@example.com"]


def test_a_rolled_back_change_is_never_announced(transactional_db, receiver):
    contact = make_contact()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.add_email_address(contact, "anna@example.com")
        raise RuntimeError
    assert receiver == []
    assert not contact.email_addresses.exists()


def test_without_receivers_nothing_is_filed(transactional_db):
    receivers = addresses_added.receivers
    addresses_added.receivers = []
    addresses_added.sender_receivers_cache.clear()
    try:
        assert services.add_email_address(make_contact(), "a@example.com") == 0
    finally:
        addresses_added.receivers = receivers
        addresses_added.sender_receivers_cache.clear()


def test_a_failing_receiver_is_logged_and_the_address_stays(transactional_db, receiver, caplog):
    def broken(sender, **kwargs):
        raise ValueError("archive down")

    addresses_added.connect(broken, weak=False, dispatch_uid="tests.crm.broken")
    try:
        with caplog.at_level(logging.ERROR, logger="crm.services"):
            filed = services.add_email_address(make_contact(), "a@example.com")
    finally:
        addresses_added.disconnect(dispatch_uid="tests.crm.broken")
    assert filed == 2  # the working receiver still counts
    assert EmailAddress.objects.filter(normalized="a@example.com").exists()
    assert "receiver" in caplog.text and "archive down" in caplog.text


def test_removing_an_address_sends_nothing(db, receiver, django_capture_on_commit_callbacks):
    contact = make_contact(emails=["a@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_email_address(contact.email_addresses.get())
    assert receiver == []
    assert not contact.email_addresses.exists()


def test_attaching_a_contact_announces_its_addresses_for_contact_and_customer(
    db, receiver, django_capture_on_commit_callbacks
):
    contact = make_contact(emails=["b@example.com", "a@example.com"])
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        services.attach_contact_to_customer(contact, customer)
    assert list(contact.customers.all()) == [customer]
    assert receiver[0]["contact_ids"] == [contact.pk]
    assert receiver[0]["customer_ids"] == [customer.pk]
    assert receiver[0]["addresses"] == ["a@example.com", "b@example.com"]


def test_attaching_twice_is_refused(db):
    customer = make_customer()
    contact = make_contact(customers=[customer])
    with pytest.raises(ValidationError):
        services.attach_contact_to_customer(contact, customer)
    assert contact.customers.count() == 1


def test_detaching_sends_nothing(db, receiver, django_capture_on_commit_callbacks):
    customer = make_customer()
    contact = make_contact(emails=["a@example.com"], customers=[customer])
    with django_capture_on_commit_callbacks(execute=True):
        services.detach_contact_from_customer(contact, customer)
    assert receiver == []
    assert not contact.customers.exists()


def test_a_new_contact_with_addresses_and_customer_is_one_announcement(
    db, receiver, django_capture_on_commit_callbacks
):
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        contact, _filed = services.create_contact(
            first_name="Anna",
            last_name="Berg",
            addresses=["Anna@Example.com", "anna@example.com", "a.berg@example.com"],
            customers=[customer],
        )
    assert contact.email_addresses.count() == 2
    assert len(receiver) == 1
    assert receiver[0]["customer_ids"] == [customer.pk]
    assert receiver[0]["addresses"] == ["a.berg@example.com", "anna@example.com"]


def test_a_contact_with_an_invalid_address_is_not_created(db):
    with pytest.raises(ValidationError):
        services.create_contact(last_name="Berg", addresses=["nope"])
    assert not Contact.objects.exists()


def test_correcting_the_spelling_only_announces_nothing(
    db, receiver, django_capture_on_commit_callbacks
):
    contact = make_contact(emails=["anna@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        services.change_email_address(contact.email_addresses.get(), "Anna@Example.com")
    assert contact.email_addresses.get().address == "Anna@Example.com"
    assert receiver == []


def test_changing_to_a_new_address_announces_it(db, receiver, django_capture_on_commit_callbacks):
    contact = make_contact(emails=["anna@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        services.change_email_address(contact.email_addresses.get(), "anna.berg@example.com")
    assert receiver[0]["addresses"] == ["anna.berg@example.com"]


def test_customer_number_must_be_unique(db):
    make_customer(number="K1")
    with pytest.raises(ValidationError) as error:
        services.create_customer(number="K1", name="Zweiter")
    assert "number" in error.value.message_dict
