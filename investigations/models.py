"""Investigations, their targets, the graph they collect, and the record of each job."""

import zlib

from django.conf import settings
from django.db import models
from django.db.models import Q


class InvestigationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATUSES = frozenset(
    {
        InvestigationStatus.COMPLETED,
        InvestigationStatus.PARTIAL,
        InvestigationStatus.FAILED,
        InvestigationStatus.CANCELLED,
    }
)


class AnalysisMode(models.TextChoices):
    QUICK = "quick", "Quick"
    DETAILED = "detailed", "Detailed"
    COMPREHENSIVE = "comprehensive", "Comprehensive"


class Investigation(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="investigations",
    )
    status = models.CharField(
        max_length=20, choices=InvestigationStatus.choices, default=InvestigationStatus.DRAFT
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0 to 100.")
    mode = models.CharField(max_length=20, choices=AnalysisMode.choices, default=AnalysisMode.QUICK)
    options = models.JSONField(default=dict, blank=True)
    rejected_targets = models.JSONField(
        default=list, blank=True, help_text="Inputs refused at creation, each with its reason."
    )
    error_summary = models.TextField(blank=True)
    pipeline_task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


class TargetStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial"
    NOT_FOUND = "not_found", "Not found"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Target(models.Model):
    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField(max_length=32)
    value = models.CharField(max_length=512, help_text="Normalised value.")
    status = models.CharField(
        max_length=20, choices=TargetStatus.choices, default=TargetStatus.PENDING
    )
    error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "kind", "value"], name="target_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Entity(models.Model):
    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="entities"
    )
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=512, help_text="Normalised key, unique per kind.")
    name = models.CharField(max_length=512, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    sources = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=1.0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    evidence = models.ManyToManyField("Evidence", blank=True, related_name="entities")

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["investigation", "kind", "key"], name="entity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class Relationship(models.Model):
    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="relationships"
    )
    source = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="incoming")
    kind = models.CharField(max_length=32)
    attributes = models.JSONField(default=dict, blank=True)
    confidence = models.FloatField(default=1.0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    evidence = models.ManyToManyField("Evidence", blank=True, related_name="relationships")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="relationship_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} -{self.kind}-> {self.target}"


class EvidenceOutcome(models.TextChoices):
    OK = "ok", "OK"
    NOT_MODIFIED = "not_modified", "Not modified (cached copy used)"
    CACHED = "cached", "Cached answer reused (no request made)"
    NOT_FOUND = "not_found", "Not found"
    EMPTY = "empty", "Empty"
    PENDING = "pending", "Pending upstream"
    ERROR = "error", "Error"


class Evidence(models.Model):
    """One answer from an outside source, kept so every claim can be traced to it."""

    investigation = models.ForeignKey(
        Investigation, on_delete=models.CASCADE, related_name="evidence"
    )
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    source = models.CharField(max_length=64)
    url = models.TextField()
    method = models.CharField(max_length=10, default="GET")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=EvidenceOutcome.choices, default=EvidenceOutcome.OK
    )
    error = models.TextField(blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body_compressed = models.BinaryField(blank=True, default=b"")
    body_sha256 = models.CharField(max_length=64)
    body_size = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["-fetched_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "source", "url", "body_sha256"], name="evidence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.method} {self.url} ({self.status_code})"

    @property
    def body(self) -> bytes:
        data = bytes(self.body_compressed or b"")
        return zlib.decompress(data) if data else b""

    def body_text(self, limit: int | None = None) -> str:
        text = self.body.decode("utf-8", errors="replace")
        return text if limit is None else text[:limit]


class JobPhase(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    SCRAPING = "scraping", "Scraping"
    ANALYSIS = "analysis", "Analysis"
    REPORT = "report", "Report"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_JOB_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class Job(models.Model):
    """One unit of queued work and what became of it; pages and the API read these."""

    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="jobs")
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    phase = models.CharField(max_length=20, choices=JobPhase.choices)
    name = models.CharField(max_length=100, help_text="Source or step name.")
    task_name = models.CharField(max_length=200)
    celery_task_id = models.CharField(max_length=255, blank=True, db_index=True)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["investigation", "target", "phase", "name"],
                condition=Q(target__isnull=False),
                name="job_unique_per_target",
            ),
            models.UniqueConstraint(
                fields=["investigation", "phase", "name"],
                condition=Q(target__isnull=True),
                name="job_unique_per_investigation",
            ),
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.phase}:{self.name} [{self.state}]"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_JOB_STATES
