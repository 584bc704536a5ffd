from django.apps import AppConfig


class ScrapingConfig(AppConfig):
    name = "scraping"
    verbose_name = "Scraping"

    def ready(self) -> None:
        from . import sources

        sources.register_all()
