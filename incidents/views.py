"""Console pages. Thin: parse the form, call the service for a change or a selector for a read, render.
Neither checks permission first: the service guards, and the selectors fetch through the policy.

Forms post normally and redirect (so every page works without JavaScript); the workspace's panels are
refreshed by htmx when the incident socket says something changed, and all of them on reconnect.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection as db_connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import pages, wings
from core.errors import Conflict, InvalidInput
from core.times import uk_time
from people.selectors import people_matching
from people.views import CHOICES_SHOWN, people_json

from . import selectors, services, tokens
from .forms import (
    ApiTokenForm,
    DecisionForm,
    IncidentForm,
    MemberAddForm,
    MemberRemoveForm,
    MemberRoleForm,
    SearchForm,
    TransitionForm,
    same_to_the_minute,
)
from .history import history
from .membership import member_change_role, member_remove, members_add
from .models import Incident, IncidentKind
from .models import IncidentStatus as Status
from .now import now_digest, now_for
from .policy import Action, incidents
from .search import search as run_search

# The spine's own live panels, each a partial of its workspace template; the wings' tabs declare theirs
# (core/wings.py workspace_tab).
PANELS = ("summary", "members", "decisions", "timeline", "history")


def _reading_for(request: HttpRequest, action: Action) -> Action:
    """A form's page is shown only to those who may use it. A posted form is read as anyone who may see
    the incident, and the service decides: a view never checks before a change."""
    return action if request.method == "GET" else Action.VIEW


def _now_context(request: HttpRequest) -> dict:
    items = now_for(request.user)
    upcoming = [i.due_at for i in items if i.due_at is not None and not i.overdue]
    return {"items": items, "overdue": sum(i.overdue for i in items), "next_due": min(upcoming, default=None),
            "digest": now_digest(items), "can_open": incidents.allows(request.user, Action.OPEN)}


@login_required
@require_GET
def now(request: HttpRequest) -> HttpResponse:
    """The home page: everything that waits on the person, soonest first, live."""
    return render(request, "incidents/now.html", _now_context(request))


@login_required
@require_GET
def now_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/now.html#board", _now_context(request))


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    visible = selectors.visible_incidents(request.user)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    if status in Status.values:
        visible = visible.filter(status=status)
    if kind in IncidentKind.values:
        visible = visible.filter(kind=kind)
    filters = urlencode({k: v for k, v in (("status", status), ("kind", kind)) if v})
    return render(request, "incidents/incident_list.html", {
        "incidents": selectors.INCIDENTS.page(visible, _cursor(request, "incidents"), param="incidents"),
        "here": reverse("incident-list") + (f"?{filters}" if filters else ""),
        "status": status,
        "kind": kind,
        "statuses": Status.choices,
        "kinds": IncidentKind.choices,
        "can_open": incidents.allows(request.user, Action.OPEN),
    })


@login_required
@require_http_methods(["GET", "POST"])
def incident_open(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None)
    if request.method == "POST":
        done = pages.submit(request, form, partial(services.incident_open, actor=request.user),
                            said=lambda incident: f"{incident.reference} is open. You are its lead.",
                            done=lambda incident: reverse("incident-detail", kwargs={"incident_id": incident.pk}))
        if done:
            return done
    incidents.check(request.user, Action.OPEN)  # the form, or its errors, only for those who may use it
    return render(request, "incidents/incident_open.html", {"form": form, "error_forms": [form] if form.errors else []},
                  status=400 if form.errors else 200)


def _cursor(request: HttpRequest, panel: str) -> str | None:
    """Where a panel's list starts: `?decisions=<cursor>` shows older decisions, on the page or the panel."""
    return request.GET.get(panel) or None


