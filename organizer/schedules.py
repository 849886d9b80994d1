"""The django-q2 schedule of the organizer, registered on every migrate."""

from django.conf import settings

SYNC_SCHEDULE = "organizer: sync mail accounts"


def register_schedules():
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SYNC_SCHEDULE,
        defaults={
            "func": "organizer.tasks.enqueue_due_syncs",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.ABLAGE_SYNC_INTERVAL_MINUTES,
            "repeats": -1,
        },
    )


def register_after_migrate(sender, using="default", **kwargs):
    # Catch-up of missed runs is off for the whole cluster (Q_CLUSTER["catch_up"] = False): a
    # polling schedule that missed runs only needs to run once.
    from django.db import connections

    if "django_q_schedule" in connections[using].introspection.table_names():
        register_schedules()
