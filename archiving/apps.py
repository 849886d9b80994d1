from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivingConfig(AppConfig):
    name = "archiving"
    verbose_name = _("E-mail archive")

    def ready(self):
        from archiving.receivers import file_mail_for_added_addresses
        from crm.signals import addresses_added

        addresses_added.connect(file_mail_for_added_addresses, dispatch_uid="archiving-retroactive")
