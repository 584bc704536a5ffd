from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import celery_control, selectors
from ..models import Entity, Relationship
from ..services import bulk as bulk_service
from ..services import investigations as investigation_service
from . import serializers


class InvestigationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.InvestigationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.investigations_for(self.request.user).prefetch_related("targets")

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.InvestigationCreateSerializer
        if self.action == "bulk":
            return serializers.BulkInvestigationSerializer
        if self.action == "retrieve":
            return serializers.InvestigationDetailSerializer
        return serializers.InvestigationSerializer

    @extend_schema(
        request=serializers.InvestigationCreateSerializer,
        responses=serializers.InvestigationSerializer,
    )
    def create(self, request: Request) -> Response:
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
        body = serializers.InvestigationSerializer(investigation).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "application/json": serializers.BulkInvestigationSerializer,
            "multipart/form-data": serializers.BulkInvestigationSerializer,
        },
        responses={202: dict},
    )
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, MultiPartParser])
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
        body = {
            "investigation": serializers.InvestigationSerializer(investigation).data,
            "task_id": task_id,
            "inputs": len(data["targets"]),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=serializers.InvestigationSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        try:
            investigation = investigation_service.start_investigation(investigation.pk)
        except investigation_service.InvestigationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            serializers.InvestigationSerializer(investigation).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None, responses=serializers.InvestigationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        try:
            investigation = investigation_service.cancel_investigation(investigation.pk)
        except investigation_service.InvestigationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(serializers.InvestigationSerializer(investigation).data)

    @extend_schema(responses=serializers.EntitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def entities(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        qs = Entity.objects.filter(investigation=investigation).order_by("kind", "key")
        if kind := request.query_params.get("kind"):
            qs = qs.filter(kind=kind)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(serializers.EntitySerializer(page, many=True).data)

    @extend_schema(responses=serializers.RelationshipSerializer(many=True))
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
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(serializers.RelationshipSerializer(page, many=True).data)

    @action(detail=True, methods=["get"])
    def findings(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        return Response([serializers.finding_data(f) for f in investigation.findings.all()])

    @action(detail=True, methods=["get"])
    def reports(self, request: Request, pk=None) -> Response:
        investigation = self.get_object()
        return Response([serializers.report_data(r, request) for r in investigation.reports.all()])


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def task_status(request: Request, task_id: str) -> Response:
    return Response(celery_control.task_status(task_id))


def get_investigation_or_404(user, pk: int):
    return get_object_or_404(selectors.investigations_for(user), pk=pk)
