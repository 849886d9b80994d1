import pytest

from crm.signals import addresses_added


@pytest.fixture
def receiver():
    """A receiver of crm.signals.addresses_added that records its calls and "files" 2 mails."""
    calls = []

    def record(sender, **kwargs):
        calls.append(kwargs)
        return 2

    addresses_added.connect(record, weak=False, dispatch_uid="tests.crm.receiver")
    yield calls
    addresses_added.disconnect(dispatch_uid="tests.crm.receiver")
