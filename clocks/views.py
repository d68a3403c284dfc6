"""The clocks' pages: the Clocks board, and the workspace's Clocks tab with its forms. Thin: parse the form,
call the service for a change or a selector for a read, render. Neither checks permission first: the
service guards, and the selectors fetch through the policy.

The Clocks tab is drawn by the spine's workspace from this wing's declaration (clocks/apps.py): its
template, its two live panels and `workspace_context`, what they read. A form refused here shows the
workspace again with the form and its errors in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import pages
from incidents import selectors as incident_selectors
from incidents.models import Incident
from incidents.policy import incidents
from incidents.views import workspace_page

from . import selectors, services
from .forms import NotificationForm, ObligationDoneForm, ObligationNotApplicableForm
from .policy import Action, ObligationAction, obligations


def workspace_context(request: HttpRequest, incident: Incident, posted: Mapping[Any, Any]) -> dict:
    """What the Clocks tab shows, read when first drawn: each obligation with what this person may do with
    it, the ladder, and the form for recording who was told (for those who may). `posted`: a form of this
    tab refused, keyed as `_clock_rows` and `notification_record` key it."""
    context: dict[str, Any] = {
        "clocks": cache(lambda: _clock_rows(request, incident, posted)),
        "ladder": cache(lambda: selectors.ladder(incident)),
    }
    if incidents.allows(request.user, Action.RECORD_NOTIFICATION, incident):
        context["notification_form"] = posted.get("notification_form") or cache(
            lambda: NotificationForm(steps=_untold_steps(context["ladder"]())))
    return context


def _clock_rows(request: HttpRequest, incident: Incident, posted: Mapping[Any, Any]) -> list[dict]:
    """Each obligation with what this person may do with it, and its forms (the posted one, with its
    errors, in place)."""
    rows = []
    for obligation in selectors.obligations_of(incident):
        obligation.incident = incident
        allowed = obligations.allowed_actions(request.user, obligation)
        row = {"obligation": obligation, "allowed": {a.value: True for a in allowed}}
        if ObligationAction.MARK_DONE in allowed:
            row["done_form"] = posted.get((obligation.pk, "done")) or ObligationDoneForm(
                auto_id=f"ob{obligation.pk}_done_%s")
        if ObligationAction.MARK_NOT_APPLICABLE in allowed:
            row["not_applicable_form"] = posted.get((obligation.pk, "na")) or ObligationNotApplicableForm(
                auto_id=f"ob{obligation.pk}_na_%s")
        rows.append(row)
    return rows


def _untold_steps(ladder) -> list[tuple[str, str]]:
    return [(rung.code, rung.title) for rung in ladder if rung.told is None]


def _record_obligation(request: HttpRequest, obligation_id: int, form_class, kind: str, change, said: str):
    """Record an obligation done, or that it does not apply: the posted form, the service, then back to the
    Clocks tab; on an error, the workspace again with the form and its errors in place."""
    obligation = selectors.obligation_for(request.user, obligation_id)
    form = form_class(request.POST, auto_id=f"ob{obligation.pk}_{kind}_%s")
    done = pages.submit(request, form, partial(change, actor=request.user, obligation_id=obligation.pk),
                        conflict=NON_FIELD_ERRORS, said=f"“{obligation.title}” {said}",
                        done=reverse("incident-detail", kwargs={"incident_id": obligation.incident_id}) + "#clocks")
    if done:
        return done
    return workspace_page(request, obligation.incident, posted={(obligation.pk, kind): form}, status=400)


@login_required
@require_POST
def obligation_done(request: HttpRequest, obligation_id: int) -> HttpResponse:
    return _record_obligation(request, obligation_id, ObligationDoneForm, "done", services.obligation_done,
                              "is recorded as done.")


@login_required
@require_POST
def obligation_not_applicable(request: HttpRequest, obligation_id: int) -> HttpResponse:
    return _record_obligation(request, obligation_id, ObligationNotApplicableForm, "na",
                              services.obligation_not_applicable,
                              "is recorded as not applying; the reason is in the decision log.")


@login_required
@require_POST
def notification_record(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = incident_selectors.incident_for(request.user, incident_id)
    form = NotificationForm(request.POST, steps=[(r.code, r.title) for r in selectors.ladder(incident)])
    done = pages.submit(request, form, partial(services.notification_record, actor=request.user,
                                               incident_id=incident_id), conflict="step",
                        said=lambda told: f"{told.step_title}: recorded as told.",
                        done=reverse("incident-detail", kwargs={"incident_id": incident_id}) + "#clocks")
    if done:
        return done
    # The workspace again with the form's errors, for someone who may use that form.
    incident = incident_selectors.incident_for(request.user, incident_id, Action.RECORD_NOTIFICATION)
    return workspace_page(request, incident, posted={"notification_form": form}, status=400)


def _board_context(request: HttpRequest) -> dict:
    page = selectors.CLOCKS.page(selectors.clocks(request.user), request.GET.get("board") or None, param="board")
    now = timezone.now()
    upcoming = [o.due_at for o in page if o.due_at > now]
    return {"page": page, "overdue": sum(o.due_at <= now for o in page),
            "next_due": min(upcoming) if upcoming else None}


@login_required
@require_GET
def clocks_board(request: HttpRequest) -> HttpResponse:
    """Every pending obligation of the incidents the person can see, soonest first, live."""
    return render(request, "clocks/board.html", _board_context(request))


@login_required
@require_GET
def clocks_board_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "clocks/board.html#board", _board_context(request))
