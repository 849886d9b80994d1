"""Storing fetched mail: parse once, keep the raw bytes, insert the rows in bulk.

Independent of IMAP: an item is anything with `uid`, `raw` (bytes) and `flags`, so an import of
mail files can use it with UIDs of its own. The caller owns the transaction that also advances
its cursor; everything here runs inside it.
"""

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import IntegrityError, reset_queries, transaction

from organizer import storage
from organizer.models import Message, MessageAddress
from organizer.parsing import ParsedMessage, parse_message

logger = logging.getLogger(__name__)

WRITERS = 4  # threads writing raw bytes to the mail storage
CHUNK = 500  # rows per IN (...) lookup and per bulk insert: below every database's limits
# Messages per INSERT: each statement carries the bodies, so smaller keeps peak memory down.
INSERT_ROWS = 100
ADDRESS_ROLES = (
    ("from_", MessageAddress.Role.FROM),
    ("sender", MessageAddress.Role.SENDER),
    ("reply_to", MessageAddress.Role.REPLY_TO),
    ("to", MessageAddress.Role.TO),
    ("cc", MessageAddress.Role.CC),
    ("bcc", MessageAddress.Role.BCC),
)
MAX_LENGTHS = {
    f.name: f.max_length
    for f in Message._meta.concrete_fields
    if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
}


@dataclass
class StoreOutcome:
    created: list = field(default_factory=list)  # new Message rows
    reassociated: int = 0  # rows of an older UIDVALIDITY that took the new UID
    skipped: int = 0  # UIDs already stored (a re-run or a racing worker)
    parse_failed: int = 0


def store_messages(account, folder, items, *, reassociate=False):
    """Stores the items in `folder` under folder.uidvalidity; returns the new Message rows."""
    return store_batch(account, folder, items, reassociate=reassociate).created


def store_batch(account, folder, items, *, reassociate=False):
    """Like store_messages, with counts. With `reassociate`, a mail this folder already holds
    under an older UIDVALIDITY (same identity) takes the new UID instead of being stored twice.
    """
    # With DEBUG on Django keeps every statement, mail bodies included, in a 9,000-entry log
    # that only requests reset; a long sync or import on a worker would hold it all.
    reset_queries()
    outcome = StoreOutcome()
    uidvalidity = folder.uidvalidity
    by_uid = {}
    for item in items:
        by_uid.setdefault(int(item.uid), item)
    with transaction.atomic():
        known = _stored_uids(folder, uidvalidity, list(by_uid))
        outcome.skipped += len(known)
        pending = [by_uid[uid] for uid in sorted(by_uid) if uid not in known]
        if not pending:
            return outcome
        # Raw bytes are written by a few threads while this one parses: file and network
        # writes release the GIL, so storing costs little beyond the parse itself.
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="raw-writer") as pool:
            paths = {}
            for item in pending:
                digest = hashlib.sha256(item.raw).hexdigest()
                if digest not in paths:
                    paths[digest] = pool.submit(storage.save_raw, item.raw, digest)
            parsed = [_parse(item.raw) for item in pending]
            paths = {digest: future.result() for digest, future in paths.items()}
        outcome.parse_failed = sum(1 for p in parsed if p.failed)
        if reassociate:
            pending, parsed = _reassociate(folder, uidvalidity, pending, parsed, outcome)
        rows = [
            _message(account, folder, uidvalidity, item, p, paths)
            for item, p in zip(pending, parsed, strict=True)
        ]
        addresses = [_addresses(p) for p in parsed]
        for attempt in range(2):
            try:
                with transaction.atomic():
                    created = Message.objects.bulk_create(rows, batch_size=INSERT_ROWS)
                    MessageAddress.objects.bulk_create(
                        [
                            MessageAddress(message=message, role=role, address=address)
                            for message, pairs in zip(created, addresses, strict=True)
                            for role, address in pairs
                        ],
                        batch_size=CHUNK * 4,
                    )
                break
            except IntegrityError:
                # A racing sync stored some of these UIDs first: theirs stand, ours are dropped.
                if attempt:
                    raise
                known = _stored_uids(folder, uidvalidity, [r.uid for r in rows])
                outcome.skipped += len(known)
                kept = [(r, a) for r, a in zip(rows, addresses, strict=True) if r.uid not in known]
                rows = [r for r, _a in kept]
                addresses = [a for _r, a in kept]
                for row in rows:
                    row.pk = None
        outcome.created = created
    return outcome


