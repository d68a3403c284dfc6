"""Support requests, for the people who answer them: the organisation's wellbeing leads and each
incident's wellbeing lead. A person asking for support sees their own requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import InvalidInput
from incidents.rules import parse_id

from . import selectors, services
from .models import SupportStatus
from .policy import WELLBEING_LEADS, requests


@login_required
@require_http_methods(["GET", "POST"])
def support_requests(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.support_request_set_status(
                actor=request.user, request_id=parse_id(request.POST.get("request")) or 0,
                status=request.POST.get("status"))
        except InvalidInput:
            messages.error(request, "Choose a status for the request.")
        else:
            messages.success(request, "Updated.")
        return redirect("support-requests")
    visible = selectors.support_requests(request.user).select_related("person", "person__team", "incident")
    return render(request, "support/requests.html", {
        "requests": selectors.REQUESTS.page(visible, request.GET.get("requests") or None, param="requests"),
        "statuses": SupportStatus.choices,
        "answers": requests.qualifies(request.user, WELLBEING_LEADS),
    })
