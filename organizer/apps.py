from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrganizerConfig(AppConfig):
    name = "organizer"
    verbose_name = _("Organizer")

    def ready(self):
        from organizer import checks  # noqa: F401 (registers the system checks)
        from organizer.schedules import register_after_migrate

        post_migrate.connect(register_after_migrate, sender=self)
