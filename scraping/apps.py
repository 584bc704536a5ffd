from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"
    verbose_name = "Scraping"

    def ready(self) -> None:
        # Register this app's tasks in every process (web, commands, tests), not only in
        # workers, so that signatures by name resolve and eager mode works.
        from . import sources, tasks  # noqa: F401

        sources.register_all()
