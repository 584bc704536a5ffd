from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import celery_control, selectors
from ..models import Entity, Investigation, JobPhase, JobState, Relationship, TargetStatus
from ..services import bulk as bulk_service
from ..services import investigations as investigation_service
from . import serializers
from .errors import SafeJSONParser, refuse_chunked_body

CONFLICT = OpenApiResponse(serializers.ErrorSerializer, description="Not possible now; why.")
NOT_FOUND = OpenApiResponse(serializers.ErrorSerializer, description="No such investigation.")


def _choice_parameter(name: str, choices: list[str], description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, enum=choices, description=description)


def _free_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, description=description)


def _choice(request: Request, name: str, choices: list[str]) -> str | None:
    """A filter from the query string, refused with the choices when it is none of them."""
    value = request.query_params.get(name)
    if value and value not in choices:
        raise ValidationError({name: [f"Unknown {name} {value[:40]!r}; use one of {choices}."]})
    return value or None


class InvestigationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.InvestigationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return Investigation.objects.none()
        return selectors.investigations_for(self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_chunked_body(request)

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.InvestigationCreateSerializer
        if self.action == "bulk":
            return serializers.BulkInvestigationSerializer
        if self.action == "list":
            return serializers.InvestigationSerializer
        return serializers.InvestigationDetailSerializer

    def _detail(self, investigation, code: int = status.HTTP_200_OK) -> Response:
        body = serializers.InvestigationDetailSerializer(
            investigation, context=self.get_serializer_context()
        ).data
        return Response(body, status=code)

    def _paged(self, rows, serializer_class) -> Response:
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = {
            **self.get_serializer_context(),
            "target_counts": selectors.target_counts([i.pk for i in page]),
        }
        body = serializers.InvestigationSerializer(page, many=True, context=context).data
        return self.get_paginated_response(body)

    @extend_schema(
        request=serializers.InvestigationCreateSerializer,
        responses={
            201: serializers.InvestigationDetailSerializer,
            400: OpenApiResponse(
                serializers.CreateRefusedSerializer, description="No target was valid."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        """Create an investigation and (by default) start it. Inputs that are not valid
        targets are refused each with its reason (``rejected_targets``), the others kept;
        only when none is valid is the request refused."""
        incoming = serializers.InvestigationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        investigation = investigation_service.create_investigation(
            name=data["name"],
            targets=data["targets"],
            mode=data["mode"],
            description=data["description"],
            owner=request.user,
            options={"fresh": True} if data["fresh"] else {},
        )
        if not investigation.targets.exists():
            investigation.delete()
            return Response(
                {
                    "targets": [
                        f"{r['input']}: {r['error']}" for r in investigation.rejected_targets
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if data["start"]:
            investigation = investigation_service.start_investigation(investigation.pk)
        return self._detail(investigation, status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "application/json": serializers.BulkInvestigationSerializer,
            "multipart/form-data": serializers.BulkInvestigationSerializer,
        },
        responses={202: serializers.BulkQueuedSerializer, 400: serializers.ErrorSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[SafeJSONParser, MultiPartParser])
    def bulk(self, request: Request) -> Response:
        """Queue a list of targets (a list or a text/CSV file): the investigation is
        created at once and filled by ``bulk_scrape_task``; refused lines are recorded
        on it with their reasons. Follow it at ``investigations/{id}/``."""
        incoming = serializers.BulkInvestigationSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            investigation, task_id = bulk_service.create_bulk_investigation(
                name=data["name"],
                targets=data["targets"],
                mode=data["mode"],
                description=data["description"],
                owner=request.user,
                options={"fresh": True} if data["fresh"] else {},
            )
        except investigation_service.InvestigationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        detail = serializers.InvestigationDetailSerializer(
            investigation, context=self.get_serializer_context()
        ).data
        body = {"investigation": detail, "task_id": task_id, "inputs": len(data["targets"])}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={202: serializers.InvestigationDetailSerializer, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk=None) -> Response:
        """Queue the investigation's pipeline (again, for a finished one)."""
        investigation = self.get_object()
        try:
            investigation = investigation_service.start_investigation(investigation.pk)
        except investigation_service.InvestigationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return self._detail(investigation, status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: serializers.InvestigationDetailSerializer, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        try:
            investigation = investigation_service.cancel_investigation(investigation.pk)
        except investigation_service.InvestigationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return self._detail(investigation)

    @extend_schema(
        parameters=[
            _choice_parameter("status", TargetStatus.values, "Only the targets in this status.")
        ],
        responses={200: serializers.TargetSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def targets(self, request: Request, pk=None) -> Response:
        """The investigation's targets in the order given, each with its outcome and jobs."""
        investigation = self.get_object()
        wanted = _choice(request, "status", TargetStatus.values)
        return self._paged(
            selectors.targets_of(investigation.pk, wanted), serializers.TargetSerializer
        )

    @extend_schema(
        responses={200: serializers.RejectedTargetSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="rejected-targets")
    def rejected_targets(self, request: Request, pk=None) -> Response:
        """The inputs refused when the investigation was created, each with its reason."""
        investigation = self.get_object()
        return self._paged(investigation.rejected_targets, serializers.RejectedTargetSerializer)

    @extend_schema(
        parameters=[
            _choice_parameter("state", JobState.values, "Only the jobs in this state."),
            _choice_parameter("phase", JobPhase.values, "Only the jobs of this phase."),
        ],
        responses={200: serializers.JobSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def jobs(self, request: Request, pk=None) -> Response:
        """Every job of the investigation with its Celery task id, to follow one at
        ``/api/tasks/{task_id}/``: the investigation's own steps first, then each
        target's."""
        investigation = self.get_object()
        jobs = selectors.jobs_of(investigation.pk)
        if state := _choice(request, "state", JobState.values):
            jobs = jobs.filter(state=state)
        if phase := _choice(request, "phase", JobPhase.values):
            jobs = jobs.filter(phase=phase)
        return self._paged(jobs, serializers.JobSerializer)

    @extend_schema(
        parameters=[
            _free_parameter("kind", "Only entities of this kind, e.g. account or repository.")
        ],
        responses={200: serializers.EntitySerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def entities(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        qs = Entity.objects.filter(investigation=investigation).order_by("kind", "key")
        if kind := request.query_params.get("kind"):
            qs = qs.filter(kind=kind)
        return self._paged(qs, serializers.EntitySerializer)

    @extend_schema(
        parameters=[
            _free_parameter("kind", "Only relationships of this kind, e.g. owns or member_of.")
        ],
        responses={200: serializers.RelationshipSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def relationships(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        qs = (
            Relationship.objects.filter(investigation=investigation)
            .select_related("source", "target")
            .order_by("id")
        )
        if kind := request.query_params.get("kind"):
            qs = qs.filter(kind=kind)
        return self._paged(qs, serializers.RelationshipSerializer)

    @extend_schema(
        responses={200: serializers.FindingSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def findings(self, request: Request, pk=None) -> Response:
        """The analysis's findings, highest score first (a list, not paged)."""
        investigation = self.get_object()
        findings = investigation.findings.all()
        return Response(serializers.FindingSerializer(findings, many=True).data)

    @extend_schema(
        responses={200: serializers.ReportSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def reports(self, request: Request, pk=None) -> Response:
        """The report files built for the investigation (a list, not paged)."""
        investigation = self.get_object()
        reports = investigation.reports.all()
        context = self.get_serializer_context()
        return Response(serializers.ReportSerializer(reports, many=True, context=context).data)


@extend_schema(
    responses={
        200: serializers.TaskStatusSerializer,
        404: OpenApiResponse(
            serializers.ErrorSerializer,
            description="No task with this id in an investigation you may see.",
        ),
    }
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def task_status(request: Request, task_id: str) -> Response:
    """The state of one task of an investigation you may see: one of its jobs (ids in
    ``investigations/{id}/jobs/``) or its pipeline task (``pipeline_task_id``)."""
    record = selectors.task_record(request.user, task_id)
    if record is None:
        raise NotFound("No task with this id in an investigation you may see.")

    info = celery_control.task_status(task_id)
    job = record["job"]
    body = {
        **info,
        "name": record["name"] or info.get("name"),
        "investigation": record["investigation"],
        "job": serializers.JobSerializer(job).data if job is not None else None,
    }
    return Response(body)
