from crm.selectors import contacts_owning, email_address_of, records_by_address
from tests.factories import make_contact, make_customer


def test_same_address_may_stand_on_several_contacts_and_both_are_found(db):
    kim = make_contact("Kimberly", "Bates", emails=["Kimberly.Bates@enron.com"])
    team = make_contact("Team", "Bates", emails=[" kimberly.bates@ENRON.com "])

    found = records_by_address(["kimberly.bates@enron.com"])

    assert found == {"kimberly.bates@enron.com": [kim, team]}
    assert set(contacts_owning("kimberly.bates@enron.com")) == {kim, team}


def test_records_by_address_finds_customers_after_contacts(db):
    customer = make_customer(emails=["info@hübner.example.de"])
    contact = make_contact(emails=["info@xn--hbner-kva.example.de"])

    found = records_by_address(["info@xn--hbner-kva.example.de", "nobody@example.com"])

    assert found == {"info@xn--hbner-kva.example.de": [contact, customer]}


def test_records_by_address_is_one_query_for_many_addresses(db, django_assert_num_queries):
    make_contact(emails=["a@example.com"])
    with django_assert_num_queries(1):
        records_by_address([f"x{n}@example.com" for n in range(1500)] + ["a@example.com"])


def test_email_address_of_finds_the_row_in_any_spelling(db):
    contact = make_contact(emails=["Bernd@Hübner.example.de"])
    row = email_address_of(contact, "BERND@xn--hbner-kva.example.de")
    assert row.address == "Bernd@Hübner.example.de"
