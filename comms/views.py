"""Console pages for communications. Thin: parse the form, call the service for a change or a selector
for a read, render; what a page offers comes from the policy's `allowed_actions`. Gate refusals and
state conflicts are shown in plain words on the page."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import pages
from core.actors import known_members
from core.errors import Conflict, GateRefused, InvalidInput
from core.policy import parse_id
from core.text import checked_text
from incidents.forms import same_to_the_minute
from people.models import User
from people.selectors import people_matching
from people.views import CHOICES_SHOWN, people_json

from . import gates, media, protect, releases, selectors, services
from . import identifiers as identifier_matching
from .forms import (
    AcknowledgeForm,
    CommentForm,
    ConfirmPartsForm,
    FamilyInformedForm,
    IdentifierForm,
    MediaEnquiryForm,
    MessageForm,
    ReleaseForm,
    WithdrawForm,
)
from .models import (
    EXTERNAL_AUDIENCES,
    INTERNAL_AUDIENCES,
    PUBLIC_AUDIENCES,
    Audience,
    HoldingTemplate,
    Message,
    MessageStatus,
)
from .policy import Action, Gate, incident_comms, messages
from .progress import release_progress, with_release_progress

# The communications tab lists messages in the order a person works through them.
STATUS_ORDER = [MessageStatus.DRAFT, MessageStatus.CHANGES_REQUESTED, MessageStatus.IN_REVIEW, MessageStatus.APPROVED,
                MessageStatus.SCHEDULED, MessageStatus.RELEASED, MessageStatus.WITHDRAWN]


def _errors(*forms) -> list:
    return [f for f in forms if f is not None and f.errors]


def _reading_for(request: HttpRequest, action: Action) -> Action:
    """A form's page is shown only to those who may use it. A posted form is read as anyone who may see
    it, and the service decides: a view never checks before a change. (Errors are shown again only to
    those who may use the form: see the selector call before each re-render.)"""
    return action if request.method == "GET" else Action.VIEW


def _offered(actions) -> dict[str, bool]:
    """Allowed actions as the templates read them: `{% if allowed.release %}`."""
    return {action.value: True for action in actions}


# --- the communications tab ------------------------------------------------------------------------------


@login_required
@require_GET
def comms_home(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id)
    return render(request, "comms/comms_home.html", _home_context(request, incident))


def _incident_offers(request, incident) -> dict[str, bool]:
    """What this person may do in the incident's communications, and whether they see delivery counts."""
    allowed = _offered(incident_comms.allowed_actions(request.user, incident))
    if incident_comms.qualifies(request.user, messages.rules[Action.SEE_DELIVERY], incident):
        allowed[Action.SEE_DELIVERY.value] = True
    return allowed


def _home_context(request, incident, **forms) -> dict:
    allowed = _incident_offers(request, incident)
    page = selectors.MESSAGES.page(selectors.incident_messages(incident), request.GET.get("messages") or None,
                                   param="messages")
    groups = [(MessageStatus(s).label, [m for m in page if m.status == s]) for s in STATUS_ORDER]
    return {
        "incident": incident,
        "page": page,
        "incident_allowed": allowed,
        "groups": [(label, items) for label, items in groups if items],
        "templates": selectors.holding_templates(incident) if allowed.get(Action.DRAFT) else [],
        "family_records": incident.family_informed.select_related("recorded_by"),
        "family_form": forms.get("family_form") or (
            FamilyInformedForm() if allowed.get(Action.RECORD_FAMILY_INFORMED) else None),
        "error_forms": _errors(*forms.values()),
        "incident_tab": "messages",
    }


@login_required
@require_POST
def family_informed(request: HttpRequest, incident_id: int) -> HttpResponse:
    form = FamilyInformedForm(request.POST)
    done = pages.submit(request, form, partial(protect.family_informed_record, actor=request.user,
                                               incident_id=incident_id),
                        said="Recorded that the family has been informed.",
                        done=reverse("comms-home", kwargs={"incident_id": incident_id}))
    if done:
        return done
    incident = selectors.incident_for(request.user, incident_id, Action.RECORD_FAMILY_INFORMED)
    return render(request, "comms/comms_home.html", _home_context(request, incident, family_form=form), status=400)


# --- drafting and editing --------------------------------------------------------------------------------


def _message_page(message: Message) -> str:
    return reverse("message-detail", kwargs={"message_id": message.pk})