def _workspace_context(request: HttpRequest, incident: Incident, posted: Mapping[Any, Any] | None = None,
                       tabs: list[wings.WorkspaceTab] | None = None, **forms) -> dict:
    """Everything the workspace shows. Panels are computed lazily (templates call these on first use),
    so a single panel refreshed by htmx costs only its own queries. Each list is one page, newest first,
    with a link to older entries: a long incident costs what a short one does. The wings' tabs add what
    theirs show (`tabs`: every declared one by default), with `posted`, a wing's own forms shown again with
    their errors."""
    actions = incidents.allowed_actions(request.user, incident)
    members = cache(lambda: list(selectors.members(incident)))
    tabs = wings.workspace_tabs() if tabs is None else tabs
    posted = posted or {}
    context = {
        "incident": incident,
        "actions": {a.value: True for a in actions},
        "members": cache(lambda: selectors.MEMBERS.page(selectors.members(incident), _cursor(request, "members"),
                                                         param="members")),
        "decisions": cache(lambda: selectors.DECISIONS.page(selectors.decisions(incident),
                                                             _cursor(request, "decisions"), param="decisions")),
        "timeline": cache(lambda: selectors.TIMELINE.page(selectors.timeline(incident.pk),
                                                           _cursor(request, "timeline"), param="timeline")),
        "history": cache(lambda: history(incident, _cursor(request, "history"), param="history")),
        # The time line drawn above the list (issue 11, point 7): redrawn with the panel, one query.
        "timeline_chart": cache(lambda: selectors.timeline_picture(incident)),
        "next_statuses": [(s, "Reopen" if incident.status == Status.CLOSED else Status(s).label)
                          for s in incidents.targets(Action.CHANGE_STATUS, incident)],
        "workspace_tabs": tabs,
        "workspace_scripts": [script for tab in tabs for script in tab.scripts],
    }
    if Action.CHANGE_STATUS in actions:
        context["transition_form"] = forms.get("transition_form") or TransitionForm()
    if Action.MANAGE_MEMBERS in actions:
        context["member_form"] = forms.get("member_form") or MemberAddForm()
    if Action.RECORD_DECISION in actions:
        # "Record its review" (from the log, or from Now) opens the form with the entry already named.
        reviewing = request.GET.get("reviews", "")
        context["reviewing"] = int(reviewing) if reviewing.isascii() and reviewing.isdigit() and len(reviewing) < 10 \
            else None  # "²" is a digit to Python, not a number
        context["decision_form"] = forms.get("decision_form") or cache(
            lambda: DecisionForm(incident=incident, members=members(),
                                 initial={"reviews": context["reviewing"]} if context["reviewing"] else None)
        )
    for tab in tabs:
        context.update(tab.context(request, incident, posted))
    context["error_forms"] = [f for f in (*forms.values(), *posted.values()) if f is not None and f.errors]
    return context


def workspace_page(request: HttpRequest, incident: Incident, *, posted: Mapping[Any, Any] | None = None,
                   status: int = 200) -> HttpResponse:
    """The workspace of an incident already fetched for the person: a wing's view that refused a form
    shows it here again, its errors in place (`posted`, read by the wing's own tab)."""
    return render(request, "incidents/workspace.html", _workspace_context(request, incident, posted), status=status)


@login_required
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id)
    return render(request, "incidents/workspace.html", _workspace_context(request, incident))


@login_required
@require_GET
def incident_panel(request: HttpRequest, incident_id: int, panel: str) -> HttpResponse:
    """One panel of the workspace, for htmx to swap in when the socket says it changed: the spine's own, or
    one a wing's tab declared, drawn with only that tab's context."""
    incident = selectors.incident_for(request.user, incident_id)
    if panel in PANELS:
        return render(request, f"incidents/workspace.html#{panel}", _workspace_context(request, incident, tabs=[]))
    tab = wings.workspace_panel(panel)
    if tab is None:
        return HttpResponse(status=404)
    return render(request, tab.panels[panel], _workspace_context(request, incident, tabs=[tab]))


def _workspace_url(incident_id: int, anchor: str = "") -> str:
    return reverse("incident-detail", kwargs={"incident_id": incident_id}) + (f"#{anchor}" if anchor else "")


def _now_members(added) -> str:
    names = [m.user.display_name for m in added]
    if len(names) == 1:
        return f"{names[0]} is now a member."
    return f"{', '.join(names[:-1])} and {names[-1]} are now members."


