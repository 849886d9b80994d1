"""Storing fetched mail: parse once, keep the raw bytes, insert the rows in bulk.

Independent of IMAP: an item is anything with `uid`, `raw` (bytes) and `flags`, so an import of
mail files can use it with UIDs of its own. The caller owns the transaction that also advances
its cursor; everything here runs inside it.
"""

import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from django.db import IntegrityError, connections, models, reset_queries, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from organizer import storage
from organizer.models import Message, MessageAddress
from organizer.parsing import ParsedMessage, parse_message

logger = logging.getLogger(__name__)

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
# A stored message row: where it lies, then its parsed fields (prepared in the parse workers).
PLACE_COLUMNS = (
    "account",
    "folder",
    "uidvalidity",
    "uid",
    "seen",
    "flags",
    "archive_state",
    "synced_at",
)
MESSAGE_COLUMNS = PLACE_COLUMNS + Message.PARSED_FIELDS
UID = PLACE_COLUMNS.index("uid")
JSON_FIELDS = frozenset(
    f.name for f in Message._meta.concrete_fields if isinstance(f, models.JSONField)
)
DATETIME_FIELDS = frozenset(
    f.name for f in Message._meta.concrete_fields if isinstance(f, models.DateTimeField)
)


@dataclass
class StoreOutcome:
    created: list = field(default_factory=list)  # primary keys of the new Message rows
    reassociated: int = 0  # rows of an older UIDVALIDITY that took the new UID
    skipped: int = 0  # UIDs already stored (a re-run or a racing worker)
    parse_failed: int = 0


def store_messages(account, folder, items, *, reassociate=False):
    """Stores the items in `folder` under folder.uidvalidity; returns the new Message rows."""
    created = store_batch(account, folder, items, reassociate=reassociate).created
    return list(Message.objects.filter(pk__in=created).order_by("pk"))


