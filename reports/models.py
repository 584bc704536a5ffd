from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from investigations.models import Investigation


class ReportStorage(FileSystemStorage):
    """Report files have fixed names per investigation; building again replaces them."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        if self.exists(name):
            self.delete(name)
        return name


def report_storage() -> FileSystemStorage:
    return ReportStorage(location=settings.REPORTS_DIR)


class ReportFormat(models.TextChoices):
    JSON = "json", "JSON"
    HTML = "html", "HTML"


class Report(models.Model):
    """A report file built from an investigation's stored graph."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(max_length=32, default="summary")
    format = models.CharField(max_length=10, choices=ReportFormat.choices)
    file = models.FileField(storage=report_storage, max_length=500)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["investigation", "kind", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "kind", "format"], name="report_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} for investigation {self.investigation_id}"

    @property
    def path(self) -> str:
        return self.file.path
