"""Writes of the archive: automatic filing of synced mail, manual filing and unfiling.

Everything here is idempotent and safe to run concurrently: a filed mail is unique by its
identity, a filing by (filed mail, record), and inserts that lose a race are ignored.
"""

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, reset_queries, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.translation import gettext as _

from archiving.models import BlockedAddress, FiledMail, Filing, FilingRemoval
from archiving.rules import (
    INCOMING,
    BlockList,
    MailFacts,
    decide,
    parse_block_entry,
    propose,
)
from crm.addresses import AddressTooLong, InvalidAddress
from crm.selectors import owned_by_a_record, records_by_address
from organizer.models import Folder, MailAccount, Message, MessageAddress
from organizer.store import bulk_insert

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MATCHING_ROLES = ("from", "sender", "to", "cc", "bcc")
# The fields of a message that facts_of() and ensure_filed_mails() read.
FACT_FIELDS = ("identity", "from_addresses", "sender", "to", "cc", "bcc", "from_problem")


@dataclass
class FilingResult:
    examined: int = 0  # mails the rule looked at
    filed: int = 0  # mails that got at least one new filing
    filings: int = 0  # new filings (a mail filed at two records counts twice)

    def add(self, other):
        self.examined += other.examined
        self.filed += other.filed
        self.filings += other.filings


