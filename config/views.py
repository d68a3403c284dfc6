"""Answers that belong to no wing: Harbour's own error pages, and signing in paused. The API answers in
JSON, pages in HTML, in Harbour's layout, saying in plain words what happened and where to go next. None
of them ever shows a stack trace, a setting or a list of addresses, whatever DEBUG says.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from config import signin

SERVER_ERROR = "Something went wrong on Harbour's side. Nothing was half-saved: please try again in a moment."


def _api(request) -> bool:
    return request.path.startswith("/api/")


@requires_csrf_token
def bad_request(request, exception=None):
    """A request Harbour cannot read (a malformed address or header). Nothing from the exception is shown."""
    if _api(request):
        return JsonResponse({"detail": "The request could not be understood."}, status=400)
    return defaults.bad_request(request, exception)


@requires_csrf_token
def permission_denied(request, exception=None):
    """Visible but not allowed: the refusal the policy wrote for people (config/errors.py), in words."""
    reason = str(exception or "") or None
    if _api(request):
        return JsonResponse({"detail": reason or "You do not have permission to perform this action."}, status=403)
    return render(request, "403.html", {"exception": reason}, status=403)


def not_found(request, exception=None):
    """An address that names nothing. Under /api/, JSON like every other API answer. The page is the same
    for a hidden object and an absent one (tests/test_not_found.py), so it says nothing about which."""
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    """Harbour failed. The page (templates/500.html) is rendered with no context at all, as Django does, so
    that it cannot fail in turn on whatever broke the request (the database, say)."""
    if _api(request):
        return JsonResponse({"detail": SERVER_ERROR}, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent with a token that has expired (it was open too long, or the person
    signed in or out in another tab since). Harbour's 403 page, saying so, instead of Django's."""
    if _api(request):
        return JsonResponse({"detail": "CSRF check failed: reload the page and try again."}, status=403)
    # Back to the form they came from, when that is one of Harbour's own pages.
    referer = request.META.get("HTTP_REFERER", "")
    came_from = referer if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()) else None
    return render(request, "403.html", {"csrf_failure": True, "came_from": came_from}, status=403)


def locked_out(request, *args, **kwargs):
    """Signing in is paused (config/signin.py): 429 with Retry-After, in words, for pages and the API. Either
    django-axes paused this username at this address, or the account or address limit paused this device."""
    pause = getattr(request, "harbour_signin_pause", None)
    if pause is None:
        minutes, why = round(settings.AXES_COOLOFF_TIME * 60), "pair"
    else:
        minutes, why = pause.minutes, pause.limit
    detail = {
        "pair": f"Signing in is paused after repeated failures. Try again in {minutes} minutes.",
        "account": f"Signing in to this account from a new device is paused after many failed attempts. Try again "
                   f"in {minutes} minutes, or sign in from a device you have signed in on before.",
        "address": f"Signing in from your network is paused after many failed attempts. Try again in {minutes} "
                   "minutes.",
    }[why]
    if _api(request):
        response = JsonResponse({"detail": detail}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes, "why": why}, status=429)
    response["Retry-After"] = str(pause.retry_after if pause else minutes * 60)
    return response


class SignIn(LoginView):
    """Django's sign-in page, which also marks this browser as one the account has signed in on, so the
    account limit never pauses the person on it (config/signin.py)."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.remember_device(response, form.get_user())
        return response
