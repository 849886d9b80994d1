import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crm.importing import import_contacts
from crm.models import Contact, Customer, EmailAddress
from tests.factories import make_contact, make_customer

HEADER = "customer_number,customer_name,first_name,last_name,emails"
E2E_CONTACTS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "e2e" / "contacts.csv"


def write_csv(tmp_path, *rows, header=HEADER, bom=False, newline="\n", name="contacts.csv"):
    path = tmp_path / name
    text = newline.join([header, *rows]) + newline
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def run(path, *args):
    out = StringIO()
    call_command("import_contacts", str(path), *args, stdout=out)
    return out.getvalue()


def test_rows_create_customers_contacts_and_normalised_addresses(db, tmp_path):
    path = write_csv(
        tmp_path,
        "K1,Hübner GmbH,Bernd,Hübner, Bernd@HÜBNER.example.DE ;b.h@example.com",
        "K1,Hübner GmbH,Anna,Berg,anna@example.com",
        "K2,Berg AG,,Empfang,empfang@berg.example",
    )

    output = run(path)

    assert "Rows: 3 created, 0 updated, 0 unchanged, 0 skipped." in output
    assert dict(Customer.objects.values_list("number", "name")) == {
        "K1": "Hübner GmbH",
        "K2": "Berg AG",
    }
    bernd = Contact.objects.get(last_name="Hübner")
    assert sorted(bernd.email_addresses.values_list("address", "normalized")) == [
        ("Bernd@HÜBNER.example.DE", "bernd@xn--hbner-kva.example.de"),
        ("b.h@example.com", "b.h@example.com"),
    ]
    assert list(bernd.customers.values_list("number", flat=True)) == ["K1"]


def test_running_twice_changes_nothing(db, tmp_path):
    path = write_csv(
        tmp_path,
        "K1,Hübner GmbH,Bernd,Hübner,bernd@example.de",
        "K2,Berg AG,Bernd,Hübner,bernd@example.de",
        "K2,Berg AG,Anna,Berg,anna@example.com;ANNA@example.com",
    )
    run(path)
    before = (
        list(Contact.objects.values_list("pk", "first_name", "last_name", "updated_at")),
        list(EmailAddress.objects.values_list("pk", "normalized")),
        list(Contact.customers.through.objects.values_list("pk", flat=True)),
        list(Customer.objects.values_list("pk", "updated_at")),
    )

    output = run(path)

    assert "Rows: 0 created, 0 updated, 3 unchanged, 0 skipped." in output
    after = (
        list(Contact.objects.values_list("pk", "first_name", "last_name", "updated_at")),
        list(EmailAddress.objects.values_list("pk", "normalized")),
        list(Contact.customers.through.objects.values_list("pk", flat=True)),
        list(Customer.objects.values_list("pk", "updated_at")),
    )
    assert after == before


def test_a_contact_on_two_rows_is_one_contact_on_two_customers(db, tmp_path):
    path = write_csv(
        tmp_path,
        "K1,Enron,Robin,Barbe,robin.barbe@enron.com",
        "K2,Dow Jones,Robin,Barbe,ROBIN.BARBE@enron.com ",
    )

    output = run(path)

    assert "Rows: 1 created, 1 updated, 0 unchanged, 0 skipped." in output
    robin = Contact.objects.get()
    assert sorted(robin.customers.values_list("number", flat=True)) == ["K1", "K2"]
    assert robin.email_addresses.count() == 1


def test_two_people_sharing_an_address_stay_two_contacts(db, tmp_path):
    path = write_csv(
        tmp_path,
        "K1,Enron,Kimberly,Bates,kimberly.bates@enron.com",
        "K1,Enron,Team,BatesShared,kimberly.bates@enron.com",
    )
    run(path)
    assert Contact.objects.count() == 2
    assert EmailAddress.objects.filter(normalized="kimberly.bates@enron.com").count() == 2