def file_pending_messages(account, batch_size=BATCH_SIZE):
    """Files the account's synced mail that waits for filing, batch by batch."""
    result = FilingResult()
    pending = Message.objects.filter(account=account, archive_state=Message.ArchiveState.PENDING)
    if not account.auto_archive:
        # Switched off after the sync stored the mail: it is not filed.
        pending.update(archive_state=Message.ArchiveState.NONE)
        return result
    while True:
        reset_queries()  # see organizer.store.store_batch: DEBUG's query log would keep every batch
        ids = list(pending.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return result
        with transaction.atomic():
            # Mail that mentions no address any record owns cannot be filed: the rule only
            # looks at the rest (usually most mail of a mailbox is not from or to a contact).
            candidates = _mentioning_record_addresses(ids)
            batch = auto_file(account, _messages_for_filing(candidates) if candidates else [])
            batch.examined = len(ids)
            result.add(batch)
            Message.objects.filter(pk__in=ids).update(archive_state=Message.ArchiveState.DONE)


def _mentioning_record_addresses(ids):
    """The ids among `ids` of messages with a From, Sender, To, Cc or Bcc address that a
    record owns (MessageAddress holds the same normal forms the rule compares)."""
    return sorted(
        set(
            MessageAddress.objects.filter(
                owned_by_a_record("address"), message_id__in=ids, role__in=MATCHING_ROLES
            ).values_list("message_id", flat=True)
        )
    )


def file_retroactively(addresses, batch_size=BATCH_SIZE):
    """Re-examines mail already synced from accounts with automatic filing that mentions one of
    `addresses` (normal forms), after those addresses were added to records. Nothing is
    downloaded again. Returns a FilingResult.
    """
    result = FilingResult()
    message_ids = sorted(
        set(
            MessageAddress.objects.filter(
                address__in=set(addresses),
                role__in=MATCHING_ROLES,
                message__account__auto_archive=True,
            ).values_list("message_id", flat=True)
        )
    )
    for start in range(0, len(message_ids), batch_size):
        messages = _messages_for_filing(message_ids[start : start + batch_size])
        by_account = {}
        for message in messages:
            by_account.setdefault(message.account_id, (message.account, []))[1].append(message)
        with transaction.atomic():
            for account, account_messages in by_account.values():
                result.add(auto_file(account, account_messages))
    return result


class _Stored:
    """The fields of a stored message that the rule and ensure_filed_mails() read: a model
    instance per message costs more than the rule itself."""

    __slots__ = ("pk", "identity", *FACT_FIELDS[1:], "folder", "account", "account_id")

    def __init__(self, row, folders, accounts):
        (self.pk, self.identity, *facts, folder_id, self.account_id) = row
        for name, value in zip(FACT_FIELDS[1:], facts, strict=True):
            setattr(self, name, value)
        self.folder = folders[folder_id]
        self.account = accounts[self.account_id]


def _messages_for_filing(ids):
    """The messages with what the rule reads, their folders and accounts attached; the rest of
    their parsed fields is copied by ensure_filed_mails for the ones that become filed mails."""
    rows = list(
        Message.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", *FACT_FIELDS, "folder_id", "account_id")
    )
    folders = Folder.objects.in_bulk({row[-2] for row in rows})
    accounts = MailAccount.objects.defer("password_encrypted").in_bulk({row[-1] for row in rows})
    return [_Stored(row, folders, accounts) for row in rows]


def facts_of(message, own_addresses):
    def addresses(mailboxes):
        return tuple(m["normalized"] for m in mailboxes if m.get("normalized"))

    return MailFacts(
        from_=addresses(message.from_addresses),
        sender=addresses(message.sender),
        to=addresses(message.to),
        cc=addresses(message.cc),
        bcc=addresses(message.bcc),
        from_problem=message.from_problem,
        in_sent_folder=message.folder.role == Folder.Role.SENT,
        own_addresses=frozenset(own_addresses),
    )


def auto_file(account, messages):
    """Applies the rule to a batch of one account's messages with a constant number of queries:
    one address lookup, one block list read, and a few bulk reads and inserts.
    """
    result = FilingResult(examined=len(messages))
    own = account.own_addresses()
    blocklist = load_blocklist()
    decisions = [(m, decide(facts_of(m, own), blocklist)) for m in messages]
    wanted = {c.address for _m, d in decisions for c in d.candidates}
    if not wanted:
        return result

    owners = records_by_address(wanted)
    keys = {
        address: [_record_key(record) for record in records] for address, records in owners.items()
    }
    proposed = [(m, d, propose(d, keys)) for m, d in decisions]
    proposed = [(m, d, p) for m, d, p in proposed if p]
    if not proposed:
        return result

    filed_mails = ensure_filed_mails([m for m, _d, _p in proposed])
    filed_ids = [f.pk for f in filed_mails.values()]
    taken = set(
        FilingRemoval.objects.filter(filed_mail_id__in=filed_ids).values_list(
            "filed_mail_id", "content_type_id", "object_id"
        )
    )
    taken |= set(
        Filing.objects.filter(filed_mail_id__in=filed_ids).values_list(
            "filed_mail_id", "content_type_id", "object_id"
        )
    )
    new_filings = []
    newly_filed = set()
    for message, decision, proposals in proposed:
        filed_mail = filed_mails[message.identity]
        for proposal in proposals:
            key = (filed_mail.pk, *proposal.record_key)
            if key in taken:
                continue
            taken.add(key)
            newly_filed.add(filed_mail.pk)
            new_filings.append(
                Filing(
                    filed_mail=filed_mail,
                    content_type_id=proposal.record_key[0],
                    object_id=proposal.record_key[1],
                    mail_date=filed_mail.date,
                    direction=decision.direction,
                    source=Filing.Source.AUTOMATIC,
                    matched_address=proposal.address,
                    matched_role=proposal.role,
                    reason=proposal.reason,
                    account_address=account.email_address,
                )
            )
    # A concurrent worker may have filed the same mail a moment ago: its row wins.
    bulk_insert(new_filings, ignore_conflicts=True)
    result.filed = len(newly_filed)
    result.filings = len(new_filings)
    return result


def ensure_filed_mails(messages):
    """{identity: FiledMail} for the messages, copying the ones the archive does not hold yet."""
    identities = {m.identity for m in messages}
    found = _filed_mails_by_identity(identities)
    missing = {}
    for message in messages:
        if message.identity not in found and message.identity not in missing:
            missing[message.identity] = message.pk
    if missing:
        _copy_into_archive(sorted(missing.values()))
        found.update(_filed_mails_by_identity(set(missing)))
    return found


def _copy_into_archive(message_ids):
    """Copies the parsed fields of stored messages into new filed mails, inside the database
    (INSERT ... SELECT: bodies and address lists never travel through Python). A mail another
    worker archived meanwhile is left as it is."""
    connection = connections[router.db_for_write(FiledMail)]
    ops = connection.ops
    columns = ", ".join(
        ops.quote_name(Message._meta.get_field(name).column) for name in Message.PARSED_FIELDS
    )
    created_at = FiledMail._meta.get_field("created_at")
    suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, None, None) or ""
    for start in range(0, len(message_ids), BATCH_SIZE):
        chunk = message_ids[start : start + BATCH_SIZE]
        sql = (
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} "
            f"{ops.quote_name(FiledMail._meta.db_table)} "
            f"({columns}, {ops.quote_name(created_at.column)}) "
            f"SELECT {columns}, %s FROM {ops.quote_name(Message._meta.db_table)} "
            f"WHERE {ops.quote_name(Message._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))})"
            f" {suffix}"
        )
        now = created_at.get_db_prep_save(timezone.now(), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql.rstrip(), [now, *chunk])