def _stored_uids(folder, uidvalidity, uids):
    found = set()
    for start in range(0, len(uids), CHUNK):
        found.update(
            Message.objects.filter(
                folder=folder, uidvalidity=uidvalidity, uid__in=uids[start : start + CHUNK]
            ).values_list("uid", flat=True)
        )
    return found


def _reassociate(folder, uidvalidity, items, parsed, outcome):
    identities = sorted({p.identity for p in parsed})
    stale = {}
    for start in range(0, len(identities), CHUNK):
        for row in (
            Message.objects.filter(folder=folder, identity__in=identities[start : start + CHUNK])
            .exclude(uidvalidity=uidvalidity)
            .only("pk", "identity", "uid", "uidvalidity", "flags", "seen")
            .order_by("uid")
        ):
            stale.setdefault(row.identity, []).append(row)
    moved = []
    rest_items, rest_parsed = [], []
    for item, p in zip(items, parsed, strict=True):
        candidates = stale.get(p.identity)
        if candidates:
            row = candidates.pop(0)
            row.uid, row.uidvalidity = int(item.uid), uidvalidity
            row.flags, row.seen = _flags(item.flags)
            moved.append(row)
        else:
            rest_items.append(item)
            rest_parsed.append(p)
    if moved:
        Message.objects.bulk_update(
            moved, ["uid", "uidvalidity", "flags", "seen"], batch_size=CHUNK
        )
        outcome.reassociated += len(moved)
    return rest_items, rest_parsed


def _parse(raw):
    try:
        return parse_message(raw)
    except Exception:
        # parse_message promises never to raise; should it, the mail is still kept.
        logger.exception("parse_message raised; the mail is stored unparsed")
        fingerprint = hashlib.sha256(raw).hexdigest()
        return ParsedMessage(
            fingerprint=fingerprint,
            identity=hashlib.sha256(b"raw\0" + fingerprint.encode()).hexdigest(),
            size=len(raw),
            defects=["the parser failed on this mail"],
            failed=True,
        )


def _flags(flags):
    flags = [f for f in flags if f.lower() != "\\recent"]
    return flags, any(f.lower() == "\\seen" for f in flags)


def _message(account, folder, uidvalidity, item, parsed, paths):
    path = paths.get(parsed.fingerprint) or storage.save_raw(item.raw, parsed.fingerprint)
    flags, seen = _flags(item.flags)
    author = parsed.author
    values = {
        "identity": parsed.identity,
        "fingerprint": parsed.fingerprint,
        "raw_path": path,
        "size": parsed.size or len(item.raw),
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": " ".join(parsed.references or []),
        "date": parsed.date,
        "subject": parsed.subject,
        "from_addresses": [m.as_dict() for m in parsed.from_],
        "sender": [m.as_dict() for m in parsed.sender],
        "reply_to": [m.as_dict() for m in parsed.reply_to],
        "to": [m.as_dict() for m in parsed.to],
        "cc": [m.as_dict() for m in parsed.cc],
        "bcc": [m.as_dict() for m in parsed.bcc],
        "author_name": author.name if author else "",
        "author_address": author.address if author else "",
        "from_problem": parsed.from_problem,
        "text_body": parsed.text_body,
        "html_body": parsed.html_body,
        "attachments": [a.as_dict() for a in parsed.attachments],
        "has_attachments": bool(parsed.attachments),
        "search_addresses": " ".join(sorted({address for _role, address in _addresses(parsed)})),
        "parse_defects": list(parsed.defects),
        "parse_failed": parsed.failed,
    }
    values = {name: _clean(value, MAX_LENGTHS.get(name)) for name, value in values.items()}
    return Message(
        account=account,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=int(item.uid),
        seen=seen,
        flags=flags,
        archive_state=(
            Message.ArchiveState.PENDING if account.auto_archive else Message.ArchiveState.NONE
        ),
        **values,
    )


def _addresses(parsed):
    pairs = []
    for attr, role in ADDRESS_ROLES:
        for mailbox in getattr(parsed, attr):
            if mailbox.normalized and (role, mailbox.normalized) not in pairs:
                pairs.append((role, mailbox.normalized[:320]))
    return pairs


def _clean(value, max_length=None):
    """Text every database stores: no NUL (PostgreSQL refuses it), no lone surrogates."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                value = value.encode("utf-8", "replace").decode("utf-8")
        if "\x00" in value:
            value = value.replace("\x00", "")
        if max_length and len(value) > max_length:
            value = value[:max_length]
        return value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
