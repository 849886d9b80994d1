"""Sync of one mail account with its IMAP server: one path, from lock to summary.

    sync_account(account)            Inbox and Sent (the folders that sync automatically)
    sync_account(account, ["Kunden"]) a folder on demand

Per folder the cursor is (UIDVALIDITY, last UID): every message up to last_uid is stored (or
gone from the server). New mail is fetched in bounded batches of raw bytes, and each batch is
stored and the cursor advanced in one transaction, so an interruption loses at most the batch
in flight and the next sync continues there. When nothing changed, one STATUS per folder is all
the server sees.
"""

import logging
import random
import secrets as token_source
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from organizer import imap
from organizer.models import Folder, MailAccount, Message
from organizer.parsing import parse_message
from organizer.secrets import UnreadablePassword, decrypt_password
from organizer.store import (
    CHUNK,
    PARALLEL_FROM,
    parse_workers,
    prepare_in_background,
    store_batch,
)

logger = logging.getLogger(__name__)

FILING_TASK = "archiving.tasks.file_pending_messages"
FILE_PENDING = "archiving.services.file_pending_messages"
LOCK_LEASE = timedelta(minutes=10)  # renewed per batch; a crashed worker blocks no longer
BATCH_MESSAGES = 500
BATCH_BYTES = 16 * 1024 * 1024
MAX_RECONNECTS = 3  # per run, for lost connections and timeouts
RECONNECT_DELAY = 2.0  # seconds, doubled per reconnect
MAX_THROTTLE_WAITS = 5  # per run
MAX_THROTTLE_WAIT = 120.0  # seconds; a server asking for longer is tried again later
RETRY_DELAY = 60.0  # seconds after the first failed run, doubled per failure
MAX_RETRY_DELAY = 6 * 3600.0

# Waits go through this name so that tests can replace it.
sleep = time.sleep


@dataclass
class SyncResult:
    account_id: int
    new: int = 0
    updated: int = 0  # flags changed, or re-associated after a UIDVALIDITY change
    removed: int = 0  # gone from the server
    errors: list = field(default_factory=list)  # plain words, one per problem
    skipped_because_running: bool = False
    failed: bool = False  # the run stopped before it was complete
    error_kind: str = ""
    throttled: int = 0  # waits the server asked for
    reconnects: int = 0
    already_stored: int = 0
    parse_failed: int = 0  # stored with a parse-error mark
    filed: int = 0  # mails filed in this process (file_async=False)
    folders: list = field(default_factory=list)  # display names of the folders synced
    seconds: float = 0.0

    @property
    def ok(self):
        return not self.failed and not self.errors

    def summary(self):
        return {
            "new": self.new,
            "updated": self.updated,
            "removed": self.removed,
            "errors": len(self.errors),
            "skipped_because_running": self.skipped_because_running,
            "failed": self.failed,
        }


class LockLost(Exception):
    pass


class FolderNotFound(Exception):
    pass


# -- the lock -------------------------------------------------------------------------------------


def claim_lock(account, lease=None):
    """A token when this caller may sync the account now, else None.

    A conditional UPDATE: of two callers, exactly one changes the row, on every database and
    across hosts. The lease expires by itself so a crashed worker blocks nobody for long.
    """
    now = timezone.now()
    token = token_source.token_hex(16)
    claimed = (
        MailAccount.objects.filter(pk=account.pk)
        .filter(Q(sync_lock_until__isnull=True) | Q(sync_lock_until__lt=now))
        .update(sync_lock_until=now + (lease or LOCK_LEASE), sync_lock_token=token)
    )
    return token if claimed == 1 else None


def renew_lock(account, token, lease=None):
    renewed = MailAccount.objects.filter(pk=account.pk, sync_lock_token=token).update(
        sync_lock_until=timezone.now() + (lease or LOCK_LEASE)
    )
    if renewed != 1:
        raise LockLost(account.pk)


def release_lock(account, token):
    MailAccount.objects.filter(pk=account.pk, sync_lock_token=token).update(
        sync_lock_until=None, sync_lock_token=""
    )


