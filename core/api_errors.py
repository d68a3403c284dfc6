"""Turns service errors into API responses: 400 with field messages, 409 with a plain sentence."""

from __future__ import annotations

from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, GateRefused, InvalidInput


class JSONParser(parsers.JSONParser):
    """JSON nested so deeply that reading it would exhaust Python's stack is a 400, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("The JSON is nested too deeply to read.") from None


def exception_handler(exc, context):
    if isinstance(exc, GateRefused):
        return Response({"gate": exc.gate, "detail": exc.detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return Response(body, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
