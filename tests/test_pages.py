"""The pages around the product: the start page, the language switch and the error pages."""

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.factories import make_mail_account, make_user

pytestmark = pytest.mark.django_db


def test_the_language_switch_works_before_logging_in(client):
    login = reverse("login")

    response = client.post(reverse("set_language"), {"language": "en", "next": login})
    page = client.get(login)

    assert response.status_code == 302 and response["Location"] == login
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in page.text


def test_the_start_page_is_the_crm_or_for_users_without_it_the_mailbox(client, owner, outsider):
    client.force_login(owner)
    assert client.get("/")["Location"] == reverse("crm:customer_list")
    client.force_login(outsider)
    assert client.get("/")["Location"] == reverse("organizer:mailbox")


def test_a_refused_page_says_so_in_german_within_the_layout(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("crm:customer_list"))

    assert response.status_code == 403
    assert 'data-testid="error-403"' in response.text
    assert "Sie dürfen diese Seite nicht sehen." in response.text
    assert reverse("organizer:my_settings") in response.text  # the usual header


def test_a_missing_page_says_so_without_telling_whose_it_is(client, owner):
    account = make_mail_account(make_user("other"))
    client.force_login(owner)

    missing = client.get(reverse("crm:customer_detail", args=[999_999]))
    foreign = client.get(reverse("organizer:account_edit", args=[account.pk]))

    assert missing.status_code == foreign.status_code == 404
    for response in (missing, foreign):
        assert 'data-testid="error-404"' in response.text
        assert "Diese Seite gibt es nicht, oder sie ist nicht für Sie bestimmt." in response.text


def test_the_server_error_page_needs_no_request_context():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in response.content.decode()
