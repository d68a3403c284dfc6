"""Staff support pages: the follow-ups board, one follow-up, "My support", an incident's staff support
(the register and its counts), the organisation's cumulative exposure, and support requests.

Each page reads through support/selectors.py and changes through support/services.py; none decides who
may see or do what. A form that fails says why beside the field, with a summary, and changes nothing.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core import notices, pages
from core.errors import InvalidInput
from core.policy import parse_id

from . import debriefing, selectors, services
from .forms import (
    AttendanceForm,
    CancelForm,
    CheckInForm,
    CompleteForm,
    DebriefCancelForm,
    DebriefChangeForm,
    DebriefForm,
    LearningForm,
    ReassignForm,
    RegisterAddForm,
    RescheduleForm,
    SupporterForm,
)
from .models import NOTICE_KINDS, DebriefKind, FollowUpStatus, SupportStatus
from .policy import (
    WELLBEING_LEADS,
    FollowUpAction,
    IncidentAction,
    RegisterAction,
    debriefs,
    follow_ups,
    register,
    requests,
)
from .policy import (
    incident_support as support_policy,
)

# --- the follow-ups board -------------------------------------------------------------------------------

SHOW = (("all", "Everything I can see"), ("mine", "Check-ins I offer"), ("team", "My team's"))


def _board_context(request: HttpRequest) -> dict:
    show = request.GET.get("show") or "all"
    if show not in dict(SHOW):
        raise InvalidInput({"show": ["Choose what to show: all, mine or team."]})
    incident = request.GET.get("incident") or None
    if incident is not None and parse_id(incident) is None:
        raise InvalidInput({"incident": ["Choose an incident from the list."]})
    columns = selectors.board(request.user, mine=show == "mine", team=show == "team", incident=incident)
    now = timezone.now()
    cards = [item for items in columns.values() for item in items]
    upcoming = [item.due_at for item in cards if item.status == FollowUpStatus.SCHEDULED and item.due_at > now]
    return {
        "columns": [(key, label, columns[key]) for key, label in selectors.BOARD_COLUMNS],
        "total": len(cards), "show": show, "shows": SHOW, "incident": incident,
        "private": {item.pk for item in cards if selectors.sees_private(request.user, item)},
        "incidents_shown": {item.incident_id for item in cards if selectors.sees_incident(request.user, item.incident)},
        "next_due": min(upcoming) if upcoming else None, "size": selectors.FOLLOW_UPS.size,
        "query": request.GET.urlencode(), "support_leads": selectors.is_wellbeing_lead(request.user),
    }


@login_required
@require_GET
def follow_ups_board(request: HttpRequest) -> HttpResponse:
    return render(request, "support/board.html", _board_context(request))


@login_required
@require_GET
def follow_ups_board_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "support/board.html#board", _board_context(request))


# --- one follow-up --------------------------------------------------------------------------------------

FOLLOW_UP_FORMS = {
    "complete": (CompleteForm, FollowUpAction.COMPLETE, services.follow_up_complete, "Recorded."),
    "reschedule": (RescheduleForm, FollowUpAction.RESCHEDULE, services.follow_up_reschedule, "Moved."),
    "reassign": (ReassignForm, FollowUpAction.REASSIGN, services.follow_up_reassign, "Handed over."),
    "cancel": (CancelForm, FollowUpAction.CANCEL, services.follow_up_cancel, "Cancelled."),
}
PLAIN_ACTIONS = {
    "decline": (services.follow_up_decline, "Declined. That is your choice; nobody will chase you about it."),
    "rearrange": (services.follow_up_request_rearrange, "Your supporter has been asked to find another time."),
}


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_detail(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    item = selectors.follow_up(request.user, follow_up_id)
    forms = {name: form_class() for name, (form_class, _, _, _) in FOLLOW_UP_FORMS.items()}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        here = reverse("follow-up", kwargs={"follow_up_id": item.pk})
        if action in PLAIN_ACTIONS:
            change, said = PLAIN_ACTIONS[action]
            return pages.act(request, partial(change, actor=request.user, follow_up_id=item.pk), said=said, done=here)
        if action not in FOLLOW_UP_FORMS:
            raise InvalidInput({"action": ["Choose what to do."]})
        form_class, _, change, said = FOLLOW_UP_FORMS[action]
        form = forms[action] = form_class(request.POST)
        done = pages.submit(request, form, partial(change, actor=request.user, follow_up_id=item.pk), said=said,
                            done=here)
        if done:
            return done
        status = 400
    allowed = follow_ups.allowed_actions(request.user, item)
    private = selectors.sees_private(request.user, item)
    return render(request, "support/follow_up.html", {
        "item": item, "private": private, "allowed": {str(a) for a in allowed},
        "overdue": selectors.is_overdue(item), "sees_incident": selectors.sees_incident(request.user, item.incident),
        "forms": {name: form for name, form in forms.items() if FOLLOW_UP_FORMS[name][1] in allowed},
        "error_forms": [form for form in forms.values() if form.is_bound and form.errors],
        "history": selectors.follow_up_history(item) if private else [],
    }, status=status)


# --- my support -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_support(request: HttpRequest) -> HttpResponse:
    supporter_forms: dict[int, SupporterForm] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        entry_id = parse_id(request.POST.get("entry")) or 0
        here = reverse("my-support")
        if action == "decline_all":
            return pages.act(request, partial(services.register_decline_all, actor=request.user, entry_id=entry_id),
                             said="You will not be offered any more check-ins for this incident. "
                                  "You can still ask for support at any time.", done=here)
        if action == "seen":
            return pages.act(request, partial(notices.mark_seen, request.user, NOTICE_KINDS), done=here)
        if action != "supporter":
            raise InvalidInput({"action": ["Choose what to do."]})
        form = supporter_forms[entry_id] = SupporterForm(request.POST)
        done = pages.submit(request, form, partial(services.register_choose_supporter, actor=request.user,
                                                   entry_id=entry_id),
                            said="Your supporter has been changed.", done=here)
        if done:
            return done
        status = 400
    mine = selectors.my_support(request.user)
    for entry in mine["register"]:
        entry.supporter_form = supporter_forms.get(entry.pk) or SupporterForm()
        entry.can = {str(a) for a in register.allowed_actions(request.user, entry)}
    for item in mine["follow_ups"]:
        item.can = {str(a) for a in follow_ups.allowed_actions(request.user, item)}
        item.overdue = selectors.is_overdue(item)
    incidents = {x.incident_id: x.incident for group in mine.values() for x in group}
    return render(request, "support/me.html", {
        **mine, "incidents_shown": {pk for pk, incident in incidents.items()
                                    if selectors.sees_incident(request.user, incident)}, "who_sees": selectors.WHO_SEES, "notices": selectors.notices_for(request.user),
        "error_forms": [f for f in supporter_forms.values() if f.errors],
    }, status=status)


# --- an incident's staff support ------------------------------------------------------------------------


# The counts the tab shows, in people (the API adds those cancelled).
COUNTS_SHOWN = (("people", "People on the register"), ("scheduled", "With a check-in to come"),
                ("overdue", "With a check-in past its time"), ("completed", "Who have had a check-in"),
                ("declined", "Who declined one (their choice)"))


def _incident_context(request: HttpRequest, incident, *, form=None, debrief_form=None) -> dict:
    shown = selectors.counts(incident)
    allowed = support_policy.allowed_actions(request.user, incident)
    sees_register = IncidentAction.SEE_REGISTER in allowed
    entries = None
    if sees_register:
        entries = selectors.REGISTER.page(selectors.register_of(request.user, incident),
                                          request.GET.get("register") or None, param="register")
    # How each person's support stands is not for the incident's command: only for wellbeing leads here.
    private = [e for e in entries.items if register.allows(request.user, RegisterAction.SEE_PRIVATE, e)] \
        if entries else []
    can_arrange = IncidentAction.SCHEDULE_DEBRIEF in allowed
    if can_arrange and debrief_form is None:
        # No kind chosen for anyone, and so no start: the page lists each kind's suggested time.
        debrief_form = DebriefForm(initial={"duration_minutes": 60})
    errors = [f for f in (form, debrief_form) if f is not None and f.is_bound and f.errors]
    return {
        "incident": incident, "counts": [(key, label, shown[key]) for key, label in COUNTS_SHOWN],
        "entries": entries,
        "sees_register": sees_register, "can_add": IncidentAction.ADD_TO_REGISTER in allowed,
        "form": form or RegisterAddForm(), "debrief_form": debrief_form, "can_arrange": can_arrange,
        "error_forms": errors, "incident_tab": "support",
        "open_by_entry": selectors.open_counts_by_entry(private) if entries else {},
        "private_entries": {entry.pk for entry in private} if entries else set(),
        "debriefs": selectors.with_answers(request.user,
                                           list(selectors.debriefs_of(request.user, incident)[:selectors.DEBRIEFS.size])),
        "suggested": {kind: debriefing.suggested_start(incident, kind) for kind in DebriefKind.values}
        if can_arrange else {},
    }


@login_required
@require_http_methods(["GET", "POST"])
def incident_support(request: HttpRequest, incident_id: int) -> HttpResponse:
    """An incident's staff support: counts for every member; the register and its form, and the debriefs
    and theirs, for those who may. Live: the panels redraw when the wing says they changed."""
    incident = selectors.incident_for(request.user, incident_id, IncidentAction.SEE_COUNTS)
    if request.method == "GET":
        return render(request, "support/incident.html", _incident_context(request, incident))
    if request.POST.get("action") == "debrief":
        selectors.incident_for(request.user, incident_id, IncidentAction.SCHEDULE_DEBRIEF)
        debrief_form = DebriefForm(request.POST)
        done = pages.submit(request, debrief_form, partial(debriefing.debrief_schedule, actor=request.user,
                                                           incident_id=incident_id), conflict="starts_at",
                            said=lambda debrief: f"{debrief.get_kind_display().split(' (')[0]} arranged: the "
                                                 "invitations go out in office hours.",
                            done=lambda debrief: reverse("debrief", kwargs={"debrief_id": debrief.pk}))
        if done:
            return done
        return render(request, "support/incident.html", _incident_context(request, incident, debrief_form=debrief_form),
                      status=400)
    selectors.incident_for(request.user, incident_id, IncidentAction.ADD_TO_REGISTER)
    form = RegisterAddForm(request.POST)
    done = pages.submit(request, form, partial(services.register_add, actor=request.user, incident_id=incident_id),
                        said=lambda entry: f"{entry.person.display_name} is on the register, with "
                                           f"{len(entry.created_follow_ups)} check-ins offered by "
                                           f"{entry.supporter.display_name}.",
                        done=reverse("incident-support", kwargs={"incident_id": incident_id}) + "#register")
    if done:
        return done
    return render(request, "support/incident.html", _incident_context(request, incident, form=form), status=400)


INCIDENT_PANELS = {"support", "debriefs"}


@login_required
@require_GET
def incident_support_panel(request: HttpRequest, incident_id: int, panel: str) -> HttpResponse:
    if panel not in INCIDENT_PANELS:
        raise Http404("No such panel.")
    incident = selectors.incident_for(request.user, incident_id, IncidentAction.SEE_COUNTS)
    return render(request, f"support/incident.html#{panel}", _incident_context(request, incident))


# --- one debrief ----------------------------------------------------------------------------------------

RSVP_ANSWERS = ("accepted", "declined", "tentative")
# Each of a debrief's forms: the form, the service it goes to (with the values it takes), what is said.
DEBRIEF_FORMS = {
    "cancel": (DebriefCancelForm, debriefing.debrief_cancel, None, "Cancelled: everyone's calendar will be told."),
    "change": (DebriefChangeForm, debriefing.debrief_change, None, "Changed: everyone invited gets the new invitation."),
    "attendance": (AttendanceForm, debriefing.debrief_record_attendance,
                   lambda form: {"attended": form.cleaned_data["attended"]}, "Attendance recorded."),
    "learning": (LearningForm, debriefing.debrief_record_learning,
                 lambda form: {"notes": form.cleaned_data["learning_notes"]},
                 "The learning is recorded on the incident."),
}


@login_required
@require_http_methods(["GET", "POST"])
def debrief_detail(request: HttpRequest, debrief_id: int) -> HttpResponse:
    item = selectors.debrief(request.user, debrief_id)
    invitations = list(item.invitees.select_related("person"))
    posted: dict[str, object] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        here = reverse("debrief", kwargs={"debrief_id": item.pk})
        if action in RSVP_ANSWERS:
            return pages.act(request, partial(debriefing.debrief_rsvp, actor=request.user, debrief_id=item.pk,
                                              response=action),
                             said="Thank you: your answer is recorded. Coming is your choice.", done=here)
        if action not in DEBRIEF_FORMS:
            raise InvalidInput({"action": ["Choose what to do."]})
        form_class, change, values, said = DEBRIEF_FORMS[action]
        form = posted[action] = form_class(request.POST, **({"invitees": invitations}
                                                             if form_class is AttendanceForm else {}))
        done = pages.submit(request, form, partial(change, actor=request.user, debrief_id=item.pk), values=values,
                            said=said, done=here)
        if done:
            return done
        status = 400
    change_form, attendance_form = posted.get("change"), posted.get("attendance")
    learning_form, cancel_form = posted.get("learning"), posted.get("cancel")
    allowed = {str(a) for a in debriefs.allowed_actions(request.user, item)}
    if "change" in allowed and change_form is None:
        change_form = DebriefChangeForm(initial={
            "starts_at": timezone.localtime(item.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": item.duration_minutes, "location": item.location,
            "facilitator": item.facilitator.username,
            "invitees": "\n".join(i.person.username for i in invitations)})
    if "record_attendance" in allowed and attendance_form is None:
        attendance_form = AttendanceForm(invitees=invitations, initial={
            "attended": [i.person.username for i in invitations if i.attended]})
    if "record_learning" in allowed and item.kind == DebriefKind.COLD and learning_form is None:
        learning_form = LearningForm(initial={"learning_notes": item.learning_notes})
    mine = next((i for i in invitations if i.person_id == request.user.pk), None)
    return render(request, "support/debrief.html", {
        "item": item, "allowed": allowed, "invitations": invitations if "see_invitees" in allowed else [],
        "answers": selectors.answers(request.user, item, selectors.rsvp_counts(invitations)), "mine": mine, "started": item.starts_at <= timezone.now(),
        "sees_incident": selectors.sees_incident(request.user, item.incident),
        "change_form": change_form if "change" in allowed else None, "cancel_form": cancel_form or DebriefCancelForm(),
        "attendance_form": attendance_form if "record_attendance" in allowed else None,
        "learning_form": learning_form if item.kind == DebriefKind.COLD and "record_learning" in allowed else None,
        "error_forms": [f for f in (change_form, attendance_form, learning_form, cancel_form)
                        if f is not None and f.is_bound and f.errors],
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def register_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One person on a register: how they were affected, their supporter, and a check-in before a trigger
    date. Their follow-ups are listed at the reader's tier."""
    entry = selectors.entry(request.user, entry_id)
    check_in_form = CheckInForm()
    status = 200
    if request.method == "POST":
        check_in_form = CheckInForm(request.POST)
        done = pages.submit(request, check_in_form, partial(services.register_add_check_in, actor=request.user,
                                                            entry_id=entry.pk),
                            said="The check-in has been added.",
                            done=reverse("register-entry", kwargs={"entry_id": entry.pk}))
        if done:
            return done
        status = 400
    can = {str(a) for a in register.allowed_actions(request.user, entry)}
    items = list(selectors.follow_ups_for(request.user).filter(affected=entry))
    return render(request, "support/entry.html", {
        "entry": entry, "can": can, "items": items, "check_in_form": check_in_form,
        "private_entry": RegisterAction.SEE_PRIVATE in can,
        "told": RegisterAction.SEE_WHY in can,
        "error_forms": [check_in_form] if check_in_form.errors else [],
        "private": {i.pk for i in items if selectors.sees_private(request.user, i)},
        "sees_incident": selectors.sees_incident(request.user, entry.incident),
        "can_add_check_in": RegisterAction.ADD_CHECK_IN in can,
    }, status=status)


# --- the organisation's view ----------------------------------------------------------------------------


@login_required
@require_GET
def exposure(request: HttpRequest) -> HttpResponse:
    people = selectors.cumulative_exposure(request.user)
    page = selectors.EXPOSURE.page(people, request.GET.get("people") or None, param="people")
    # Check-ins by week, counts only (issue 11, point 7): the same wellbeing leads, two queries.
    return render(request, "support/exposure.html", {"people": page,
                                                     "check_ins": selectors.check_ins_picture(request.user)})


# --- support requests -----------------------------------------------------------------------------------


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
    page = selectors.REQUESTS.page(visible, request.GET.get("requests") or None, param="requests")
    return render(request, "support/requests.html", {
        "requests": page, "incidents_shown": {r.incident_id for r in page
                                              if selectors.sees_incident(request.user, r.incident)},
        "statuses": SupportStatus.choices,
        "answers": requests.qualifies(request.user, WELLBEING_LEADS),
    })



