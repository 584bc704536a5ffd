from django.db import models

from investigations.models import Entity, Evidence, Investigation


class Severity(models.TextChoices):
    INFO = "info", "Info"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Finding(models.Model):
    """A conclusion drawn from an investigation's graph, with what it rests on."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="findings"
    )
    kind = models.CharField(max_length=64)
    key = models.CharField(max_length=255, help_text="Unique per kind within the investigation.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    score = models.FloatField(default=0.0)
    data = models.JSONField(default=dict, blank=True)
    entities = models.ManyToManyField(Entity, blank=True, related_name="findings")
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="findings")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "kind", "key"], name="finding_unique"),
        ]

    def __str__(self) -> str:
        return self.title
