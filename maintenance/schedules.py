"""The default schedules, kept as rows of django-celery-beat so admins can change them.

Created after migrations when missing; an admin's later edits are never overwritten.
"""

import json

DEFAULT_SCHEDULES = (
    # name, task, every (seconds), expires (seconds): a backlog never replays stale upkeep
    ("Health check", "maintenance.tasks.health_check_task", 300, 240),
    ("Sweep stuck jobs", "maintenance.tasks.sweep_stuck_jobs_task", 900, 600),
    (
        "Monitor scraping progress",
        "investigations.tasks.monitor_scraping_progress_task",
        60,
        50,
    ),
    ("Resource sample", "maintenance.tasks.record_resource_sample_task", 600, 300),
)
# Celery beat schedules celery.backend_cleanup itself (a daily entry of that name, since
# results expire); an earlier version added this second one, removed where it is left.
RETIRED_SCHEDULES = (("Expired task results cleanup", "celery.backend_cleanup"),)


def ensure_default_schedules(sender=None, **kwargs) -> int:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, task in RETIRED_SCHEDULES:
        PeriodicTask.objects.filter(name=name, task=task).delete()
    created = 0
    for name, task, every, expires in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=every, period=IntervalSchedule.SECONDS
        )
        queue = task.split(".")[0] if not task.startswith("celery.") else "maintenance"
        PeriodicTask.objects.create(
            name=name,
            task=task,
            interval=interval,
            expire_seconds=expires,
            queue=queue,
            kwargs=json.dumps({}),
        )
        created += 1
    return created
