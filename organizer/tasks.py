"""django-q2 entry points of the organizer. Thin: they take ids, load the row, call one service."""

import logging

from django.db.models import Q
from django.utils import timezone

from organizer.models import MailAccount
from organizer.ondemand import FolderTracker
from organizer.sync import sync_account

logger = logging.getLogger(__name__)

SYNC_TASK = "organizer.tasks.sync_account_task"


def enqueue_due_syncs():
    """Run by the schedule: one sync task per account that is due, so that one slow or broken
    server never delays the others. Returns how many were enqueued."""
    from django_q.tasks import async_task

    now = timezone.now()
    due = (
        MailAccount.objects.filter(sync_enabled=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        # A sync still running would only skip: no need to queue another behind it.
        .exclude(sync_lock_until__gt=now)
        .values_list("pk", flat=True)
    )
    count = 0
    for account_id in due:
        async_task(SYNC_TASK, account_id, task_name=f"sync-account-{account_id}", group="mail-sync")
        count += 1
    return count


def sync_account_task(account_id, folder_names=None):
    """Syncs one account (Inbox and Sent, or the named folders); returns the summary."""
    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None:
        logger.info("account %s is gone; nothing to sync", account_id)
        return None
    if not account.sync_enabled and folder_names is None:
        logger.info("sync of %s is switched off", account)
        return None
    # The mailbox page shows progress and outcome from the folder rows (organizer.ondemand).
    tracker = FolderTracker(account, folder_names)
    tracker.start()
    result = sync_account(account, folder_names, progress=tracker.progress)
    tracker.finish(result)
    return result.summary()