def _editor(request, incident, form, message=None, status=200):
    return render(request, "comms/message_form.html", {
        "incident": incident, "form": form, "message": message, "error_forms": _errors(form),
        "staff": User.objects.filter(is_active=True).only("username", "full_name"), "incident_tab": "messages",
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def message_new(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id, _reading_for(request, Action.DRAFT))
    if request.method == "GET":
        # No audience chosen for them (a message goes where its author picked, on purpose), unless they
        # followed a link that said which: "Draft the staff briefing" asks for all staff.
        asked = request.GET.get("audience", "")
        initial = {"audience": asked} if asked in Audience.values else {}
        template = HoldingTemplate.objects.filter(pk=parse_id(request.GET.get("template")) or 0, active=True).first()
        if template is not None:
            initial = {"audience": Audience.HOLDING_STATEMENT,
                       **selectors.fill_template(template, service_area=settings.HARBOUR_SERVICE_AREA)}
        return _editor(request, incident, MessageForm(initial=initial))
    form = MessageForm(request.POST)
    done = pages.submit(request, form, partial(services.message_draft, actor=request.user, incident_id=incident.pk),
                        said="Your draft is saved as version 1.", done=_message_page)
    if done:
        return done
    selectors.incident_for(request.user, incident_id, Action.DRAFT)
    return _editor(request, incident, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_for(request.user, message_id, _reading_for(request, Action.EDIT))
    if request.method == "GET":
        form = MessageForm(initial={
            "audience": message.audience, "subject": message.subject, "body": message.body,
            "content_note": message.content_note, "teams": [t.name for t in message.teams.all()],
            "recipients": ", ".join(u.username for u in message.recipients.all()),
            "external_recipients": "\n".join(message.external_recipients),
            "release_at": timezone.localtime(message.release_at) if message.release_at else None,
        })
        return _editor(request, message.incident, form, message)
    form = MessageForm(request.POST)

    def changes(form) -> dict:
        values = form.service_values()
        if same_to_the_minute(values["release_at"], message.release_at):
            values["release_at"] = message.release_at
        return {"changes": values}

    done = pages.submit(request, form, partial(services.message_edit, actor=request.user, message_id=message.pk),
                        values=changes, conflict=NON_FIELD_ERRORS, done=_message_page,
                        said=lambda saved: f"Saved. The message is at version {saved.version}.")
    if done:
        return done
    selectors.message_for(request.user, message_id, Action.EDIT)
    return _editor(request, message.incident, form, message, status=400)


@login_required
@require_POST
def identifier_check(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The editor's live check, as the author types: does the text contain a protected identifier?"""
    incident = selectors.incident_for(request.user, incident_id, Action.DRAFT)
    # Only text a message could hold is checked: as long as its fields may be and of their kinds, read from
    # the model as every door reads them (core/text.py). Anything else (a page's worth of text sent
    # straight here) is answered with what is wrong, without reading it for identifiers.
    errors: dict[str, list[str]] = {}
    text = {name: checked_text(errors, Message, name, request.POST.get(name, ""), required=False)
            for name in ("subject", "body")}
    if errors:
        problems = [(MessageForm.base_fields[name].label or name.capitalize(), problem)
                    for name, said in errors.items() for problem in said]
        return render(request, "comms/identifier_check.html", {"problems": problems}, status=400)
    # The very check the release gates make (comms/gates.py, failing_gates), on the text as typed.
    findings = identifier_matching.message_findings(text["subject"], text["body"],
                                                    incident.protected_identifiers.all())
    audience = request.POST.get("audience", "")
    return render(request, "comms/identifier_check.html", {
        "findings": findings,
        "blocking": audience in EXTERNAL_AUDIENCES or audience in PUBLIC_AUDIENCES,
        "show_values": incident_comms.allows(request.user, Action.PROTECT_IDENTIFIERS, incident),
    })


@login_required
@require_GET
def recipient_choices(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The message editor's "chosen staff" search, by name or username: anyone active, in the incident or
    not, as JSON for static/harbour/choose-people.js. Only for those who may draft its messages."""
    selectors.incident_for(request.user, incident_id, Action.DRAFT)
    return people_json(people_matching(request.GET.get("q", ""), CHOICES_SHOWN))


# --- a message -------------------------------------------------------------------------------------------


def _message_context(request, message, **forms) -> dict:
    message = selectors.messages_with_details(type(message).objects.filter(pk=message.pk)).get()
    allowed = _offered(messages.allowed_actions(request.user, message))
    versions = list(message.versions.select_related("author"))
    # What the release still needs, from the release service's own gates (comms/selectors.py).
    progress = release_progress(message, request.user)
    release_form = forms.get("release_form") or ReleaseForm()
    # Shown only to someone who may override, for whom the reason is what makes the release go.
    release_form.fields["override_reason"].shown_required = True
    findings = gates.identifier_findings(message) if not message.is_finished else None
    return {
        "message": message,
        "incident": message.incident,
        "allowed": allowed,
        # Approving is theirs but for having written this version: say so, rather than hide the button.
        "authored_own": messages.refused_by_never(request.user, Action.APPROVE, message),
        "incident_allowed": _incident_offers(request, message.incident),
        "versions": versions,
        "current": versions[-1] if versions else None,
        "progress": progress,
        # What the identifier check finds in the current version, as the editor showed it: internal messages
        # may go out with it, but never without the author being told; for the others the gates say what
        # stops them, and this says which words (to those who may see the identifiers).
        "findings": findings,
        "findings_block": not message.is_internal,
        "show_values": incident_comms.allows(request.user, Action.PROTECT_IDENTIFIERS, message.incident),
        # The comms lead's confirmation of part of an identifier, when that is what stops the release.
        "confirm_parts": allowed.get(Action.CONFIRM_IDENTIFIER_PARTS) and any(
            b.code == Gate.IDENTIFIER_PART_FOUND for b in progress.blocked_by),
        "confirm_form": forms.get("confirm_form") or ConfirmPartsForm(),
        "confirmations": list(message.part_confirmations.all()),
        "can_override": progress.you_may_override,
        "comments": message.comments.select_related("author"),
        "deliveries": selectors.DELIVERIES.page(
            selectors.deliveries_of(message), request.GET.get("deliveries") or None, param="deliveries",
        ) if allowed.get(Action.SEE_DELIVERY) else None,
        "delivery_counts": selectors.delivery_counts(message) if allowed.get(Action.SEE_DELIVERY) else None,
        # Told that it could not be delivered to someone: shown until they mark it seen (or it is tried again).
        "undelivered": selectors.undelivered_for(request.user, message),
        # How many have read a released briefing, over time (counts only, never who; one query), for a
        # briefing sent to enough people that the times say nothing of any one of them.
        "reads_shown": (shown := allowed.get(Action.SEE_DELIVERY) and message.is_internal and message.is_released),
        "reads_chart": selectors.reads_picture(message) if shown else None,
        "comment_form": forms.get("comment_form") or CommentForm(),
        "release_form": release_form,
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "problem": forms.get("problem"),
        "error_forms": _errors(*[f for k, f in forms.items() if k != "problem"]),
        "incident_tab": "messages",
    }


@login_required
@require_GET
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_for(request.user, message_id)
    return render(request, "comms/message_detail.html", _message_context(request, message))


@login_required
@require_GET
def message_panel(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_for(request.user, message_id)
    return render(request, "comms/message_detail.html#state", _message_context(request, message))


@login_required
@require_POST
def message_action(request: HttpRequest, message_id: int, action: str) -> HttpResponse:
    """Submit, approve, request changes, release or withdraw: one form each on the message page."""
    message = selectors.message_for(request.user, message_id)
    forms: dict = {}
    try:
        if action == "submit":
            services.message_submit(actor=request.user, message_id=message.pk)
            done = "Submitted for approval."
        elif action == "approve":
            services.message_approve(actor=request.user, message_id=message.pk, version=request.POST.get("version"))
            done = "Approved."
        elif action == "request-changes":
            form = forms["comment_form"] = CommentForm(request.POST)
            if not form.is_valid():
                raise _Invalid
            services.message_request_changes(actor=request.user, message_id=message.pk, **form.cleaned_data)
            done = "Your request for changes has been sent to the author."
        elif action == "release":
            form = forms["release_form"] = ReleaseForm(request.POST)
            form.is_valid()
            released = releases.message_release(actor=request.user, message_id=message.pk,
                                                 override_reason=form.cleaned_data.get("override_reason", ""))
            done = "Released." if released.is_released else "Scheduled for release at its embargo time."
        elif action == "confirm-parts":
            form = forms["confirm_form"] = ConfirmPartsForm(request.POST)
            if not form.is_valid():
                raise _Invalid
            services.message_confirm_identifier_parts(actor=request.user, message_id=message.pk,
                                                      version=request.POST.get("version"), **form.cleaned_data)
            done = "Confirmed. This version may be released with those words in it."
        elif action == "retry-deliveries":
            releases.message_delivery_retry(actor=request.user, message_id=message.pk)
            done = "The emails that could not be sent will be tried again."
        elif action == "undelivered-seen":
            releases.undelivered_seen(actor=request.user, message_id=message.pk)
            done = "Marked as seen."
        elif action == "withdraw":
            form = forms["withdraw_form"] = WithdrawForm(request.POST)
            if not form.is_valid():
                raise _Invalid
            services.message_withdraw(actor=request.user, message_id=message.pk, **form.cleaned_data)
            done = "Withdrawn."
        else:
            raise Http404("No such action.")
    except _Invalid:
        pass
    except InvalidInput as error:
        form = next((f for f in forms.values()), None)
        if form is not None:
            form.apply_service_errors(error)
        else:
            forms["problem"] = " ".join(" ".join(m) for m in error.errors.values())
    except (GateRefused, Conflict) as refusal:
        forms["problem"] = refusal.detail
    else:
        flash.success(request, done)
        return redirect("message-detail", message_id=message.pk)
    return render(request, "comms/message_detail.html", _message_context(request, message, **forms), status=409
                  if forms.get("problem") else 400)


class _Invalid(Exception):
    """A form did not parse; its errors are already on it."""


@login_required
@require_GET
def message_diff(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_for(request.user, message_id)
    versions = {v.number: v for v in message.versions.all()}
    try:
        older, newer = versions[parse_id(request.GET.get("from"))], versions[parse_id(request.GET.get("to"))]
    except KeyError:
        newest = max(versions)
        older, newer = versions[max(1, newest - 1)], versions[newest]
    return render(request, "comms/message_diff.html", {
        "message": message, "incident": message.incident, "diff": {"from": older.number, "to": newer.number},
        "rows": selectors.version_changes(older, newer), "versions": sorted(versions), "incident_tab": "messages",
    })


@login_required
@require_GET
def message_print(request: HttpRequest, message_id: int) -> HttpResponse:
    """A clean page for a public message, to print or copy."""
    message = selectors.message_for(request.user, message_id)
    if message.audience not in PUBLIC_AUDIENCES and message.audience not in EXTERNAL_AUDIENCES:
        raise Http404("Only external and public messages have a printable page.")
    return render(request, "comms/message_print.html", {"message": message})


# --- approvals board -------------------------------------------------------------------------------------


@login_required
@require_GET
def approvals_board(request: HttpRequest) -> HttpResponse:
    return render(request, "comms/approvals_board.html", _board_context(request))


@login_required
@require_GET
def approvals_board_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "comms/approvals_board.html#board", _board_context(request))


def _board_context(request) -> dict:
    page = selectors.BOARD.page(selectors.board_messages(request.user), request.GET.get("board") or None,
                                param="board")
    items = with_release_progress(list(page.items), request.user)
    columns = [
        (status.value, title, [m for m in items if m.status == status]) for status, title in (
            (MessageStatus.IN_REVIEW, "Waiting for approval"),
            (MessageStatus.CHANGES_REQUESTED, "Changes requested"),
            (MessageStatus.APPROVED, "Approved"),  # each card says whether anything still stops its release
            (MessageStatus.SCHEDULED, "Scheduled"),
            (MessageStatus.RELEASED, "Released today"),
        )
    ]
    return {"columns": columns, "total": len(items), "page": page}


# --- inbox -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = selectors.INBOX.page(selectors.inbox_items(request.user), request.GET.get("inbox") or None, param="inbox")
    return render(request, "comms/inbox.html", {"items": page, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def inbox_item(request: HttpRequest, message_id: int) -> HttpResponse:
    item = selectors.inbox_item_for(request.user, message_id)
    form = AcknowledgeForm(request.POST or None, initial={"wants_support": item.wants_support})
    if request.method == "POST":
        done = pages.submit(request, form, partial(releases.message_acknowledge, actor=request.user,
                                                   message_id=message_id),
                            said=lambda item: "Thank you." + (
                                " A wellbeing lead will be in touch." if form.cleaned_data["wants_support"] else ""),
                            done=reverse("inbox-item", kwargs={"message_id": message_id}))
        if done:
            return done
    return render(request, "comms/inbox_item.html", {"item": item, "message": item.message, "form": form,
                                                     "names_incident": selectors.names_incident(request.user, item)})


# --- protected identifiers -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def identifiers(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id, _reading_for(request, Action.PROTECT_IDENTIFIERS))
    form = IdentifierForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("remove"):
            protect.identifier_remove(actor=request.user, incident_id=incident.pk,
                                       identifier_id=parse_id(request.POST["remove"]) or 0)
            flash.success(request, "Removed.")
            return redirect("comms-identifiers", incident_id=incident.pk)
        done = pages.submit(request, form, partial(protect.identifier_add, actor=request.user,
                                                   incident_id=incident.pk), conflict="value",
                            said="Protected. Every outgoing message of this incident is now checked for it.",
                            done=reverse("comms-identifiers", kwargs={"incident_id": incident.pk}))
        if done:
            return done
        selectors.incident_for(request.user, incident_id, Action.PROTECT_IDENTIFIERS)  # the list, for keepers
    return render(request, "comms/identifiers.html", {
        "incident": incident, "form": form, "error_forms": _errors(form),
        "identifiers": incident.protected_identifiers.select_related("added_by"), "incident_tab": "identifiers",
        "incident_allowed": _incident_offers(request, incident),
    }, status=400 if form.errors else 200)


# --- media enquiries -------------------------------------------------------------------------------------


def _owners(incident):
    """Who may own an enquiry: the people who may log one (every member and their roles read at once)."""
    return [user for user in known_members(incident) if incident_comms.allows(user, Action.LOG_MEDIA, incident)]


RESPONSES_OFFERED = 25


def _responses(incident, current: int | None = None):
    """The messages an enquiry may be answered with: the incident's latest that leave the organisation
    (and the one already chosen), not every message a long incident has had."""
    latest = incident.messages.exclude(audience__in=INTERNAL_AUDIENCES).order_by("-updated_at", "-id")
    chosen = list(latest.only("pk", "audience", "subject")[:RESPONSES_OFFERED])
    if current and current not in {m.pk for m in chosen}:
        chosen += list(incident.messages.filter(pk=current).only("pk", "audience", "subject"))
    return chosen


@login_required
@require_http_methods(["GET", "POST"])
def media_log(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id)
    allowed = _incident_offers(request, incident)
    form = None
    if request.method == "POST":
        form = MediaEnquiryForm(request.POST, owners=_owners(incident), messages=_responses(incident))
        done = pages.submit(request, form, partial(media.media_enquiry_log, actor=request.user,
                                                   incident_id=incident.pk), said="The enquiry is logged.",
                            done=reverse("comms-media", kwargs={"incident_id": incident.pk}))
        if done:
            return done
        selectors.incident_for(request.user, incident_id, Action.LOG_MEDIA)  # the form again, for those who may
    elif allowed.get(Action.LOG_MEDIA):
        form = MediaEnquiryForm(owners=_owners(incident), messages=_responses(incident))
    return render(request, "comms/media_log.html", {
        "incident": incident, "incident_allowed": allowed, "form": form, "error_forms": _errors(form),
        "enquiries": selectors.media_enquiries(incident), "incident_tab": "media",
    }, status=400 if form is not None and form.errors else 200)


@login_required
@require_GET
def media_panel(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for(request.user, incident_id)
    return render(request, "comms/media_log.html#enquiries", {
        "incident": incident, "enquiries": selectors.media_enquiries(incident),
        "incident_allowed": _incident_offers(request, incident),
    })


@login_required
@require_http_methods(["GET", "POST"])
def media_enquiry(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    enquiry = selectors.enquiry_for(request.user, enquiry_id, _reading_for(request, Action.LOG_MEDIA))
    incident = enquiry.incident
    local = timezone.localtime
    initial = {
        "outlet": enquiry.outlet, "journalist": enquiry.journalist, "contact": enquiry.contact,
        "received_at": local(enquiry.received_at), "deadline": local(enquiry.deadline) if enquiry.deadline else None,
        "question": enquiry.question, "owner": enquiry.owner.username, "status": enquiry.status,
        "response_message": str(enquiry.response_message_id or ""),
    }
    form = MediaEnquiryForm(request.POST or None, initial=initial, owners=_owners(incident),
                            messages=_responses(incident, enquiry.response_message_id))
    if request.method == "POST":
        def changes(form) -> dict:
            return {"changes": {f: v for f, v in form.service_values().items()
                                if f in form.changed_data and not same_to_the_minute(v, getattr(enquiry, f, None))}}

        done = pages.submit(request, form, partial(media.media_enquiry_update, actor=request.user,
                                                   enquiry_id=enquiry.pk), values=changes,
                            said="The enquiry is updated.",
                            done=reverse("comms-media", kwargs={"incident_id": incident.pk}))
        if done:
            return done
    selectors.enquiry_for(request.user, enquiry_id, Action.LOG_MEDIA)
    return render(request, "comms/media_enquiry.html", {
        "incident": incident, "enquiry": enquiry, "form": form, "error_forms": _errors(form), "incident_tab": "media",
    }, status=400 if form.errors else 200)
