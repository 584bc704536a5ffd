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
    """Database, broker, cache and disk, each with its timing; 503 when one is down."""
    result = services.health_check()
    return Response(result, status=200 if result["ok"] else 503)
