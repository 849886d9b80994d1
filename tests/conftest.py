import pytest


@pytest.fixture
def owner(db):
    from tests.factories import make_user

    return make_user("owner")


@pytest.fixture
def colleague(db):
    from tests.factories import make_user

    return make_user("colleague")


@pytest.fixture
def outsider(db):
    """A logged-in user without CRM permissions."""
    from tests.factories import make_user

    return make_user("outsider", crm=False)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} ({settings.DATABASES['default']['NAME']})"


# -- IMAP: one private Dovecot per test session; each test makes its own users ------------------


@pytest.fixture(scope="session")
def dovecot():
    from tests.dovecot import Dovecot, DovecotUnavailable

    try:
        server = Dovecot().start()
    except DovecotUnavailable as exc:
        pytest.skip(f"no Dovecot for IMAP tests: {exc}")
    yield server
    server.stop()


@pytest.fixture
def imap_proxy(dovecot):
    """A fault-injecting proxy in front of the session's Dovecot (see tests/imap_proxy.py)."""
    from tests.imap_proxy import ImapProxy

    proxy = ImapProxy(dovecot.port)
    yield proxy
    proxy.stop()


@pytest.fixture
def no_waits(monkeypatch):
    """Back-off waits of the sync return at once; the list records what was asked for."""
    waits = []
    monkeypatch.setattr("organizer.sync.sleep", waits.append)
    return waits


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (German): LocaleMiddleware leaves the language of
    a test client's request active in the thread, which would otherwise reach the next test."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def in_english(client):
    """Messages for users in English (the msgids), whatever the default language is: in the
    test's own code and in the pages the test client gets (LocaleMiddleware picks the language
    per request, from the language cookie)."""
    from django.conf import settings
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