def _filed_mails_by_identity(identities):
    rows = FiledMail.objects.filter(identity__in=identities).only("pk", "identity", "date")
    return {row.identity: row for row in rows}


def _record_key(record):
    return ContentType.objects.get_for_model(record).pk, record.pk


def direction_for(message):
    own = message.account.own_addresses()
    facts = facts_of(message, own)
    return decide(facts).direction


def file_message(message, record, user):
    """Files a synced message at a record by hand. Returns (filing, created).

    Manual filing works on every account and ignores the block list: it is the user's choice.
    """
    with transaction.atomic():
        filed_mail = ensure_filed_mails([message])[message.identity]
        return _file_by_hand(
            filed_mail, record, user, direction_for(message), message.account.email_address
        )


def file_filed_mail(filed_mail, record, user):
    """Files a mail that is in the archive already at one more record. Returns (filing, created)."""
    other = filed_mail.filings.order_by("pk").first()
    direction = other.direction if other else INCOMING
    with transaction.atomic():
        return _file_by_hand(filed_mail, record, user, direction, "")


def _file_by_hand(filed_mail, record, user, direction, account_address):
    content_type = ContentType.objects.get_for_model(record)
    # Filing by hand what was removed before is an explicit choice: it replaces the removal.
    FilingRemoval.objects.filter(
        filed_mail=filed_mail, content_type=content_type, object_id=record.pk
    ).delete()
    try:
        with transaction.atomic():
            return Filing.objects.get_or_create(
                filed_mail=filed_mail,
                content_type=content_type,
                object_id=record.pk,
                defaults={
                    "mail_date": filed_mail.date,
                    "direction": direction,
                    "source": Filing.Source.MANUAL,
                    "filed_by": user,
                    "account_address": account_address,
                    "reason": f"filed by hand by {user.get_username()}",
                },
            )
    except IntegrityError:
        return Filing.objects.get(
            filed_mail=filed_mail, content_type=content_type, object_id=record.pk
        ), False


def unfile(filing, user):
    """Removes a filing and remembers it, so that the automatic rule never recreates it."""
    with transaction.atomic():
        FilingRemoval.objects.update_or_create(
            filed_mail_id=filing.filed_mail_id,
            content_type_id=filing.content_type_id,
            object_id=filing.object_id,
            defaults={
                "removed_by": user,
                "removed_source": filing.source,
                "removed_reason": filing.reason,
            },
        )
        filing.delete()


def load_blocklist():
    entries = BlockedAddress.objects.values_list("kind", "value")
    addresses = {value for kind, value in entries if kind == BlockedAddress.Kind.ADDRESS}
    domains = {value for kind, value in entries if kind == BlockedAddress.Kind.DOMAIN}
    return BlockList(addresses, domains)


def block(value, user=None):
    """Adds an address or a domain to the block list; ValidationError when invalid or present."""
    try:
        kind, normalized = parse_block_entry(value)
    except AddressTooLong:
        raise ValidationError(
            _("“%(value)s” is longer than an e-mail address or domain may be."),
            code="too_long",
            params={"value": value},
        ) from None
    except InvalidAddress:
        raise ValidationError(
            _("“%(value)s” is neither an e-mail address nor a domain."),
            code="invalid",
            params={"value": value},
        ) from None
    try:
        with transaction.atomic():
            return BlockedAddress.objects.create(value=normalized, kind=kind, created_by=user)
    except IntegrityError:
        raise ValidationError(
            _("“%(value)s” is on the block list already."),
            code="duplicate",
            params={"value": normalized},
        ) from None


def unblock(value):
    """Removes an entry (given in any spelling); returns whether there was one."""
    try:
        _kind, normalized = parse_block_entry(value)
    except InvalidAddress:
        return False
    deleted, _rows = BlockedAddress.objects.filter(value=normalized).delete()
    return bool(deleted)
