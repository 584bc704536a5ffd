from django.urls import reverse
from rest_framework import serializers

from .. import selectors
from ..models import AnalysisMode, Entity, Investigation, Relationship, Target
from ..services.bulk import read_target_file
from ..services.investigations import InvestigationError
from ..targets import MAX_TARGET_LENGTH


class TargetSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="__str__", read_only=True)
    notes = serializers.SerializerMethodField()
    cached_data = serializers.SerializerMethodField(
        help_text="Cached source answers used instead of new requests, and the oldest one's "
        "fetch time; null when everything was fetched fresh."
    )

    class Meta:
        model = Target
        fields = ("id", "target", "kind", "value", "status", "error", "notes", "cached_data")

    def get_notes(self, obj) -> list[str]:
        return obj.summary.get("notes", [])

    def get_cached_data(self, obj) -> dict | None:
        return obj.summary.get("cache")


class InvestigationSerializer(serializers.ModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)
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
            "targets",
            "rejected_targets",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

    def get_errors(self, obj) -> list[str]:
        return [line for line in obj.error_summary.splitlines() if line]


class InvestigationDetailSerializer(InvestigationSerializer):
    collection = serializers.SerializerMethodField(
        help_text="Collection progress per source and per target, jobs a minute, seconds "
        "left, and the platforms used with their pauses."
    )

    class Meta(InvestigationSerializer.Meta):
        fields = (*InvestigationSerializer.Meta.fields, "options", "collection")
        read_only_fields = fields

    def get_collection(self, obj) -> dict:
        return selectors.collection_state(obj)


class InvestigationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    targets = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TARGET_LENGTH, trim_whitespace=True),
        min_length=1,
        max_length=10000,
    )
    mode = serializers.ChoiceField(choices=AnalysisMode.choices, default=AnalysisMode.QUICK)
    start = serializers.BooleanField(default=True)
    fresh = serializers.BooleanField(
        default=False, help_text="Ask every source again; never use cached answers."
    )


class BulkInvestigationSerializer(serializers.Serializer):
    """A list of targets, given as a list or as an uploaded text or CSV file."""

    name = serializers.CharField(max_length=200, required=False, default="Bulk investigation")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    targets = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TARGET_LENGTH, trim_whitespace=True),
        required=False,
        default=list,
    )
    file = serializers.FileField(required=False, help_text="Text (one a line) or CSV.")
    mode = serializers.ChoiceField(choices=AnalysisMode.choices, default=AnalysisMode.QUICK)
    fresh = serializers.BooleanField(default=False)

    def validate(self, attrs):
        upload = attrs.pop("file", None)
        targets = list(attrs.get("targets") or [])
        if upload is not None:
            try:
                targets += read_target_file(upload.read(), upload.name or "")
            except InvestigationError as exc:
                raise serializers.ValidationError({"file": str(exc)}) from exc
        if not targets:
            raise serializers.ValidationError({"targets": "Give a list of targets or a file."})
        attrs["targets"] = targets
        return attrs


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


def finding_data(finding) -> dict:
    return {
        "id": finding.pk,
        "kind": finding.kind,
        "key": finding.key,
        "title": finding.title,
        "description": finding.description,
        "severity": finding.severity,
        "score": finding.score,
        "data": finding.data,
    }


def report_data(report, request) -> dict:
    return {
        "id": report.pk,
        "kind": report.kind,
        "format": report.format,
        "size": report.size,
        "sha256": report.sha256,
        "created_at": report.created_at,
        "download_url": request.build_absolute_uri(reverse("reports:download", args=[report.pk])),
    }
