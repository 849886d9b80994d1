"""django-q2 entry points of the archive. Thin: take ids, load, call one service."""

import logging

from organizer.models import MailAccount

logger = logging.getLogger(__name__)


def file_pending_messages(account_id):
    """Files the account's synced mail that waits for filing. Safe to run twice or concurrently."""
    from archiving.services import file_pending_messages as file_pending

    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None:
        logger.info("account %s is gone; nothing to file", account_id)
        return 0
    return file_pending(account).filed
