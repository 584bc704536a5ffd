"""The API answers every refused request in JSON, whatever refused it: the JSON parser,
Django's request size limits, or Django itself before a view runs."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
TOO_LARGE = (
    "The request body is larger than this server accepts ({limit} bytes); send a bulk list "
    "as a file upload, or split it."
)


class SafeJSONParser(JSONParser):
    """JSON, refusing documents nested deeper than Python's parser can follow with a 400
    instead of a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = (
        "The request body was sent in chunks (Transfer-Encoding: chunked) without a "
        "Content-Length, so none of it could be read; send it with a Content-Length (curl "
        "sends chunks for /dev/null or a pipe: give it a file instead)."
    )
    default_code = "length_required"


def refuse_chunked_body(request) -> None:
    """Django reads a request body by its Content-Length: one sent in chunks without it
    arrives empty, and would be answered as if nothing had been sent (no targets, no
    file) while the client did send them. Say what happened instead."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        raise LengthRequired()


def _refusal(exc: Exception) -> tuple[dict, int] | None:
    """The body and status for Django's refusals of a request's size or shape."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return {"detail": TOO_LARGE.format(limit=limit)}, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return {"detail": str(exc)}, status.HTTP_400_BAD_REQUEST
    return None


def api_exception_handler(exc, context):
    """DRF's handler, plus JSON answers for the limits Django enforces while a view reads
    the request (otherwise an HTML error page)."""
    refusal = _refusal(exc)
    if refusal is not None:
        body, code = refusal
        logger.warning("API request refused: %s", body["detail"])
        return Response(body, status=code)
    return exception_handler(exc, context)


def bad_request(request, exception=None):
    """Django's 400 handler: JSON under /api/, the usual page elsewhere."""
    if not request.path.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    refusal = _refusal(exception) if exception is not None else None
    body, code = refusal or ({"detail": "Bad request."}, status.HTTP_400_BAD_REQUEST)
    return JsonResponse(body, status=code)
