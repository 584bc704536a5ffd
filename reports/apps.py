from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Register this app's tasks in every process (web, commands, tests), not only in
        # workers, so that signatures by name resolve and eager mode works.
        from . import tasks  # noqa: F401
