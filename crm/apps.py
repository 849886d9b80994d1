from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

SALES_GROUP = "Vertrieb"
SALES_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("customer", "contact", "emailaddress", "quote", "invoice")
    for action in ("view", "add", "change")
]


def ensure_sales_group(sender, using="default", **kwargs):
    """The ready group "Vertrieb": may see and edit CRM records, and so the mail filed on them."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.using(using).get_or_create(name=SALES_GROUP)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="crm", codename__in=SALES_PERMISSIONS
    )
    group.permissions.add(*permissions)


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from django.db.backends.signals import connection_created

        from settings.database import unicode_like_for_sqlite

        post_migrate.connect(ensure_sales_group, sender=self)
        connection_created.connect(unicode_like_for_sqlite, dispatch_uid="unicode-like")