def test_same_name_at_the_same_customer_is_the_same_contact_and_gains_the_address(db, tmp_path):
    customer = make_customer(number="K1")
    anna = make_contact("Anna", "Berg", emails=["anna@old.example"], customers=[customer])
    path = write_csv(tmp_path, "K1,,anna,BERG,anna@new.example")

    output = run(path)

    assert "Rows: 0 created, 1 updated, 0 unchanged, 0 skipped." in output
    assert Contact.objects.get() == anna
    assert sorted(anna.email_addresses.values_list("normalized", flat=True)) == [
        "anna@new.example",
        "anna@old.example",
    ]


def test_same_name_elsewhere_without_a_shared_address_is_another_person(db, tmp_path):
    make_contact("Anna", "Berg", emails=["anna@one.example"], customers=[make_customer()])
    path = write_csv(tmp_path, "K9,Andere GmbH,Anna,Berg,anna@two.example")
    run(path)
    assert Contact.objects.filter(last_name="Berg").count() == 2


def test_an_existing_customer_keeps_its_name(db, tmp_path):
    make_customer("Hübner GmbH & Co. KG", number="K1")
    run(write_csv(tmp_path, "K1,Huebner,Bernd,Hübner,bernd@example.de"))
    assert Customer.objects.get().name == "Hübner GmbH & Co. KG"


def test_bad_rows_are_skipped_with_line_and_reason(db, tmp_path):
    path = write_csv(
        tmp_path,
        "K1,Hübner GmbH,Bernd,,bernd@example.de",
        "K1,Hübner GmbH,Anna,Berg,anna@example.com;not-an-address",
        ",Hübner GmbH,Carl,Clausen,carl@example.com",
        "K7,,Dora,Dietz,dora@example.com",
        "K1,Hübner GmbH,Emil,Ernst",
        "K1,Hübner GmbH,Frida,Fuchs,frida@example.com",
    )

    output = run(path)

    assert "line 2: skipped: last name is missing" in output
    assert "line 3: skipped: “not-an-address” is not a valid e-mail address" in output
    assert "line 4: skipped: customer number is missing" in output
    assert "line 5: skipped: customer K7 does not exist and the row has no customer name" in output
    assert "line 6: skipped: has 4 fields instead of 5" in output
    assert "Rows: 1 created, 0 updated, 0 unchanged, 5 skipped." in output
    assert list(Contact.objects.values_list("last_name", flat=True)) == ["Fuchs"]
    assert not EmailAddress.objects.filter(normalized="anna@example.com").exists()


def test_rows_with_a_nul_character_are_skipped_not_a_database_error(db, tmp_path):
    path = write_csv(
        tmp_path,
        "K1,Hübner GmbH,Be\x00rnd,Hübner,bernd@example.de",
        "K2,Berg\x00 AG,Anna,Berg,anna@example.com",
        "K1,Hübner GmbH,Carl,Clausen,ca\x00rl@example.com",
        "K1,Hübner GmbH,Frida,Fuchs,frida@example.com",
    )

    output = run(path)

    for line in (2, 3, 4):
        assert f"line {line}: skipped: contains a NUL character" in output
    assert list(Contact.objects.values_list("last_name", flat=True)) == ["Fuchs"]


def test_a_field_beyond_the_csv_limit_fails_the_command_with_its_line(db, tmp_path):
    path = write_csv(tmp_path, "K1,Hübner GmbH,Bernd,Hübner,b@example.de", "K2," + "x" * 200_000)
    with pytest.raises(CommandError, match="line 3: field larger than field limit"):
        run(path)
    assert not Customer.objects.exists()


def test_a_row_without_addresses_is_a_contact_without_addresses(db, tmp_path):
    run(write_csv(tmp_path, "K1,Hübner GmbH,Bernd,Hübner,"))
    bernd = Contact.objects.get()
    assert not bernd.email_addresses.exists()
    assert bernd.customers.get().number == "K1"


@pytest.mark.parametrize(("bom", "newline"), [(True, "\r\n"), (True, "\n"), (False, "\r\n")])
def test_byte_order_mark_and_crlf_line_ends_are_read(db, tmp_path, bom, newline):
    path = write_csv(
        tmp_path,
        "K1,Hübner GmbH,Bernd,Hübner,bernd@hübner.example.de",
        "K1,Hübner GmbH,Anna,Berg,anna@example.com",
        bom=bom,
        newline=newline,
    )
    output = run(path)
    assert "Rows: 2 created" in output
    assert Customer.objects.get().number == "K1"
    assert EmailAddress.objects.filter(normalized="bernd@xn--hbner-kva.example.de").exists()


