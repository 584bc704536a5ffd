"""What the API reads and writes. Lists stay light at any size: an investigation is
shown with counts of its targets by status, and its targets, jobs and refused inputs
are paged at their own addresses."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from .. import selectors
from ..models import AnalysisMode, Entity, Investigation, Job, Relationship, Target
from ..services.bulk import read_target_upload
from ..services.investigations import InvestigationError

# Jobs and refused inputs shown in an investigation's detail at most; the rest are paged
# at jobs/ and rejected-targets/.
DETAIL_JOBS = 100
DETAIL_REJECTED = 100


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TargetJobSerializer(serializers.Serializer):
    source = serializers.CharField(source="name")
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    error = serializers.CharField()
    task_id = serializers.CharField(source="celery_task_id")


class TargetSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="__str__", read_only=True)
    notes = serializers.SerializerMethodField()
    cached_data = serializers.SerializerMethodField(
        help_text="Cached source answers used instead of new requests, and the oldest one's "
        "fetch time; null when everything was fetched fresh."
    )
    jobs = TargetJobSerializer(many=True, read_only=True)

    class Meta:
        model = Target
        fields = (
            "id",
            "target",
            "kind",
            "value",
            "status",
            "error",
            "notes",
            "cached_data",
            "jobs",
        )

    def get_notes(self, obj) -> list[str]:
        return obj.summary.get("notes", [])

    def get_cached_data(self, obj) -> dict | None:
        return obj.summary.get("cache")


class RejectedTargetSerializer(serializers.Serializer):
    input = serializers.CharField(help_text="A short printable excerpt of what was given.")
    error = serializers.CharField()


class JobSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField(help_text="kind:value, or null for a step.")
    task_id = serializers.CharField(
        source="celery_task_id",
        help_text="Follow it at /api/tasks/{task_id}/; empty while the job waits for a batch.",
    )

    class Meta:
        model = Job
        fields = (
            "id",
            "phase",
            "name",
            "target",
            "state",
            "progress",
            "attempts",
            "error",
            "task_id",
            "task_name",
            "queued_at",
            "started_at",
            "finished_at",
        )

    def get_target(self, obj) -> str | None:
        return str(obj.target) if obj.target_id else None


class InvestigationSerializer(serializers.ModelSerializer):
    """An investigation as lists show it: its targets counted, not listed."""

    target_count = serializers.SerializerMethodField()
    targets_by_status = serializers.SerializerMethodField(
        help_text="How many targets are in each status; every status is present."
    )
    rejected_count = serializers.SerializerMethodField(
        help_text="Inputs refused at creation, listed at rejected-targets/."
    )
    errors = serializers.SerializerMethodField()

    class Meta:
        model = Investigation
        fields = (
            "id",
            "name",
            "description",
            "status",
            "progress",
            "mode",
            "target_count",
            "targets_by_status",
            "rejected_count",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

    def _counts(self, obj) -> dict[str, int]:
        # A list view passes the counts of its whole page, read in one query.
        counts = self.context.get("target_counts", {})
        if obj.pk not in counts:
            counts = selectors.target_counts([obj.pk])
            self.context["target_counts"] = {**self.context.get("target_counts", {}), **counts}
        return counts[obj.pk]

    def get_target_count(self, obj) -> int:
        return sum(self._counts(obj).values())

    def get_targets_by_status(self, obj) -> dict[str, int]:
        return self._counts(obj)

    def get_rejected_count(self, obj) -> int:
        return len(obj.rejected_targets)

    def get_errors(self, obj) -> list[str]:
        return [line for line in obj.error_summary.splitlines() if line]


class InvestigationDetailSerializer(InvestigationSerializer):
    """One investigation: the list's fields, the addresses of its targets, jobs and
    refused inputs, and the first of its jobs and refused inputs."""

    collection = serializers.SerializerMethodField(
        help_text="Collection progress per source and per target, jobs a minute, seconds "
        "left, and the platforms used with their pauses."
    )
    targets_url = serializers.SerializerMethodField(help_text="The targets, paged; ?status=.")
    rejected_targets = serializers.SerializerMethodField(
        help_text=f"The first {DETAIL_REJECTED} refused inputs with their reasons."
    )
    rejected_targets_url = serializers.SerializerMethodField()
    pipeline_task_id = serializers.CharField(
        read_only=True, help_text="The task that starts the pipeline: /api/tasks/{task_id}/."
    )
    job_count = serializers.SerializerMethodField()
    jobs = serializers.SerializerMethodField(
        help_text=f"The first {DETAIL_JOBS} jobs, the investigation's own steps first."
    )
    jobs_url = serializers.SerializerMethodField(help_text="Every job, paged; ?state=, ?phase=.")

    class Meta(InvestigationSerializer.Meta):
        fields = (
            *InvestigationSerializer.Meta.fields,
            "options",
            "collection",
            "targets_url",
            "rejected_targets",
            "rejected_targets_url",
            "pipeline_task_id",
            "job_count",
            "jobs",
            "jobs_url",
        )
        read_only_fields = fields

    def _url(self, name: str, obj) -> str:
        return reverse(name, args=[obj.pk], request=self.context.get("request"))

    def get_collection(self, obj) -> dict:
        return selectors.collection_state(obj)

    def get_targets_url(self, obj) -> str:
        return self._url("investigation-targets", obj)

    @extend_schema_field(RejectedTargetSerializer(many=True))
    def get_rejected_targets(self, obj):
        return obj.rejected_targets[:DETAIL_REJECTED]

    def get_rejected_targets_url(self, obj) -> str:
        return self._url("investigation-rejected-targets", obj)

    def get_job_count(self, obj) -> int:
        return obj.jobs.count()

    @extend_schema_field(JobSerializer(many=True))
    def get_jobs(self, obj):
        return JobSerializer(selectors.jobs_of(obj.pk)[:DETAIL_JOBS], many=True).data

    def get_jobs_url(self, obj) -> str:
        return self._url("investigation-jobs", obj)


@extend_schema_field(OpenApiTypes.STR)
class TargetInputField(serializers.Field):
    """One input of a list of targets: any string, judged by the target parser, which
    refuses a bad one with its reason and keeps the others. A ``CharField`` would refuse
    the whole list for one item holding a NUL character or over its length; a
    non-string is still refused here, since it is no target as typed."""

    default_error_messages = {
        "invalid": 'Each target is a string written kind:value, such as "github:octocat".'
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class InvestigationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    targets = serializers.ListField(
        child=TargetInputField(),
        min_length=1,
        max_length=10000,
    )
    mode = serializers.ChoiceField(choices=AnalysisMode.choices, default=AnalysisMode.QUICK)
    start = serializers.BooleanField(default=True)
    fresh = serializers.BooleanField(
        default=False, help_text="Ask every source again; never use cached answers."
    )


class CreateRefusedSerializer(serializers.Serializer):
    targets = serializers.ListField(
        child=serializers.CharField(), help_text="Each input with the reason it was refused."
    )


class BulkInvestigationSerializer(serializers.Serializer):
    """A list of targets, given as a list or as an uploaded text or CSV file."""

    name = serializers.CharField(max_length=200, required=False, default="Bulk investigation")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    targets = serializers.ListField(
        child=TargetInputField(),
        required=False,
        default=list,
    )
    file = serializers.FileField(required=False, help_text="Text (one a line) or CSV.")
    mode = serializers.ChoiceField(choices=AnalysisMode.choices, default=AnalysisMode.QUICK)
    fresh = serializers.BooleanField(default=False)

    def validate(self, attrs):
        upload = attrs.pop("file", None)
        # A "file" field sent empty (no file part, or a part with no content or name)
        # reaches here as no file at all; it was given, so say it is empty.
        if upload is None and self.initial_data.get("file") == "":
            raise serializers.ValidationError(
                {"file": serializers.FileField.default_error_messages["empty"]}
            )
        targets = list(attrs.get("targets") or [])
        if upload is not None:
            try:
                targets += read_target_upload(upload)
            except InvestigationError as exc:
                raise serializers.ValidationError({"file": str(exc)}) from exc
        if not targets:
            raise serializers.ValidationError({"targets": "Give a list of targets or a file."})
        attrs["targets"] = targets
        return attrs


class BulkQueuedSerializer(serializers.Serializer):
    investigation = InvestigationDetailSerializer()
    task_id = serializers.CharField(help_text="The task that parses and saves the list.")
    inputs = serializers.IntegerField(help_text="How many inputs were given.")


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    state = serializers.CharField(help_text="Celery's state: PENDING, STARTED, SUCCESS, ...")
    name = serializers.CharField(
        allow_null=True,
        help_text="The registered task name: the job's, or for a pipeline task the result "
        "backend's once it has run (null before).",
    )
    investigation = serializers.IntegerField(help_text="The investigation the task works for.")
    job = JobSerializer(allow_null=True, help_text="The job row, null for a pipeline task.")
    result = serializers.JSONField(required=False, help_text="On SUCCESS: what it returned.")
    error = serializers.CharField(required=False, help_text="On FAILURE, RETRY or REVOKED.")
    date_done = serializers.DateTimeField(allow_null=True)


class EntitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entity
        fields = (
            "id",
            "kind",
            "key",
            "name",
            "attributes",
            "sources",
            "confidence",
            "first_seen",
            "last_seen",
        )


class RelationshipSerializer(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()

    class Meta:
        model = Relationship
        fields = ("id", "source", "kind", "target", "attributes", "confidence")

    def get_source(self, obj) -> dict:
        return {"id": obj.source_id, "kind": obj.source.kind, "key": obj.source.key}

    def get_target(self, obj) -> dict:
        return {"id": obj.target_id, "kind": obj.target.kind, "key": obj.target.key}


# Findings and reports are read through the investigation's reverse relations, so this
# app imports neither the analysis nor the reports app: plain serializers, fields named.
class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    severity = serializers.CharField(help_text="info, low, medium or high.")
    score = serializers.FloatField()
    data = serializers.JSONField()


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    format = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(
        help_text="The file, for an authenticated user who may see the investigation."
    )

    def get_download_url(self, obj) -> str:
        return reverse("reports:download", args=[obj.pk], request=self.context.get("request"))
