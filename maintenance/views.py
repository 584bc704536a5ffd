from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from . import services


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([AllowAny])
def health(request: Request) -> Response:
    """``{"status": "ok"}``, or ``"degraded"`` with 503 when a check fails; staff also get
    database, broker, cache and disk, each with its timing or error. Anyone else, signed
    in or not, gets the status alone: the details name internals."""
    result = services.health_check()
    body = result if request.user.is_staff else {"status": result["status"]}
    return Response(body, status=200 if result["ok"] else 503)
