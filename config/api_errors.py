"""Turns service errors into API responses: 400 with field messages, 409 with a plain sentence."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict, GateRefused, InvalidInput


def exception_handler(exc, context):
    if isinstance(exc, GateRefused):
        return Response({"gate": exc.gate, "detail": exc.detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return Response(body, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
