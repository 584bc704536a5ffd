from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Maintenance"

    def ready(self) -> None:
        from .schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)
