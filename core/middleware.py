"""Request-wide protections that belong to no one page."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from .errors import InvalidInput


class RefuseNullBytes:
    """A null byte in the path or the query string can name nothing Harbour holds, and PostgreSQL refuses
    text containing one (a server error, if it got that far): answer 400 before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query):
            detail = "The address contains a character that is not allowed (a null byte)."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail}, status=400)
            return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class NoStoreWhenSignedIn:
    """What a signed-in person sees (and every API answer) is theirs alone: no browser, proxy or shared
    computer's back button keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response


class BadInputPage:
    """A page asked for with an address it cannot serve (a list position that is not one of ours, say)
    answers 400 with what was wrong, in Harbour's layout. Forms handle their own errors; the API has its
    own handler: this is for what reaches a page through its address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, InvalidInput) and not request.path.startswith("/api/"):
            return render(request, "400.html", {"errors": exception.errors}, status=400)
        return None
