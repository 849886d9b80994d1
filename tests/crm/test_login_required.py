import pytest
from django.urls import URLPattern, reverse

from crm import urls


def crm_urls():
    """Every URL of the crm app, with 1 for each argument (the records need not exist)."""
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        args = [1] * len(pattern.pattern.converters)
        yield reverse(f"crm:{pattern.name}", args=args)


@pytest.mark.parametrize("url", list(crm_urls()))
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_crm_page_sends_anonymous_users_to_the_login(client, db, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_all_crm_url_names_are_walked():
    names = {pattern.name for pattern in urls.urlpatterns}
    assert {
        "customer_list",
        "customer_detail",
        "contact_list",
        "contact_detail",
        "quote_detail",
        "invoice_detail",
        "record_search",
    } <= names
    assert len(list(crm_urls())) == len(names)
