"""A big sync parses in worker processes and stores exactly what parsing in-process stores."""

import pytest

from organizer import store
from organizer import sync as sync_module
from organizer.mailgen import generate_mailbox
from organizer.models import Message, MessageAddress
from organizer.storage import pack_path, read_raw
from organizer.sync import sync_account
from tests.factories import make_mail_account

pytestmark = pytest.mark.django_db

SAME = list(Message.PARSED_FIELDS) + ["uid", "uidvalidity", "seen", "flags"]


def generated(n):
    contacts = [("Mira Albrecht", "mira.albrecht@nord.example.de"), ("Tom Carter", "t@c.example")]
    return [raw for _role, raw in generate_mailbox(n, contacts, "lena.vogt@example.com", seed=3)]


def stored(account):
    messages = Message.objects.filter(account=account).order_by("uid")
    rows = list(messages.values(*SAME))
    addresses = sorted(
        (message.uid, role, address)
        for message in messages
        for role, address in MessageAddress.objects.filter(message=message).values_list(
            "role", "address"
        )
    )
    return rows, addresses


def test_a_big_sync_in_worker_processes_stores_what_parsing_here_stores(dovecot, monkeypatch):
    raws = generated(230)
    user = dovecot.add_user()
    dovecot.append_many(user, "INBOX", raws)
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 120)  # two batches, pipelined
    started = []
    real_prepare = store.prepare_in_background

    def spy(items):
        preparation = real_prepare(items)
        started.append(preparation is not None)
        return preparation

    monkeypatch.setattr(sync_module, "prepare_in_background", spy)
    parallel = make_mail_account(server=dovecot, user=user)

    result = sync_account(parallel)

    assert result.ok and result.new == 230
    assert started == [True, True]
    monkeypatch.setattr(sync_module, "PARALLEL_FROM", 10**9)  # no workers
    here = make_mail_account(server=dovecot, user=user)
    assert sync_account(here).new == 230
    assert started == [True, True, False, False]
    assert stored(parallel) == stored(here)
    messages = Message.objects.filter(account=parallel).order_by("uid")
    assert [read_raw(m.raw_path) for m in messages] == raws
    # Raw mail is written in packs (one per parse task), and the second account's copy of the
    # same mail is not written again.
    assert 1 < len({pack_path(m.raw_path) for m in Message.objects.all()}) <= 10


def test_without_workers_a_big_batch_is_parsed_in_this_process(dovecot, monkeypatch):
    raws = generated(120)
    user = dovecot.add_user()
    dovecot.append_many(user, "INBOX", raws)
    monkeypatch.setattr(store.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    account = make_mail_account(server=dovecot, user=user)

    result = sync_account(account)

    assert result.ok and result.new == 120
    assert Message.objects.filter(account=account, parse_failed=False).count() == 120
