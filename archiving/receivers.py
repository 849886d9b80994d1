"""Reactions to CRM changes. Connected in ArchivingConfig.ready()."""

from archiving.services import file_retroactively


def file_mail_for_added_addresses(sender, addresses=(), **kwargs):
    """New addresses on records: mail already synced that mentions them is filed now.

    Returns how many mails were newly filed, which the CRM shows to the user.
    """
    if not addresses:
        return 0
    return file_retroactively(addresses).filed
