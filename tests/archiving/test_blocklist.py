"""The Archivierungs-Sperrliste: page, permission, service and command."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from archiving.models import BlockedAddress
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    user = make_user("blockadmin")
    user.user_permissions.add(Permission.objects.get(codename="manage_blocklist"))
    return user


def test_page_lists_entries_and_adds_with_the_green_button(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("archiving:blocklist"), {"value": " @Bounces.Example.DE "})
    page = client.get(reverse("archiving:blocklist"))

    assert response.status_code == 302
    assert BlockedAddress.objects.get().value == "bounces.example.de"
    assert "bounces.example.de" in page.text
    assert 'class="btn-add"' in page.text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("kein text", "neither an e-mail address nor a domain"),
        ("", "required"),
        # 317 characters as typed, 407 in punycode: too long for the column as stored.
        (".".join(["ä" * 20] * 15) + ".de", "longer than an e-mail address or domain may be"),
        ("x@" + ".".join(["a" * 60] * 5), "longer than an e-mail address or domain may be"),
    ],
)
def test_invalid_entries_get_a_clear_error(client, admin_user, in_english, value, message):
    client.force_login(admin_user)

    response = client.post(reverse("archiving:blocklist"), {"value": value})

    assert response.status_code == 400
    assert message in response.text
    assert not BlockedAddress.objects.exists()


def test_duplicates_in_another_spelling_are_refused(client, admin_user, in_english):
    client.force_login(admin_user)
    client.post(reverse("archiving:blocklist"), {"value": "newsletter@example.org"})

    response = client.post(reverse("archiving:blocklist"), {"value": "NEWSLETTER@Example.org"})

    assert "on the block list already" in response.text
    assert BlockedAddress.objects.count() == 1


def test_remove(client, admin_user):
    client.force_login(admin_user)
    client.post(reverse("archiving:blocklist"), {"value": "example.com"})
    entry = BlockedAddress.objects.get()

    client.post(reverse("archiving:blocklist_remove", args=[entry.pk]))

    assert not BlockedAddress.objects.exists()


def test_users_without_the_permission_cannot_see_or_change_it(client, owner):
    BlockedAddress.objects.create(value="example.com", kind="domain")
    client.force_login(owner)  # may see the CRM, not the block list

    assert client.get(reverse("archiving:blocklist")).status_code == 403
    assert client.post(reverse("archiving:blocklist"), {"value": "x.de"}).status_code == 403
    entry = BlockedAddress.objects.get()
    assert client.post(reverse("archiving:blocklist_remove", args=[entry.pk])).status_code == 403
    assert BlockedAddress.objects.count() == 1


def test_settings_home_links_the_page_only_with_the_permission(client, owner, admin_user):
    client.force_login(owner)
    assert reverse("archiving:blocklist") not in client.get(reverse("settings_home")).text
    client.force_login(admin_user)
    assert reverse("archiving:blocklist") in client.get(reverse("settings_home")).text


def test_command_adds_lists_and_removes(capsys, in_english):
    call_command("blocklist", "add", "@Example.COM")
    call_command("blocklist", "add", "Newsletter@example.org")
    call_command("blocklist", "list")
    listed = capsys.readouterr().out
    call_command("blocklist", "remove", "example.com")

    assert "example.com\tdomain" in listed and "newsletter@example.org\taddress" in listed
    assert list(BlockedAddress.objects.values_list("value", flat=True)) == [
        "newsletter@example.org"
    ]
    with pytest.raises(CommandError, match="already"):
        call_command("blocklist", "add", "NEWSLETTER@example.org")
    with pytest.raises(CommandError, match="not on the block list"):
        call_command("blocklist", "remove", "nothing.example")


def test_unicode_domains_are_shown_in_unicode_and_ip_addresses_are_refused(
    client, admin_user, in_english
):
    client.force_login(admin_user)
    client.post(reverse("archiving:blocklist"), {"value": "müller-test.de"})

    page = client.get(reverse("archiving:blocklist"))
    refused = client.post(reverse("archiving:blocklist"), {"value": "1.2.3.4"})

    assert BlockedAddress.objects.get().value == "xn--mller-test-9db.de"
    assert "müller-test.de" in page.text
    assert refused.status_code == 400
    assert BlockedAddress.objects.count() == 1


def test_entries_are_listed_in_their_unicode_spelling_in_alphabetical_order(client, admin_user):
    admin_user.first_name, admin_user.last_name = "Lena", "Vogt"
    admin_user.save()
    client.force_login(admin_user)
    for value in ("x@a.example", "bücher.example", "Zeta.example", "amt.example"):
        client.post(reverse("archiving:blocklist"), {"value": value})

    page = client.get(reverse("archiving:blocklist")).text
    table = page[page.index("<table") :]  # after the notices of the additions

    order = [
        table.index(v) for v in ("amt.example", "bücher.example", "x@a.example", "zeta.example")
    ]
    assert order == sorted(order)
    assert "(xn--bcher-kva.example)" in page
    assert "· Lena Vogt" in page
