"""Signals the CRM sends so that apps above it (archiving) can react without crm importing them.

addresses_added: sent by crm.services after addresses were added to records or a contact was
attached to customers. kwargs: `contact_ids`, `customer_ids` (records whose addresses or links
changed), `addresses` (normal forms now newly owned). Receivers return how many mails they filed.
"""

from django.dispatch import Signal

addresses_added = Signal()
