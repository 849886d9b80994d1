"""Syncs a user asks for ("Sync now", "Sync folder"): enqueued for the worker, followed on the
Folder and MailAccount rows so that the page polling from another process sees the same.

    request_account_sync(account)   Inbox and Sent, now
    request_folder_sync(folder)     one folder, now (its mail is filed on accounts with
                                    automatic filing, like any synced mail)
    FolderTracker                   the progress callback the sync task hands to sync_account
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from organizer.models import Folder, MailAccount

SYNC_TASK = "organizer.tasks.sync_account_task"
# A request without any sign of life for this long counts as lost (a worker that died or is
# not running); the page stops waiting and the user may ask again.
STALE_AFTER = timedelta(minutes=15)
ACTIVE_STATES = (Folder.SyncState.QUEUED, Folder.SyncState.RUNNING)


def _enqueue(account_id, folder_names=None):
    from django_q.tasks import async_task

    args = (account_id,) if folder_names is None else (account_id, folder_names)
    suffix = "" if folder_names is None else "-folder"
    # After commit: the worker must find the request that the page waits for.
    transaction.on_commit(
        lambda: async_task(
            SYNC_TASK, *args, task_name=f"sync-account-{account_id}{suffix}", group="mail-sync"
        )
    )


def request_account_sync(account):
    """Enqueues a sync of the account's Inbox and Sent; returns False when one was requested
    moments ago and has not finished yet (nothing is enqueued twice)."""
    now = timezone.now()
    if account_sync_pending(account, now):
        return False
    MailAccount.objects.filter(pk=account.pk).update(sync_requested_at=now)
    account.sync_requested_at = now
    _enqueue(account.pk)
    return True


def account_sync_pending(account, now=None):
    """Whether a "Sync now" of the account waits for its outcome (no newer success or error)."""
    requested = account.sync_requested_at
    now = now or timezone.now()
    if requested is None or requested < now - STALE_AFTER:
        return False
    outcomes = [t for t in (account.last_sync_at, account.last_error_at) if t]
    return not outcomes or max(outcomes) < requested


def request_folder_sync(folder):
    """Enqueues a sync of one folder; returns False when one is queued or running already.

    A conditional UPDATE claims the request, so two clicks (or two users' tabs) enqueue once.
    """
    now = timezone.now()
    claimed = (
        Folder.objects.filter(pk=folder.pk)
        .exclude(Q(sync_state__in=ACTIVE_STATES) & Q(sync_state_at__gt=now - STALE_AFTER))
        .update(sync_state=Folder.SyncState.QUEUED, sync_state_at=now, sync_report={})
    )
    folder.refresh_from_db(fields=["sync_state", "sync_state_at", "sync_report"])
    if claimed != 1:
        return False
    _enqueue(folder.account_id, [folder.name])
    return True


def folder_sync_active(folder, now=None):
    """Whether the folder's requested sync is still waiting or running (and not lost)."""
    now = now or timezone.now()
    return (
        folder.sync_state in ACTIVE_STATES
        and folder.sync_state_at is not None
        and folder.sync_state_at > now - STALE_AFTER
    )


class FolderTracker:
    """Writes a sync's progress and outcome onto the folders it works on.

    progress(folder, done, total) is sync_account's callback (called per stored batch);
    finish(result) records the outcome on the folders that were named or that made progress.
    """

    def __init__(self, account, folder_names=None):
        self.account = account
        self.folder_names = list(folder_names) if folder_names is not None else None
        self.fetched = {}  # folder pk -> mails fetched and stored in this run

    def start(self):
        if self.folder_names:
            self._named().update(
                sync_state=Folder.SyncState.RUNNING, sync_state_at=timezone.now(), sync_report={}
            )

    def progress(self, folder, done, total):
        self.fetched[folder.pk] = done
        Folder.objects.filter(pk=folder.pk).update(
            sync_state=Folder.SyncState.RUNNING,
            sync_state_at=timezone.now(),
            sync_report={"done": done, "total": total},
        )

    def finish(self, result):
        errors = list(result.errors)
        if result.skipped_because_running:
            errors.append(_("Another sync of this account was running; try again in a minute."))
        failed = result.failed or result.skipped_because_running or bool(errors)
        state = Folder.SyncState.FAILED if failed else Folder.SyncState.DONE
        now = timezone.now()
        single = self.folder_names is not None and len(self.folder_names) == 1
        folders = set(self.fetched)
        if self.folder_names:
            folders |= set(self._named().values_list("pk", flat=True))
        for pk in folders:
            report = {
                "new": result.new if single else self.fetched.get(pk, 0),
                "removed": result.removed if single else 0,
                "updated": result.updated if single else 0,
                "errors": errors,
            }
            Folder.objects.filter(pk=pk).update(
                sync_state=state, sync_state_at=now, sync_report=report
            )

    def _named(self):
        return Folder.objects.filter(account=self.account).filter(
            Q(name__in=self.folder_names) | Q(display_name__in=self.folder_names)
        )
