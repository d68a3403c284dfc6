"""Answers that belong to no wing: not found, and signing in paused. The API answers in JSON, pages in HTML."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.defaults import page_not_found


def not_found(request, exception=None):
    """An address that names nothing. Under /api/, JSON like every other API answer."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def locked_out(request, *args, **kwargs):
    """Signing in is paused after repeated failures (django-axes): 429, in words, for pages and the API."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    detail = f"Signing in is paused after repeated failures. Try again in {minutes} minutes."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=429)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
