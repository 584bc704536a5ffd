from django.apps import AppConfig


class InvestigationsConfig(AppConfig):
    name = "investigations"
    verbose_name = "Investigations"

    def ready(self) -> None:
        # Register this app's tasks in every process (web, commands, tests), not only in
        # workers, so that signatures by name resolve and eager mode works.
        from . import tasks  # noqa: F401
