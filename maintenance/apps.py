from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Maintenance"

    def ready(self) -> None:
        # Register this app's tasks in every process (web, commands, tests), not only in
        # workers, so that signatures by name resolve and eager mode works.
        from . import tasks  # noqa: F401
        from .schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)