def test_quoted_fields_and_blank_lines_are_fine(db, tmp_path):
    path = write_csv(
        tmp_path, '"K1","Hübner, Meier & Co",Bernd,Hübner,"a@example.com; b@example.com"', "", ""
    )
    assert "Rows: 1 created" in run(path)
    assert Customer.objects.get().name == "Hübner, Meier & Co"
    assert Contact.objects.get().email_addresses.count() == 2


def test_a_wrong_header_fails_the_command(db, tmp_path):
    path = write_csv(tmp_path, "K1,Hübner,Bernd,Hübner,b@example.com", header="number,name,email")
    with pytest.raises(CommandError, match="header must be customer_number,customer_name"):
        run(path)
    assert not Customer.objects.exists()


def test_a_file_that_is_not_utf8_fails_the_command(db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nK1,Hübner,Bernd,Hübner,b@example.com\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8 \\(line 2\\)"):
        run(path)


def test_a_missing_file_fails_the_command(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run(tmp_path / "nope.csv")


def test_dry_run_changes_nothing(db, tmp_path):
    output = run(write_csv(tmp_path, "K1,Hübner,Bernd,Hübner,b@example.com"), "--dry-run")
    assert "Dry run, nothing saved: 1 created" in output
    assert not Customer.objects.exists()


def test_the_import_announces_new_addresses_once(
    db, tmp_path, receiver, django_capture_on_commit_callbacks
):
    customer = make_customer(number="K1")
    make_contact("Anna", "Berg", emails=["anna@example.com"], customers=[customer])
    path = write_csv(
        tmp_path,
        "K1,,Anna,Berg,anna@example.com",  # unchanged
        "K2,Berg AG,Anna,Berg,anna@example.com",  # attached to a new customer
        "K2,Berg AG,Carl,Clausen,carl@example.com",  # new
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_contacts(path)
    anna, carl = Contact.objects.order_by("last_name")
    k2 = Customer.objects.get(number="K2")
    assert len(receiver) == 1
    assert receiver[0]["contact_ids"] == sorted([anna.pk, carl.pk])
    assert receiver[0]["customer_ids"] == [k2.pk]
    assert receiver[0]["addresses"] == ["anna@example.com", "carl@example.com"]


def test_the_number_of_queries_does_not_grow_with_the_rows(
    db, tmp_path, django_assert_max_num_queries
):
    rows = [f"K{n % 50},Kunde {n % 50},Vorname{n},Name{n},p{n}@example.com" for n in range(2000)]
    path = write_csv(tmp_path, *rows)
    # Loading (customers, contacts, addresses, links) plus a few batched inserts per table.
    with django_assert_max_num_queries(40):
        report = import_contacts(path)
    assert report.created == 2000
    assert EmailAddress.objects.count() == 2000


@pytest.mark.corpus
def test_the_e2e_contacts_import_as_the_scenario_describes(db, tmp_path):
    if not E2E_CONTACTS.exists():
        pytest.skip(f"corpus absent: {E2E_CONTACTS}")
    started = time.monotonic()
    first = run(E2E_CONTACTS)
    assert time.monotonic() - started < 10
    assert "0 skipped" in first
    # A contact on several rows (one per customer) is one contact on several customers ...
    barbe = Contact.objects.get(first_name="Robin", last_name="Barbe")
    assert sorted(barbe.customers.values_list("number", flat=True)) == ["K10015", "K10019"]
    team = Contact.objects.get(last_name="ShineShared177")
    assert team.customers.count() == 2
    # ... while two people who share an address stay two contacts.
    shine = Contact.objects.filter(email_addresses__normalized="david.shine@ubspainewebber.com")
    assert shine.count() == 2
    # Addresses written upper-case with spaces are normalised.
    assert EmailAddress.objects.filter(normalized="dalton.hogan@enron.com").exists()

    assert "0 created, 0 updated" in run(E2E_CONTACTS)