# -- the filing hook ------------------------------------------------------------------------------


def enqueue_filing(account_id):
    """Once the batch is committed, file its mail on the worker (organizer never imports
    archiving: the task is named by its dotted path)."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(FILING_TASK, account_id, task_name=f"file-pending-{account_id}")
    )


def file_here(account, *, quiet=True):
    """Files the account's pending mail in this process; returns how many mails were filed.
    quietly: a failure is logged and leaves the mail pending for the next filing, so that it
    never stops the sync or import that stored the mail; otherwise it raises FilingFailed."""
    try:
        return import_string(FILE_PENDING)(account).filed
    except Exception as exc:
        logger.exception("filing the mail of %s failed; it stays pending", account)
        if quiet:
            return 0
        raise FilingFailed(
            _("Filing failed (%(error)s); the mail stays pending and is filed on the next run.")
            % {"error": exc}
        ) from exc


class FilingFailed(Exception):
    pass


# -- the account ----------------------------------------------------------------------------------


def sync_account(account, folder_names=None, progress=None, *, file_async=True):
    """Syncs the account's automatic folders, or the named ones. Never raises for server trouble:
    failures are recorded on the account and in the result.

    progress(folder, done, total) is called per stored batch. Each stored batch is filed on the
    worker, or with file_async=False here, right after it is committed: the parse workers
    prepare the next batch meanwhile (the foreground command and the benchmark).
    """
    started = time.monotonic()
    result = SyncResult(account_id=account.pk)
    token = claim_lock(account)
    if token is None:
        logger.info("sync of %s skipped, sync already running", account)
        result.skipped_because_running = True
        return result
    try:
        _Run(account, token, result, progress, file_async).run(folder_names)
    except FolderNotFound as exc:
        result.errors.append(_("Folder %(name)s not found on the server.") % {"name": exc})
        result.failed = True
    except LockLost:
        logger.warning("sync of %s stopped: its lock was taken over", account)
        result.errors.append(_("The sync was taken over by another worker."))
        result.failed = True
    except imap.ImapError as exc:
        _record_failure(account, exc, result)
    except UnreadablePassword:
        _record_failure(
            account,
            imap.ImapError("auth", _("The stored password cannot be read; enter it again.")),
            result,
        )
    except Exception:
        logger.exception("sync of %s failed", account)
        _record_failure(
            account, imap.ImapError("protocol", _("An internal error stopped the sync.")), result
        )
    else:
        _record_success(account)
    finally:
        release_lock(account, token)
        result.seconds = time.monotonic() - started
    logger.info(
        "sync of %s %s in %.2fs: %d new, %d updated, %d removed, %d already stored, "
        "%d unparseable, %d throttled, %d reconnects, %d errors",
        account,
        "failed" if result.failed else ("finished with errors" if result.errors else "done"),
        result.seconds,
        result.new,
        result.updated,
        result.removed,
        result.already_stored,
        result.parse_failed,
        result.throttled,
        result.reconnects,
        len(result.errors),
    )
    return result


def _record_success(account):
    values = {
        "last_sync_at": timezone.now(),
        "last_error": "",
        "last_error_at": None,
        "failure_count": 0,
        "next_attempt_at": None,
    }
    MailAccount.objects.filter(pk=account.pk).update(**values)
    for name, value in values.items():
        setattr(account, name, value)


def retry_delay(failures, at_least=None):
    """Seconds until the next attempt after `failures` failed runs in a row (with jitter)."""
    delay = min(MAX_RETRY_DELAY, RETRY_DELAY * 2 ** max(0, failures - 1))
    delay *= random.uniform(0.8, 1.2)
    return max(delay, at_least or 0)


def _record_failure(account, error, result):
    result.failed = True
    result.error_kind = error.kind
    result.errors.append(error.message)
    now = timezone.now()
    failures = account.failure_count + 1
    values = {
        "last_error": error.message,
        "last_error_at": now,
        "next_attempt_at": now + timedelta(seconds=retry_delay(failures, error.retry_after)),
    }
    MailAccount.objects.filter(pk=account.pk).update(failure_count=F("failure_count") + 1, **values)
    for name, value in values.items():
        setattr(account, name, value)
    account.failure_count = failures
    log = logger.error if failures == settings.ABLAGE_SYNC_ATTENTION_AFTER else logger.warning
    log(
        "sync of %s failed (%s, %d in a row%s): %s",
        account,
        error.kind,
        failures,
        ", needs attention" if account.needs_attention else "",
        error.detail or error.message,
    )


class _Run:
    def __init__(self, account, token, result, progress, file_async):
        self.account = account
        self.token = token
        self.result = result
        self.progress = progress
        self.file_async = file_async

    def run(self, folder_names):
        account = self.account
        password = decrypt_password(account.password_encrypted)
        done = set()
        reconnects = throttle_waits = 0
        while True:
            try:
                with imap.connect(
                    account.host, account.port, account.security, account.login, password
                ) as conn:
                    folders = self.discover(conn)
                    targets = self.targets(folders, folder_names)
                    failures = []
                    for folder in targets:
                        if folder.pk in done:
                            continue
                        renew_lock(account, self.token)
                        try:
                            self.sync_folder(conn, folder)
                        except imap.ImapError as exc:
                            if not exc.folder_level:
                                raise
                            self.folder_failed(folder, exc)
                            failures.append(exc)
                        done.add(folder.pk)
                if targets and len(failures) == len(targets):
                    # Not one folder could be read: the account as a whole is in trouble.
                    raise failures[0]
                return
            except imap.ImapError as exc:
                if exc.kind == "throttled" and throttle_waits < MAX_THROTTLE_WAITS:
                    wait = max(exc.retry_after or RECONNECT_DELAY, 1.0)
                    if wait <= MAX_THROTTLE_WAIT:
                        throttle_waits += 1
                        self.result.throttled += 1
                        logger.info("%s throttles %s; waiting %.1fs", account.host, account, wait)
                        sleep(wait * random.uniform(1.0, 1.2))
                        continue
                if exc.kind in ("connection", "timeout") and reconnects < MAX_RECONNECTS:
                    reconnects += 1
                    self.result.reconnects += 1
                    wait = RECONNECT_DELAY * 2 ** (reconnects - 1) * random.uniform(1.0, 1.3)
                    logger.info(
                        "connection to %s lost (%s); retrying in %.1fs",
                        account.host,
                        exc.detail or exc.kind,
                        wait,
                    )
                    sleep(wait)
                    continue
                raise

    # folders

    def discover(self, conn):
        """Brings the account's Folder rows in line with the server's LIST; returns them by name."""
        account = self.account
        infos = conn.list_folders()
        existing = {f.name: f for f in Folder.objects.filter(account=account)}
        # Imported folders belong to no server: a server folder of the same name is left out
        # rather than let it take over (and expunge) the imported mail.
        imported = {name for name, f in existing.items() if f.is_imported}
        for info in infos:
            if info.name in imported:
                logger.warning(
                    "folder %s of %s is skipped: an imported folder has that name",
                    info.name,
                    account,
                )
        infos = [i for i in infos if i.name not in imported]
        existing = {n: f for n, f in existing.items() if n not in imported}
        names = {i.name for i in infos}
        new = [i for i in infos if i.name not in existing and i.selectable]
        gone = [f for n, f in existing.items() if n not in names and f.exists_on_server]
        if gone and new:
            self.detect_renames(conn, existing, gone, new)
        for info in infos:
            values = {
                "display_name": info.display_name[:1000],
                "delimiter": info.delimiter[:4],
                "role": info.role,
                # \Marked comes and goes with new mail: not worth a write per sync.
                "flags": [f for f in info.flags if f.lower() not in ("\\marked", "\\unmarked")],
                "selectable": info.selectable,
                "exists_on_server": True,
            }
            folder = existing.get(info.name)
            if folder is None:
                existing[info.name] = Folder.objects.create(
                    account=account, name=info.name, **values
                )
                continue
            changed = [k for k, v in values.items() if getattr(folder, k) != v]
            if changed:
                for k in changed:
                    setattr(folder, k, values[k])
                folder.save(update_fields=changed)
        for folder in gone:
            if folder.name not in names and folder.exists_on_server:
                folder.exists_on_server = False
                folder.save(update_fields=["exists_on_server"])
                logger.info("folder %s of %s is gone from the server", folder.name, account)
        return existing

    def detect_renames(self, conn, existing, gone, new):
        # A renamed folder keeps its UIDVALIDITY (RFC 3501): the row, its mail and its cursor
        # move to the new name instead of the mail being fetched again.
        by_uidvalidity = {}
        for folder in gone:
            if folder.uidvalidity:
                by_uidvalidity.setdefault(folder.uidvalidity, []).append(folder)
        if not by_uidvalidity:
            return
        for info in new:
            try:
                status = conn.status(info.name)
            except imap.ImapError as exc:
                if not exc.folder_level:
                    raise
                continue
            candidates = by_uidvalidity.get(status.uidvalidity) or []
            if len(candidates) != 1:
                continue
            folder = candidates.pop()
            logger.info("folder %s of %s was renamed to %s", folder.name, self.account, info.name)
            del existing[folder.name]
            folder.name = info.name
            folder.save(update_fields=["name"])
            existing[info.name] = folder
            gone.remove(folder)

    def targets(self, folders, folder_names):
        if folder_names is None:
            return [
                f
                for f in sorted(folders.values(), key=lambda f: (f.role != "inbox", f.name))
                if f.syncs_automatically and f.selectable and f.exists_on_server
            ]
        chosen = []
        for wanted in folder_names:
            match = next(
                (
                    f
                    for f in folders.values()
                    if f.exists_on_server
                    and (
                        wanted in (f.name, f.display_name)
                        or (wanted.upper() == "INBOX" and f.role == "inbox")
                    )
                ),
                None,
            )
            if match is None or not match.selectable:
                raise FolderNotFound(wanted)
            if match not in chosen:
                chosen.append(match)
        return chosen

    def folder_failed(self, folder, exc):
        logger.warning("folder %s of %s failed: %s", folder.name, self.account, exc)
        folder.last_error = exc.message
        folder.save(update_fields=["last_error"])
        self.result.errors.append(f"{folder.display_name}: {exc.message}")

    # one folder

    def sync_folder(self, conn, folder):
        status = conn.status(folder.name)
        if _unchanged(folder, status):
            return
        self.result.folders.append(folder.display_name)
        selected = conn.examine(folder.name)
        uidvalidity = selected.uidvalidity or status.uidvalidity
        if folder.uidvalidity is None:
            folder.uidvalidity = uidvalidity
        elif uidvalidity != folder.uidvalidity:
            self.uidvalidity_changed(conn, folder, uidvalidity)
        # Until this folder is complete, its stored counts say "changed" to the next STATUS.
        folder.server_message_count = None
        folder.save(update_fields=["uidvalidity", "server_message_count"])
        stale = Message.objects.filter(folder=folder).exclude(uidvalidity=folder.uidvalidity)
        reassociate = stale.exists()
        previous_last = folder.last_uid
        if selected.exists:
            self.fetch_new(conn, folder, reassociate)
        self.remove_expunged(conn, folder, selected)
        self.update_flags(conn, folder, previous_last, status)
        if reassociate:
            # What could not be matched under the new UIDVALIDITY leaves the mailbox view.
            removed, _detail = stale.delete()
            gone = _detail.get(Message._meta.label, 0)
            if gone:
                logger.info("%d messages of %s could not be re-associated", gone, folder.name)
            self.result.removed += gone
        folder.uidnext = status.uidnext
        folder.highest_modseq = status.highest_modseq or selected.highest_modseq
        folder.server_message_count = status.messages
        folder.unseen_count = status.unseen or 0
        folder.last_synced_at = timezone.now()
        folder.last_error = ""
        folder.save(
            update_fields=[
                "uidnext",
                "highest_modseq",
                "server_message_count",
                "unseen_count",
                "last_synced_at",
                "last_error",
            ]
        )

    def uidvalidity_changed(self, conn, folder, uidvalidity):
        """Re-associates stored mail with its new UIDs: by Message-ID and size from the headers,
        so that most of it is not downloaded again; the rest by identity when fetched."""
        logger.warning(
            "UIDVALIDITY of folder %s of %s changed from %s to %s; re-associating stored mail",
            folder.name,
            self.account,
            folder.uidvalidity,
            uidvalidity,
        )
        server = conn.list_messages(1, header_fields=("MESSAGE-ID",))
        by_key = {}
        for pk, message_id, size in (
            Message.objects.filter(folder=folder)
            .exclude(uidvalidity=uidvalidity)
            .exclude(message_id="")
            .order_by("uid")
            .values_list("pk", "message_id", "size")
        ):
            by_key.setdefault((message_id, size), []).append(pk)
        moved, unmatched = [], []
        for summary in server:
            message_id = parse_message(summary.header).message_id if summary.header.strip() else ""
            pks = by_key.get((message_id, summary.size)) if message_id else None
            if pks:
                flags = list(summary.flags)
                moved.append(
                    Message(
                        pk=pks.pop(0),
                        uid=summary.uid,
                        uidvalidity=uidvalidity,
                        flags=flags,
                        seen=any(f.lower() == "\\seen" for f in flags),
                    )
                )
            else:
                unmatched.append(summary.uid)
        with transaction.atomic():
            Message.objects.bulk_update(
                moved, ["uid", "uidvalidity", "flags", "seen"], batch_size=CHUNK
            )
            folder.uidvalidity = uidvalidity
            if unmatched:
                folder.last_uid = min(unmatched) - 1
            else:
                folder.last_uid = max((s.uid for s in server), default=0)
            folder.uidnext = folder.highest_modseq = folder.server_message_count = None
            folder.save(
                update_fields=[
                    "uidvalidity",
                    "last_uid",
                    "uidnext",
                    "highest_modseq",
                    "server_message_count",
                ]
            )
        self.result.updated += len(moved)

    def fetch_new(self, conn, folder, reassociate):
        listing = conn.list_messages(folder.last_uid + 1)
        if not listing:
            return
        stored = set()
        uids = [s.uid for s in listing]
        for start in range(0, len(uids), CHUNK):
            stored.update(
                Message.objects.filter(
                    folder=folder,
                    uidvalidity=folder.uidvalidity,
                    uid__in=uids[start : start + CHUNK],
                ).values_list("uid", flat=True)
            )
        todo = [s for s in listing if s.uid not in stored]
        self.result.already_stored += len(stored)
        total, done = len(todo), 0
        hole = None  # the lowest UID listed but not delivered: the cursor stays below it
        if self.progress:
            self.progress(folder, 0, total)
        batches = list(_batches(todo))
        # The next batch is fetched while this one is parsed and stored: the network wait
        # overlaps the work. Only that one thread touches the connection meanwhile. With
        # enough mail, worker processes (forked before that thread starts) parse each batch
        # while this process stores the one before it.
        with (
            parse_workers(enabled=total >= PARALLEL_FROM),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-prefetch") as prefetch,
        ):
            if batches:
                ahead = prefetch.submit(conn.fetch_messages, [s.uid for s in batches[0]])
            waiting = None  # (wanted UIDs, fetched, preparation): fetched, not stored yet
            for index, batch in enumerate(batches):
                try:
                    fetched = ahead.result()
                except BaseException:
                    if waiting:  # what arrived before the connection broke is kept
                        hole = self.store_fetched(folder, *waiting, hole, reassociate)
                    raise
                if index + 1 < len(batches):
                    ahead = prefetch.submit(
                        conn.fetch_messages, [s.uid for s in batches[index + 1]]
                    )
                current = ([s.uid for s in batch], fetched, prepare_in_background(fetched))
                if waiting:
                    hole = self.store_fetched(folder, *waiting, hole, reassociate)
                    done += len(waiting[0])
                    if self.progress:
                        self.progress(folder, done, total)
                waiting = current
                del fetched, current
            if waiting:
                hole = self.store_fetched(folder, *waiting, hole, reassociate)
                done += len(waiting[0])
                if self.progress:
                    self.progress(folder, done, total)
                waiting = None
        top = max(uids)
        if not hole and top > folder.last_uid:
            folder.last_uid = top
            Folder.objects.filter(pk=folder.pk).update(last_uid=top)

    def store_fetched(self, folder, wanted, fetched, preparation, hole, reassociate):
        """Stores one fetched batch and advances the cursor in one transaction; returns the
        lowest UID that was listed but not delivered (the cursor stays below it), if any."""
        renew_lock(self.account, self.token)
        missing = set(wanted) - {m.uid for m in fetched}
        if missing:
            logger.warning(
                "%s did not deliver UIDs %s of %s",
                self.account.host,
                sorted(missing),
                folder.name,
            )
            hole = min([hole or min(missing), *missing])
        with transaction.atomic():
            outcome = store_batch(
                self.account, folder, fetched, reassociate=reassociate, preparation=preparation
            )
            folder.last_uid = hole - 1 if hole else max(wanted)
            Folder.objects.filter(pk=folder.pk).update(last_uid=folder.last_uid)
            if outcome.created and self.account.auto_archive and self.file_async:
                enqueue_filing(self.account.pk)
        self.result.new += len(outcome.created)
        self.result.updated += outcome.reassociated
        self.result.already_stored += outcome.skipped
        self.result.parse_failed += outcome.parse_failed
        if outcome.created and self.account.auto_archive and not self.file_async:
            self.result.filed += file_here(self.account)
        return hole

    def remove_expunged(self, conn, folder, selected):
        stored = Message.objects.filter(folder=folder, uidvalidity=folder.uidvalidity)
        if stored.count() == selected.exists:
            return
        on_server = set(conn.search_uids())
        gone = [pk for pk, uid in stored.values_list("pk", "uid") if uid not in on_server]
        for start in range(0, len(gone), CHUNK):
            Message.objects.filter(pk__in=gone[start : start + CHUNK]).delete()
        if gone:
            logger.info("%d messages of %s were expunged on the server", len(gone), folder.name)
        self.result.removed += len(gone)

    def update_flags(self, conn, folder, previous_last, status):
        if previous_last < 1:
            return
        if conn.condstore and folder.highest_modseq and status.highest_modseq:
            if status.highest_modseq == folder.highest_modseq:
                return
            flags = conn.fetch_flags(previous_last, changed_since=folder.highest_modseq)
        else:
            flags = conn.fetch_flags(previous_last)
        if not flags:
            return
        uids = sorted(flags)
        changed = []
        for start in range(0, len(uids), CHUNK):
            for message in Message.objects.filter(
                folder=folder, uidvalidity=folder.uidvalidity, uid__in=uids[start : start + CHUNK]
            ).only("pk", "uid", "flags", "seen"):
                new_flags = list(flags[message.uid])
                seen = any(f.lower() == "\\seen" for f in new_flags)
                if sorted(new_flags) != sorted(message.flags) or seen != message.seen:
                    message.flags, message.seen = new_flags, seen
                    changed.append(message)
        Message.objects.bulk_update(changed, ["flags", "seen"], batch_size=CHUNK)
        self.result.updated += len(changed)


def _unchanged(folder, status):
    """Whether STATUS shows nothing new since the last complete sync of the folder."""
    return (
        folder.uidvalidity is not None
        and folder.server_message_count is not None
        and status.uidvalidity == folder.uidvalidity
        and status.messages == folder.server_message_count
        and status.uidnext == folder.uidnext
        and (status.unseen is None or status.unseen == folder.unseen_count)
        and (status.highest_modseq is None or status.highest_modseq == folder.highest_modseq)
    )


def _batches(summaries):
    """Consecutive groups of at most BATCH_MESSAGES messages and about BATCH_BYTES bytes."""
    batch, size = [], 0
    for summary in summaries:
        if batch and (len(batch) >= BATCH_MESSAGES or size + summary.size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(summary)
        size += summary.size
    if batch:
        yield batch
