"""The organizer's pages: accounts.py for My settings, mailbox.py for ORGANIZER › E-Mail."""