def store_batch(account, folder, items, *, reassociate=False, preparation=None):
    """Like store_messages, with counts. With `reassociate`, a mail this folder already holds
    under an older UIDVALIDITY (same identity) takes the new UID instead of being stored twice.
    `preparation` (from prepare_in_background(items)) is the parsing of these items already
    under way in the parse workers.
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
        prepared = None
        if preparation is not None:
            prepared = preparation.results([int(item.uid) for item in pending])
        if prepared is None:
            prepared = _prepare_all([item.raw for item in pending])
        outcome.parse_failed = sum(1 for p in prepared if p.failed)
        if reassociate:
            pending, prepared = _reassociate(folder, uidvalidity, pending, prepared, outcome)
        place = _place(account, folder, uidvalidity)
        rows = [(*place(item), *p.row) for item, p in zip(pending, prepared, strict=True)]
        addresses = [p.addresses for p in prepared]
        for attempt in range(2):
            try:
                with transaction.atomic():
                    created = insert_rows(
                        Message,
                        MESSAGE_COLUMNS,
                        rows,
                        returning=True,
                        rows_per_statement=INSERT_ROWS,
                    )
                    insert_rows(
                        MessageAddress,
                        ("message", "role", "address"),
                        [
                            (pk, role, address)
                            for pk, pairs in zip(created, addresses, strict=True)
                            for role, address in pairs
                        ],
                    )
                break
            except IntegrityError:
                # A racing sync stored some of these UIDs first: theirs stand, ours are dropped.
                if attempt:
                    raise
                known = _stored_uids(folder, uidvalidity, [row[UID] for row in rows])
                outcome.skipped += len(known)
                kept = [
                    (row, a)
                    for row, a in zip(rows, addresses, strict=True)
                    if row[UID] not in known
                ]
                rows = [row for row, _a in kept]
                addresses = [a for _row, a in kept]
        outcome.created = created
    return outcome


# -- parse workers --------------------------------------------------------------------------------

PARALLEL_FROM = 100  # mails; fewer are parsed in this process (a worker round trip costs more)
PARALLEL_CHUNK = 50  # mails per task: small enough to keep every worker busy to the end
_local = threading.local()


@contextlib.contextmanager
def parse_workers(enabled=True):
    """While the block runs, store_batch parses mail and writes raw bytes in worker processes,
    one per CPU, so that parsing uses every core while this process fetches and inserts.

    The workers are forked on entry, before the caller starts threads of its own. Without a
    second CPU, inside a daemonic process (which may not have children, e.g. a django-q2
    worker with daemonize_workers on) or when forking fails, everything runs in this process.
    """
    count = os.cpu_count() or 1
    if (
        not enabled
        or count < 2
        or getattr(_local, "pool", None) is not None
        or multiprocessing.current_process().daemon
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield
        return
    try:
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
        pool.submit(int).result()  # forks the workers now
    except Exception:
        logger.warning("no parse workers; parsing in this process", exc_info=True)
        yield
        return
    _local.pool = pool
    try:
        yield
    finally:
        _local.pool = None
        pool.shutdown(wait=True, cancel_futures=True)


class _Preparation:
    """Items being parsed in the parse workers, by UID."""

    def __init__(self, uids, futures):
        self.uids = uids
        self.futures = futures

    def results(self, uids):
        """The _Prepared of these UIDs, in their order; None when the workers failed."""
        try:
            done = [prepared for future in self.futures for prepared in future.result()]
        except (BrokenProcessPool, RuntimeError):
            logger.warning("the parse workers failed; parsing in this process", exc_info=True)
            _local.pool = None
            return None
        by_uid = dict(zip(self.uids, done, strict=True))
        return [by_uid[uid] for uid in uids]


def prepare_in_background(items):
    """Starts parsing the items (and storing their raw bytes) in the parse workers, to be
    picked up by store_batch(items, preparation=...); None without workers or for a few."""
    pool = getattr(_local, "pool", None)
    if pool is None or len(items) < PARALLEL_FROM:
        return None
    uids = [int(item.uid) for item in items]
    raws = [item.raw for item in items]
    known = stored_raw(raws)
    try:
        futures = [
            pool.submit(_prepare, raws[start : start + PARALLEL_CHUNK], known)
            for start in range(0, len(raws), PARALLEL_CHUNK)
        ]
    except (BrokenProcessPool, RuntimeError):
        logger.warning("the parse workers failed; parsing in this process", exc_info=True)
        _local.pool = None
        return None
    return _Preparation(uids, futures)


def _prepare_all(raws):
    known = stored_raw(raws)
    pool = getattr(_local, "pool", None)
    if pool is None or len(raws) < PARALLEL_FROM:
        return _prepare(raws, known)
    chunks = [raws[start : start + PARALLEL_CHUNK] for start in range(0, len(raws), PARALLEL_CHUNK)]
    try:
        return [
            prepared
            for chunk in pool.map(_prepare, chunks, [known] * len(chunks))
            for prepared in chunk
        ]
    except (BrokenProcessPool, RuntimeError):
        logger.warning("the parse workers failed; parsing in this process", exc_info=True)
        _local.pool = None
        return _prepare(raws, known)


def stored_raw(raws):
    """{fingerprint: raw reference} of the raw mails that are stored already (the same mail in
    another folder or mailbox, or a batch stored again): they are not written twice."""
    fingerprints = sorted({hashlib.sha256(raw).hexdigest() for raw in raws})
    known = {}
    for start in range(0, len(fingerprints), CHUNK):
        known.update(
            Message.objects.filter(fingerprint__in=fingerprints[start : start + CHUNK])
            .order_by()
            .values_list("fingerprint", "raw_path")
        )
    there = storage.readable(set(known.values()))
    return {fingerprint: ref for fingerprint, ref in known.items() if ref in there}


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


@dataclass
class _Prepared:
    """One mail parsed, its raw bytes stored: the values of its parsed fields as the database
    takes them (in the order of Message.PARSED_FIELDS), and its address rows."""

    row: tuple
    addresses: list  # [(role, normal form)] for MessageAddress
    identity: str
    failed: bool


def _prepare(raws, known):
    """Parses each raw mail, keeps its bytes in the mail storage (one pack for all of them,
    leaving out those `known` to be stored: {fingerprint: raw reference}) and builds its row
    values. Runs in the parse workers (see parse_workers) or in this process."""
    parsed_mails = [_parse(raw) for raw in raws]
    refs = storage.save_pack(raws, [p.fingerprint for p in parsed_mails], known)
    adapt = _adapter()
    prepared = []
    for raw, parsed, ref in zip(raws, parsed_mails, refs, strict=True):
        addresses = _addresses(parsed)
        values = _values(parsed, raw, ref, addresses)
        row = tuple(adapt(name, values[name]) for name in Message.PARSED_FIELDS)
        prepared.append(_Prepared(row, addresses, parsed.identity, parsed.failed))
    return prepared


def _adapter():
    """adapt(field name, value): the value as the database driver takes it for that field of
    Message (what Field.get_db_prep_save would make of it, without a model instance). JSON is
    passed as text, which SQLite stores and PostgreSQL casts to jsonb."""
    ops = connections[router.db_for_write(Message)].ops

    def adapt(name, value):
        if name in JSON_FIELDS:
            return json.dumps(value)
        if name in DATETIME_FIELDS:
            return ops.adapt_datetimefield_value(value)
        return value

    return adapt


def _values(parsed, raw, path, addresses):
    author = parsed.author
    # Lists show who wrote the mail. Without a clear author they show the From address as
    # written, but never its display name, which may pose as someone else.
    shown = author or (parsed.from_[0] if parsed.from_ else None)
    values = {
        "identity": parsed.identity,
        "fingerprint": parsed.fingerprint,
        "raw_path": path,
        "size": parsed.size or len(raw),
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
        "author_address": shown.address if shown else "",
        "from_problem": parsed.from_problem,
        "text_body": parsed.text_body,
        "html_body": parsed.html_body,
        "attachments": [a.as_dict() for a in parsed.attachments],
        "has_attachments": bool(parsed.attachments),
        "search_addresses": " ".join(sorted({address for _role, address in addresses})),
        "parse_defects": list(parsed.defects),
        "parse_failed": parsed.failed,
    }
    return {name: _clean(value, MAX_LENGTHS.get(name)) for name, value in values.items()}


def _place(account, folder, uidvalidity):
    """place(item): the values of PLACE_COLUMNS for a fetched item of this folder."""
    adapt = _adapter()
    synced_at = adapt("synced_at", timezone.now())
    state = Message.ArchiveState.PENDING if account.auto_archive else Message.ArchiveState.NONE

    def place(item):
        flags, seen = _flags(item.flags)
        return (
            account.pk,
            folder.pk,
            uidvalidity,
            int(item.uid),
            seen,
            adapt("flags", flags),
            state,
            synced_at,
        )

    return place


def _addresses(parsed):
    """(role, normal form) of each address of the mail, once each. A normal form fits the
    column: crm.addresses refuses anything beyond the SMTP limit of 254 characters."""
    pairs = {}
    for attr, role in ADDRESS_ROLES:
        for mailbox in getattr(parsed, attr):
            if mailbox.normalized:
                pairs[(role, mailbox.normalized)] = None
    return list(pairs)


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


# -- bulk inserts ---------------------------------------------------------------------------------

# Fields whose Python value is already what every database driver takes: no conversion needed.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
)
_MAX_PARAMS = 30_000  # per statement; SQLite (>= 3.32) allows 32,766, PostgreSQL 65,535


def bulk_insert(objs, *, ignore_conflicts=False, rows_per_statement=500):
    """Inserts unsaved model instances of one model, like bulk_create(objs): the primary keys
    are set on them (not with ignore_conflicts, where rows that would break a unique constraint
    are silently left out), auto_now_add fields are filled, no signals are sent.

    What it saves: bulk_create compiles every value through the query machinery (about a
    third of a sync's time went there) and caps SQLite at 999 parameters per statement (24 mail
    rows); here each value only goes through its field's get_db_prep_save, plain text and
    number fields not even that, and a statement carries up to `rows_per_statement` rows.
    """
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    ops = connection.ops
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    prepare = [
        None if type(f) in _PLAIN_FIELDS or isinstance(f, models.ForeignKey) else f for f in fields
    ]
    auto = [f for f in fields if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)]
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    returning = ""
    if not ignore_conflicts:
        returning, _params = ops.return_insert_columns([meta.pk])
    suffix = ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or ""
    head = "{} {} ({}) VALUES ".format(
        ops.insert_statement(on_conflict=on_conflict),
        ops.quote_name(meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in fields),
    )
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    attnames = [f.attname for f in fields]

    def values_of(obj):
        for auto_field in auto:
            auto_field.pre_save(obj, True)
        values = [getattr(obj, name) for name in attnames]
        for index, prepared_field in enumerate(prepare):
            if prepared_field is not None:
                values[index] = prepared_field.get_db_prep_save(values[index], connection)
        return values

    if connection.vendor == "postgresql":
        # One prepared single-row statement, bound on the server and sent in a pipeline: the
        # client-side binding Django uses would re-split a statement of thousands of
        # placeholders in Python for every batch (psycopg caches only small ones).
        import psycopg

        sql = f"{head}{row_sql} {suffix} {returning}".rstrip()
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            for start in range(0, len(objs), rows_per_statement):
                chunk = objs[start : start + rows_per_statement]
                rows = [values_of(obj) for obj in chunk]
                cursor.executemany(sql, rows, returning=bool(returning))
                if returning:
                    for obj in chunk:
                        obj.pk = cursor.fetchone()[0]
                        cursor.nextset()
    else:
        per_statement = max(1, min(rows_per_statement, _MAX_PARAMS // len(fields)))
        with connection.cursor() as cursor:
            start = 0
            for size in _statement_sizes(len(objs), per_statement):
                chunk = objs[start : start + size]
                start += size
                params = [value for obj in chunk for value in values_of(obj)]
                sql = head + ", ".join([row_sql] * len(chunk))
                cursor.execute(f"{sql} {suffix} {returning}".rstrip(), params)
                if returning:
                    for obj, row in zip(chunk, cursor.fetchall(), strict=True):
                        obj.pk = row[0]
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs


def insert_rows(model, names, rows, *, returning=False, rows_per_statement=2000):
    """Inserts rows of plain values without model instances: tuples in the order of the field
    `names`, each value as the database driver takes it (a foreign key takes the related
    primary key). With `returning`, returns the new primary keys in the order of `rows`.

    PostgreSQL gets the rows by COPY; with `returning` their primary keys are drawn from the
    table's sequence first and copied with them. Elsewhere multi-row INSERTs of up to
    `rows_per_statement` rows.
    """
    if not rows:
        return [] if returning else None
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    ops = connection.ops
    table = ops.quote_name(meta.db_table)
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in names)
    pk = ops.quote_name(meta.pk.column)
    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
    head = f"INSERT INTO {table} ({columns}) VALUES "
    created = []
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(rows)],
                )
                created = sorted(row[0] for row in cursor.fetchall())
                columns = f"{pk}, {columns}"
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                if returning:
                    for key, row in zip(created, rows, strict=True):
                        copy.write_row((key, *row))
                else:
                    for row in rows:
                        copy.write_row(row)
        return created if returning else None
    largest = max(1, min(rows_per_statement, _MAX_PARAMS // len(names)))
    suffix = f" RETURNING {pk}" if returning else ""
    start = 0
    with connection.cursor() as cursor:
        for size in _statement_sizes(len(rows), largest):
            chunk = rows[start : start + size]
            start += size
            sql = head + ", ".join([row_sql] * size) + suffix
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                created.extend(row[0] for row in cursor.fetchall())
    return created if returning else None


def _statement_sizes(total, largest):
    """Rows per INSERT: full statements, then the rest in powers of two. Few distinct
    statements: SQLite's driver keeps its last prepared statements (see settings/database.py),
    and one of a few thousand parameters takes a lot of memory."""
    sizes = [largest] * (total // largest)
    rest = total % largest
    while rest:
        size = 1 << (rest.bit_length() - 1)
        sizes.append(size)
        rest -= size
    return sizes
