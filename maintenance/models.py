from django.db import models


class ResourceSample(models.Model):
    """One reading of the machine's load, taken on a schedule; admins read the trend."""

    taken_at = models.DateTimeField(auto_now_add=True, db_index=True)
    hostname = models.CharField(max_length=255)
    cpu_percent = models.FloatField()
    memory_percent = models.FloatField()
    disk_percent = models.FloatField()
    load_average = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.taken_at:%Y-%m-%d %H:%M}"