def _rerender(request, incident_id: int, action: Action, **forms) -> HttpResponse:
    """The workspace again with a form's errors, for someone who may use that form."""
    incident = selectors.incident_for(request.user, incident_id, action)
    return render(request, "incidents/workspace.html", _workspace_context(request, incident, **forms), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id, _reading_for(request, Action.EDIT))
    initial = {f: getattr(incident, f) for f in services.EDITABLE_FIELDS}
    if request.method == "GET":
        initial["occurred_at"] = timezone.localtime(incident.occurred_at)
        initial["aware_at"] = timezone.localtime(incident.aware_at)
        form = IncidentForm(initial=initial)
    else:
        form = IncidentForm(request.POST)
        done = pages.submit(request, form, partial(services.incident_update, actor=request.user,
                                                   incident_id=incident.pk),
                            values=lambda form: {"changes": {f: v for f, v in form.cleaned_data.items()
                                                             if not same_to_the_minute(v, initial[f])}},
                            said="The incident's details are updated.", done=_workspace_url(incident.pk))
        if done:
            return done
        selectors.incident_for(request.user, incident_id, Action.EDIT)  # errors, for those who may edit
    return render(request, "incidents/incident_edit.html",
                  {"form": form, "incident": incident, "error_forms": [form] if form.errors else []},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def incident_transition(request: HttpRequest, incident_id: int) -> HttpResponse:
    form = TransitionForm(request.POST)
    done = pages.submit(request, form, partial(services.incident_transition, actor=request.user,
                                               incident_id=incident_id), conflict="status",
                        said=lambda incident: f"The incident is now {incident.get_status_display().lower()}.",
                        done=_workspace_url(incident_id))
    if done:
        return done
    return _rerender(request, incident_id, Action.CHANGE_STATUS, transition_form=form)


@login_required
@require_POST
def member_add(request: HttpRequest, incident_id: int) -> HttpResponse:
    """One or several people, each with a role: all are added, or none and each row says why."""
    form = MemberAddForm(request.POST)
    done = pages.submit(request, form, partial(members_add, actor=request.user, incident_id=incident_id),
                        said=_now_members, done=_workspace_url(incident_id, "members"))
    if done:
        return done
    return _rerender(request, incident_id, Action.MANAGE_MEMBERS, member_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def member_manage(request: HttpRequest, incident_id: int, username: str) -> HttpResponse:
    """Change a member's role or remove them: one page, two forms, each with its reason."""
    incident = selectors.incident_for(request.user, incident_id, _reading_for(request, Action.MANAGE_MEMBERS))
    membership = selectors.members(incident).filter(user__username=username).first()
    if membership is None:
        return render(request, "404.html", status=404)
    role_form = MemberRoleForm(initial={"role": membership.role})
    remove_form = MemberRemoveForm()
    if request.method == "POST":
        members = _workspace_url(incident_id, "members")
        if request.POST.get("action") == "remove":
            remove_form = MemberRemoveForm(request.POST)
            done = pages.submit(request, remove_form, partial(member_remove, actor=request.user,
                                                              incident_id=incident_id, username=username),
                                conflict=NON_FIELD_ERRORS, done=members,
                                said=f"{membership.user.display_name} has been removed.")
        else:
            role_form = MemberRoleForm(request.POST)
            done = pages.submit(request, role_form, partial(member_change_role, actor=request.user,
                                                            incident_id=incident_id, username=username),
                                conflict=NON_FIELD_ERRORS, done=members,
                                said=f"{membership.user.display_name}'s role has been changed.")
        if done:
            return done
    has_errors = bool(role_form.errors or remove_form.errors)
    selectors.incident_for(request.user, incident_id, Action.MANAGE_MEMBERS)  # the forms, for those who may
    return render(request, "incidents/member_manage.html", {
        "incident": incident, "membership": membership, "role_form": role_form, "remove_form": remove_form,
        "error_forms": [f for f in (role_form, remove_form) if f.errors],
    }, status=400 if has_errors else 200)


@login_required
@require_POST
def decision_record(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id)  # choices for the form; the service decides
    form = DecisionForm(request.POST, incident=incident, members=selectors.members(incident))
    done = pages.submit(request, form, partial(services.decision_record, actor=request.user, incident_id=incident_id),
                        said=lambda entry: f"Decision {entry.number} is recorded.",
                        done=_workspace_url(incident_id, "decisions"))
    if done:
        return done
    return _rerender(request, incident_id, Action.RECORD_DECISION, decision_form=form)



@login_required
@require_GET
def decision_choices(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The decision form's "corrects" suggestions: entries matching what was typed, as <option>s for the
    field's datalist (htmx swaps them in as the person types)."""
    incident = selectors.incident_for(request.user, incident_id, Action.RECORD_DECISION)
    entries = selectors.decision_choices(incident, request.GET.get("corrects", ""), CHOICES_SHOWN)
    return render(request, "incidents/_choices.html", {
        "choices": [(e.number, f"Decision {e.number}: {e.decision[:80]}") for e in entries],
    })


@login_required
@require_GET
def people_choices(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Staff who could be added to the incident, whose name or username matches what was typed, for the
    member picker's datalist: a search, because an organisation's staff is too long to send with every
    page. Only for those who may add members, as the picker was."""
    incident = selectors.incident_for(request.user, incident_id, Action.MANAGE_MEMBERS)
    people = people_matching(request.GET.get("q", request.GET.get("user", "")), CHOICES_SHOWN,
                             leaving_out=incident.memberships.active().values("user"))
    if "application/json" in request.headers.get("Accept", ""):
        return people_json(people)
    return render(request, "incidents/_choices.html", {
        "choices": [(f"{p.username} — {p.display_name}", p.team.name if p.team else "") for p in people],
    })


CSV_CHUNK = 1000
# A header a spreadsheet user reads without a guide; the rows read oldest first, as a record is read.
CSV_HEADER = ("When (UK time)", "What happened", "By", "Details")


@login_required
@require_GET
def timeline_csv(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The whole timeline as a spreadsheet, oldest first, however long: streamed a thousand events at a
    time, each read in a short trip to a thread, so a 20,000-event export never holds the process while it
    runs. Times are UK local times, people are named, and each event says what it was in words."""
    incident = selectors.incident_for(request.user, incident_id)
    response = StreamingHttpResponse(_csv_rows(incident.pk), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}-timeline.csv"'
    return response


async def _csv_rows(incident_id: int):
    # The byte order mark tells Excel the file is UTF-8, so names such as "Siobhán" read as written.
    yield "\ufeff" + _csv_text([CSV_HEADER])
    after = None
    while True:
        events = await sync_to_async(_csv_chunk)(incident_id, after)
        zone = timezone.get_current_timezone()
        yield _csv_text([[_csv_safe(value) for value in _csv_row(event, zone)] for event in events])
        if len(events) < CSV_CHUNK:
            return
        after = events[-1][0]


def _csv_row(event: tuple, zone) -> tuple:
    _id, at, username, full_name, event_type, summary = event
    by = (full_name or username) if username else "Harbour"  # as User.display_name; Harbour did it itself
    return uk_time(at, zone), wings.event_label(event_type), by, summary


def _csv_chunk(incident_id: int, after: int | None) -> list[tuple]:
    """One chunk of the export. The connection goes back to the pool straight after: a slow download
    must not hold one of the process's few database connections while the client reads."""
    try:
        return selectors.timeline_export(incident_id, after=after, size=CSV_CHUNK)
    finally:
        if not db_connection.in_atomic_block:  # (a test's transaction is never cut short)
            db_connection.close()


def _csv_text(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _csv_safe(value):
    # Spreadsheets run cells that start with these as formulas; a summary is text, so keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


# --- search ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Incidents, decisions and messages the person may see, by words or by reference. Nothing asked yet
    (or only spaces) shows the form and a hint; a query too long is a 400 with an error summary."""
    query = request.GET.get("q", "")
    form = SearchForm({"q": query} if query.strip() else None)
    found = run_search(request.user, form.cleaned_data["q"]) if form.is_bound and form.is_valid() else None
    return render(request, "incidents/search.html", {
        "form": form, "found": found, "asked_nothing": "q" in request.GET and not query.strip(),
        "error_forms": [form] if form.errors else [],
    }, status=400 if form.errors else 200)


# --- the one-page summary ----------------------------------------------------------------------------------


@login_required
@require_GET
def incident_summary(request: HttpRequest, incident_id: int) -> HttpResponse:
    """One printable page for the Director and the Lead Member: status, key decisions, what has gone out,
    the clocks and the open actions. Each wing adds its part (selectors.summary); for anyone who may see the
    incident, and not found, exactly as an absent one, for everyone else."""
    incident = selectors.incident_for(request.user, incident_id)
    return render(request, "incidents/summary.html", {
        "incident": incident, "incident_tab": "summary", "produced_at": timezone.now(),
        **selectors.summary(request.user, incident),
    })


# --- Your API tokens ----------------------------------------------------------------------------------------


def _tokens_page(request: HttpRequest, form: ApiTokenForm, *, made=None, key: str = "", status: int = 200):
    return render(request, "incidents/api_tokens.html", {
        "form": form, "error_forms": [form] if form.errors else [], "made": made, "key": key,
        "tokens": selectors.api_tokens_of(request.user), "longest": settings.HARBOUR_API_TOKEN_DAYS,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The person's own tokens: list, make one (its key shown on this answer only, never again)."""
    form = ApiTokenForm(request.POST or None, longest=settings.HARBOUR_API_TOKEN_DAYS)
    if request.method == "POST":
        if form.is_valid():
            try:
                token, key = tokens.api_token_make(actor=request.user, **form.cleaned_data)
            except InvalidInput as error:
                form.apply_service_errors(error)
            except Conflict as refusal:
                form.add_error(None, refusal.detail)
            else:
                # Rendered, not redirected: the key must not be kept anywhere to show it after a redirect.
                fresh = ApiTokenForm(longest=settings.HARBOUR_API_TOKEN_DAYS)
                return _tokens_page(request, fresh, made=token, key=key, status=201)
        return _tokens_page(request, form, status=400)
    return _tokens_page(request, form)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = tokens.api_token_revoke(actor=request.user, token_id=token_id)
    except Conflict as refusal:
        messages.info(request, refusal.detail)
    else:
        messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("api-tokens")
