from django.urls import reverse
from rest_framework import serializers

from ..models import AnalysisMode, Entity, Investigation, Relationship, Target
from ..targets import MAX_TARGET_LENGTH


class TargetSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="__str__", read_only=True)
    notes = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = ("id", "target", "kind", "value", "status", "error", "notes")

    def get_notes(self, obj) -> list[str]:
        return obj.summary.get("notes", [])


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
