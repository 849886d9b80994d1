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
