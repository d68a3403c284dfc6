"""Answers that belong to no wing: Harbour's own error pages (signing in paused is people/signin.py's). The API answers in
JSON, pages in HTML, in Harbour's layout, saying in plain words what happened and where to go next. None
of them ever shows a stack trace, a setting or a list of addresses, whatever DEBUG says.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

SERVER_ERROR = "Something went wrong on Harbour's side. Nothing was half-saved: please try again in a moment."


def api_request(request) -> bool:
    return request.path.startswith("/api/")


@requires_csrf_token
def bad_request(request, exception=None):
    """A request Harbour cannot read (a malformed address or header). Nothing from the exception is shown."""
    if api_request(request):
        return JsonResponse({"detail": "The request could not be understood."}, status=400)
    return defaults.bad_request(request, exception)


@requires_csrf_token
def permission_denied(request, exception=None):
    """Visible but not allowed: the refusal the policy wrote for people (core/errors.py), in words."""
    reason = str(exception or "") or None
    if api_request(request):
        return JsonResponse({"detail": reason or "You do not have permission to perform this action."}, status=403)
    return render(request, "403.html", {"exception": reason}, status=403)


def not_found(request, exception=None):
    """An address that names nothing. Under /api/, JSON like every other API answer. The page is the same
    for a hidden object and an absent one (tests/test_not_found.py), so it says nothing about which."""
    if api_request(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    """Harbour failed. The page (templates/500.html) is rendered with no context at all, as Django does, so
    that it cannot fail in turn on whatever broke the request (the database, say)."""
    if api_request(request):
        return JsonResponse({"detail": SERVER_ERROR}, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent with a token that has expired (it was open too long, or the person
    signed in or out in another tab since). Harbour's 403 page, saying so, instead of Django's."""
    if api_request(request):
        return JsonResponse({"detail": "CSRF check failed: reload the page and try again."}, status=403)
    # Back to the form they came from, when that is one of Harbour's own pages.
    referer = request.META.get("HTTP_REFERER", "")
    came_from = referer if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()) else None
    return render(request, "403.html", {"csrf_failure": True, "came_from": came_from}, status=403)
