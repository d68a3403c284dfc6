"""Every change to an incident's communications, one function each.

Same shape as incidents/services.py: lock → guard (comms/policy.py: who may, from which state) → save
(audited) → timeline event → broadcast after commit, in one transaction. The release gates live here
and only here, so the console, the API and the worker's scheduled release all apply the same rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from core import notices, outbox, realtime, wings, worker
from core.errors import Conflict, GateRefused, Http404, InvalidInput
from core.models import Email, Notice
from core.small_counts import part
from core.text import checked_text, is_one_line
from incidents import services as incident_services
from incidents.models import Incident, Team, User, max_length
from incidents.rules import parse_id, prime_members
from incidents.services import delete_audited, save_audited

from . import identifiers as identifier_matching
from .models import (
    AUDIENCE_FIELDS,
    AUDIENCE_SPECIFIC_FIELDS,
    AWAITING_APPROVAL,
    DELIVERY_EMAIL,
    EXTERNAL_AUDIENCES,
    NOTICE_EMAIL,
    PUBLIC_AUDIENCES,
    STAFF_BRIEFING_AUDIENCES,
    UNDELIVERED,
    Approval,
    Audience,
    CommsEvent,
    EnquiryStatus,
    FamilyInformed,
    IdentifierKind,
    IdentifierPartConfirmation,
    InboxItem,
    MediaEnquiry,
    Message,
    MessageStatus,
    MessageVersion,
    ProtectedIdentifier,
    ReviewComment,
)
from .policy import (
    COMMAND,
    COMMUNICATIONS,
    LEADERSHIP,
    OVERRIDE_WORDS,
    TOLD_OF_A_HOLD,
    TOLD_OF_A_PROBLEM,
    Action,
    Gate,
    approval_complete,
    enquiries,
    inbox,
    incident_comms,
    messages,
    overridable,
    undelivered,
)

CLOCK_SKEW = dt.timedelta(minutes=2)
TEXT_FIELDS = ("audience", "subject", "body", "content_note")
EDITABLE_FIELDS = (*TEXT_FIELDS, "teams", "recipients", "external_recipients", "release_at")


# --- shared steps ----------------------------------------------------------------------------------------


def _event(message: Message, actor: User | None, type: CommsEvent, summary: str, **data) -> None:
    incident_services.record_event(
        incident=message.incident, actor=actor, type=type, summary=summary, data={"message": message.pk, **data}
    )
    _broadcast(message)


def _broadcast(message: Message) -> None:
    """Move the message's card on the boards of the people who approve for its incident, after commit."""
    realtime.broadcast_on_commit(
        realtime.approvals_group(message.incident_id), realtime.message_changed_message(message.pk, message.incident_id)
    )


def _gates_moved(incident: Incident) -> None:
    """The family was told, or an identifier protected or let go: what blocks each open message's release
    changed, so the incident's approvals boards redraw, after commit."""
    realtime.broadcast_on_commit(realtime.approvals_group(incident.pk), realtime.board_changed_message(incident.pk))


def _locked_message(actor: User | None, action: Action, message_id: Any, *, state: bool = True) -> Message:
    """The message row, locked for this transaction, once the policy allows the actor this action."""
    queryset = Message.objects.select_for_update(of=("self",)).select_related("incident")
    return messages.fetch(actor, action, message_id, queryset, state=state)


def _locked_incident(actor: User, action: Action, incident_id: Any) -> Incident:
    return incident_comms.fetch(actor, action, incident_id, Incident.objects.select_for_update())


def content_hash(audience: str, subject: str, body: str, content_note: str) -> str:
    canonical = json.dumps([audience, subject, body, content_note], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _quote(subject: str) -> str:
    return f"“{subject}”"


# --- validation ------------------------------------------------------------------------------------------


NOT_FOR_THIS_AUDIENCE = {
    "teams": "Teams are only for messages to chosen teams.",
    "recipients": "Chosen staff are only for messages to chosen staff.",
    "external_recipients": "Email addresses are only for partner, elected member and family messages.",
    # Only a staff briefing's email and inbox show a note before the message: anyone else would receive
    # the message without it, so a note there is refused rather than kept and never shown.
    "content_note": "A content note is only for briefings to staff: partners, families and the public "
                    "receive the message as written. Remove the note, or choose a staff audience.",
}


def _clean_message_fields(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check a message's fields together (the audience decides which recipients are needed)."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    audience = values.get("audience")
    if audience not in Audience.values:
        errors["audience"] = [f"Choose who the message is for, from: {', '.join(Audience.values)}."]
    cleaned["subject"] = checked_text(errors, Message, "subject", values.get("subject"), missing="Enter a subject.")
    cleaned["body"] = checked_text(errors, Message, "body", values.get("body"), missing="Enter the message.")
    note = cleaned["content_note"] = checked_text(errors, Message, "content_note", values.get("content_note"))

    # A name with a control character in it is nobody's (and PostgreSQL could not even look for it).
    team_names = [str(t).strip() for t in (values.get("teams") or []) if str(t).strip()]
    teams = list(Team.objects.filter(name__in=[n for n in team_names if is_one_line(n)]))
    unknown_teams = sorted(set(team_names) - {t.name for t in teams})
    if unknown_teams:
        errors["teams"] = [f"There is no team called “{name}”." for name in unknown_teams]
    usernames = [str(u).strip() for u in (values.get("recipients") or []) if str(u).strip()]
    people = list(User.objects.filter(username__in=[u for u in usernames if is_one_line(u)], is_active=True))
    unknown_people = sorted(set(usernames) - {p.username for p in people})
    if unknown_people:
        errors["recipients"] = [f"There is no member of staff with the username “{name}”." for name in unknown_people]
    emails = [str(e).strip() for e in (values.get("external_recipients") or []) if str(e).strip()]
    bad_emails = []
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            bad_emails.append(email)
            continue
        if len(email) > 254:  # the longest address mail servers (and the outbox column) accept
            bad_emails.append(email)
    if bad_emails:
        errors["external_recipients"] = [f"“{e}” is not a valid email address." for e in bad_emails]

    if audience == Audience.TEAMS and not team_names and "teams" not in errors:
        errors["teams"] = ["Choose at least one team."]
    if audience == Audience.PEOPLE and not usernames and "recipients" not in errors:
        errors["recipients"] = ["Choose at least one member of staff."]
    if audience in EXTERNAL_AUDIENCES and not emails and "external_recipients" not in errors:
        errors["external_recipients"] = ["Give at least one email address to send this to."]
    given = {"teams": team_names, "recipients": usernames, "external_recipients": emails, "content_note": note}
    for field in AUDIENCE_SPECIFIC_FIELDS:  # what the audience does not use (comms/models.py, AUDIENCE_FIELDS)
        if given[field] and audience in AUDIENCE_FIELDS and field not in AUDIENCE_FIELDS[audience]:
            errors.setdefault(field, []).append(NOT_FOR_THIS_AUDIENCE[field])

    release_at = values.get("release_at")
    if release_at is not None:
        if not isinstance(release_at, dt.datetime) or timezone.is_naive(release_at):
            errors["release_at"] = ["Enter the embargo as a date and time."]
        elif release_at < timezone.now() - CLOCK_SKEW:
            errors["release_at"] = ["The embargo time has already passed."]
    cleaned.update(teams=teams, recipients=people, external_recipients=sorted(set(emails)))
    return cleaned, errors


def _new_version(message: Message, actor: User) -> MessageVersion:
    version = MessageVersion(
        message=message,
        number=message.version,
        audience=message.audience,
        subject=message.subject,
        body=message.body,
        content_note=message.content_note,
        content_hash=content_hash(message.audience, message.subject, message.body, message.content_note),
        author=actor,
    )
    version.save()
    return version


# --- drafting --------------------------------------------------------------------------------------------


def message_draft(
    *,
    actor: User,
    incident_id: int,
    audience: str,
    subject: str,
    body: str,
    content_note: str = "",
    teams: Iterable[str] = (),
    recipients: Iterable[str] = (),
    external_recipients: Iterable[str] = (),
    release_at: dt.datetime | None = None,
) -> Message:
    with transaction.atomic():
        incident = _locked_incident(actor, Action.DRAFT, incident_id)
        cleaned, errors = _clean_message_fields({
            "audience": audience, "subject": subject, "body": body, "content_note": content_note, "teams": teams,
            "recipients": recipients, "external_recipients": external_recipients, "release_at": release_at,
        })
        if errors:
            raise InvalidInput(errors)
        message = Message(
            incident=incident, author=actor, audience=cleaned["audience"], subject=cleaned["subject"],
            body=cleaned["body"], content_note=cleaned["content_note"],
            external_recipients=cleaned["external_recipients"], release_at=cleaned["release_at"],
        )
        save_audited(message, actor)
        message.teams.set(cleaned["teams"])
        message.recipients.set(cleaned["recipients"])
        _new_version(message, actor)
        _event(message, actor, CommsEvent.MESSAGE_DRAFTED,
               f"{actor.display_name} drafted a {message.get_audience_display().lower()} message: "
               f"{_quote(message.subject)}", version=1)
    return message


def message_edit(*, actor: User, message_id: int, changes: dict[str, Any]) -> Message:
    """Change a message before release. A change to its text makes a new version; any change after
    submission also voids every approval and returns it to draft."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    with transaction.atomic():
        message = _locked_message(actor, Action.EDIT, message_id)
        current_teams = list(message.teams.all())
        current_people = list(message.recipients.all())
        current = {
            "audience": message.audience, "subject": message.subject, "body": message.body,
            "content_note": message.content_note, "teams": [t.name for t in current_teams],
            "recipients": [u.username for u in current_people],
            "external_recipients": list(message.external_recipients), "release_at": message.release_at,
        }
        cleaned, errors = _clean_message_fields({**current, **changes})
        if errors:
            raise InvalidInput(errors)
        before = {**current, "teams": {t.pk for t in current_teams}, "recipients": {u.pk for u in current_people}}
        after = {**cleaned, "teams": {t.pk for t in cleaned["teams"]}, "recipients": {u.pk for u in cleaned["recipients"]}}
        changed = [f for f in EDITABLE_FIELDS if after[f] != before[f]]
        if not changed:
            return message
        was_submitted = message.status != MessageStatus.DRAFT
        text_changed = any(f in changed for f in TEXT_FIELDS)
        for field in ("audience", "subject", "body", "content_note", "external_recipients", "release_at"):
            setattr(message, field, cleaned[field])
        voided = 0
        if was_submitted:
            voided = _void(list(message.approvals.filter(voided_at__isnull=True)), actor,
                           f"The message was edited after submission (version {message.version + 1}).")
            message.status = messages.target(Action.EDIT)
            message.hold_reason = ""
        unconfirmed = 0
        if text_changed or was_submitted:
            unconfirmed = _void(list(message.part_confirmations.filter(voided_at__isnull=True)), actor,
                                f"The message was edited (version {message.version + 1}).")
            message.version += 1
        save_audited(message, actor)
        message.teams.set(cleaned["teams"])
        message.recipients.set(cleaned["recipients"])
        if text_changed or was_submitted:
            _new_version(message, actor)
        _event(message, actor, CommsEvent.MESSAGE_EDITED,
               f"{actor.display_name} edited {_quote(message.subject)}"
               + (f" (version {message.version})" if text_changed or was_submitted else ""),
               version=message.version, fields=changed)
        if voided:
            _event(message, actor, CommsEvent.APPROVALS_VOIDED,
                   f"{voided} approval(s) of {_quote(message.subject)} no longer count: the message changed "
                   "after submission and is back in draft.", voided=voided)
        if unconfirmed:
            _event(message, actor, CommsEvent.PART_CONFIRMATION_VOIDED,
                   f"The comms lead's confirmation of part of a protected identifier in {_quote(message.subject)} "
                   "no longer counts: the message changed.", voided=unconfirmed)
    return message


def _void(live: list[Approval] | list[IdentifierPartConfirmation], actor: User, reason: str) -> int:
    """Approvals and the comms lead's confirmations are for one exact text: when it changes they stop
    counting. Each is saved through the audit, so the incident's history shows which were voided, when, by
    whom and why (a confirmation's decision-log entry keeps what was decided then)."""
    for row in live:
        row.voided_at = timezone.now()
        row.voided_reason = reason[:max_length(type(row), "voided_reason")]
        save_audited(row, actor, "Voided: the text changed")
    return len(live)


def message_submit(*, actor: User, message_id: int) -> Message:
    with transaction.atomic():
        message = _locked_message(actor, Action.SUBMIT, message_id)
        message.status = messages.target(Action.SUBMIT)
        message.change_request = ""
        save_audited(message, actor)
        _event(message, actor, CommsEvent.MESSAGE_SUBMITTED,
               f"{actor.display_name} submitted {_quote(message.subject)} (version {message.version}) for approval",
               version=message.version)
    return message


# --- approval --------------------------------------------------------------------------------------------


def approvals_needed(message: Message) -> str:
    return "one" if message.is_internal else "two"


def identifier_findings(message: Message, identifiers: Iterable[ProtectedIdentifier] | None = None
                        ) -> identifier_matching.Findings:
    """The protected identifiers in the message's subject and text, and the parts of others found alone:
    the one check (comms/identifiers.py) the editor shows as the author types and the gates decide on."""
    if identifiers is None:
        identifiers = message.incident.protected_identifiers.all()
    return identifier_matching.message_findings(message.subject, message.body, identifiers)


def parts_confirmed(message: Message, findings: identifier_matching.Findings) -> bool:
    """Whether the comms lead has confirmed, for this version, every part of an identifier found in it."""
    covered: set[str] = set()
    for confirmation in message.part_confirmations.all():  # prefetched by comms.selectors for lists
        if confirmation.voided_at is None and confirmation.version == message.version:
            covered.update(confirmation.covers)
    return findings.part_keys <= covered


def message_approve(*, actor: User, message_id: int, version: Any) -> Message:
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise InvalidInput({"version": ["Give the number of the version you are approving."]}) from None
    with transaction.atomic():
        message = _locked_message(actor, Action.APPROVE, message_id)
        if version != message.version:
            raise Conflict(
                f"You approved version {version}, but the message is now at version {message.version}. "
                "Read the current text and approve that.",
                code="stale_version", current_version=message.version,
            )
        if message.approvals.filter(voided_at__isnull=True, version=version, approver=actor).exists():
            raise Conflict("You have already approved this version.", code="already_approved")
        if not message.is_internal and identifier_findings(message).found:
            raise GateRefused(Gate.IDENTIFIER_FOUND, _IDENTIFIER_DETAIL)
        approval = Approval(message=message, version=version, approver=actor,
                            as_comms=messages.qualifies(actor, COMMUNICATIONS, message),
                            as_command=messages.qualifies(actor, COMMAND, message))
        try:
            with transaction.atomic():
                save_audited(approval, actor)
        except IntegrityError:
            raise Conflict("You have already approved this version.", code="already_approved") from None
        complete = approval_complete(message, message.approvals.all())
        if complete:
            message.status = messages.target(Action.APPROVE)
            save_audited(message, actor)
        _event(message, actor, CommsEvent.MESSAGE_APPROVED,
               f"{actor.display_name} approved version {version} of {_quote(message.subject)}"
               + (": fully approved" if complete else ": one more approval needed"),
               version=version, complete=complete)
    return message


def message_request_changes(*, actor: User, message_id: int, comment: str) -> Message:
    errors: dict[str, list[str]] = {}
    comment = checked_text(errors, ReviewComment, "comment", comment,
                           missing="Say what needs to change, so the author can act on it.")
    with transaction.atomic():
        message = _locked_message(actor, Action.REQUEST_CHANGES, message_id, state=False)
        if errors:
            raise InvalidInput(errors)
        messages.check(actor, Action.REQUEST_CHANGES, message)
        ReviewComment.objects.create(message=message, version=message.version, author=actor, comment=comment)
        message.status = messages.target(Action.REQUEST_CHANGES)
        message.change_request = comment
        save_audited(message, actor)
        _event(message, actor, CommsEvent.CHANGES_REQUESTED,
               f"{actor.display_name} asked for changes to {_quote(message.subject)}", version=message.version)
    return message


def message_withdraw(*, actor: User, message_id: int, reason: str) -> Message:
    errors: dict[str, list[str]] = {}
    reason = checked_text(errors, Message, "withdrawn_reason", reason, key="reason", required=True,
                          missing="Say why the message is being withdrawn.")
    with transaction.atomic():
        message = _locked_message(actor, Action.WITHDRAW, message_id, state=False)
        if errors:
            raise InvalidInput(errors)
        messages.check(actor, Action.WITHDRAW, message)
        message.status = messages.target(Action.WITHDRAW)
        message.withdrawn_reason = reason
        save_audited(message, actor, reason)
        _event(message, actor, CommsEvent.MESSAGE_WITHDRAWN,
               f"{actor.display_name} withdrew {_quote(message.subject)}: {reason}")
    return message


def message_confirm_identifier_parts(*, actor: User, message_id: int, version: Any, reason: str) -> Message:
    """The comms lead confirms that the parts of protected identifiers found on their own in this version
    ("Brookfield" of "Brookfield Primary") do not identify the child or family here, so the version may be
    released with them. For one exact version, like an approval; written to the decision log with the
    reason. A whole identifier is never confirmed: nobody can release past it."""
    with transaction.atomic():
        message = _locked_message(actor, Action.CONFIRM_IDENTIFIER_PARTS, message_id, state=False)
        errors: dict[str, list[str]] = {}
        try:
            version = int(version)
        except (TypeError, ValueError):
            errors["version"] = ["Give the number of the version you read and are confirming."]
        reason = checked_text(errors, IdentifierPartConfirmation, "reason", reason, required=True,
                              missing="Say why these words do not identify the child or family: it is written to "
                                      "the decision log.")
        if errors:
            raise InvalidInput(errors)
        messages.check(actor, Action.CONFIRM_IDENTIFIER_PARTS, message)
        if version != message.version:
            raise Conflict(
                f"You read version {version}, but the message is now at version {message.version}. Read the "
                "current text and confirm that.", code="stale_version", current_version=message.version)
        findings = identifier_findings(message)
        if findings.found and not message.is_internal:
            raise Conflict("The message contains a protected identifier, which nobody can release. Take it out "
                           "first; then confirm any part of one that is left.", code="identifier_found")
        if message.is_internal or not findings.parts:
            raise Conflict("There is nothing to confirm: no part of a protected identifier stops this version's "
                           "release.", code="nothing_to_confirm")
        if parts_confirmed(message, findings):
            raise Conflict("You have already confirmed this version.", code="already_confirmed")
        kinds = findings.part_kinds
        decision = incident_services.decision_record(
            actor=actor,
            incident_id=message.incident_id,
            decision=f"Allow version {message.version} of the {message.get_audience_display().lower()} "
                     f"{_quote(message.subject)} to be released with part of a protected {kinds} in it.",
            rationale=reason,
            options_considered="Take the words out of the message before it is released.",
            # The words are not named: the log is read by every member, and not all may see the identifiers.
            information=f"The identifier check found {len(findings.parts)} word(s) on their own that are part "
                        f"of a protected {kinds}. The comms lead read version {message.version} and confirmed "
                        "that they do not identify the child or family.",
        )
        confirmation = IdentifierPartConfirmation(
            message=message, version=message.version, covers=sorted(findings.part_keys), reason=reason,
            confirmed_by=actor, decision=decision)
        save_audited(confirmation, actor)
        _event(message, actor, CommsEvent.IDENTIFIER_PART_CONFIRMED,
               f"{actor.display_name} confirmed that version {message.version} of {_quote(message.subject)} may "
               f"be released with part of a protected {kinds} in it (decision {decision.number})",
               version=message.version, decision=decision.pk)
    return message


# --- release gates ---------------------------------------------------------------------------------------

_IDENTIFIER_DETAIL = (
    "The message contains something that could identify the child or family (a protected identifier). "
    "Remove it before this message can be approved or released."
)


def _part_detail(findings: identifier_matching.Findings) -> str:
    return (f"The message contains a word that is part of a protected {findings.part_kinds}, on its own. It may "
            "not point to the child or family here, but the incident's comms lead must confirm that, giving a "
            "reason for the decision log, before this version can be released. Or take the word out.")


@dataclass(frozen=True)
class GateFacts:
    """What the gates need to know about an incident, fetched once however many messages are checked."""

    identifiers: list
    staff_briefed: bool
    family_informed: bool


def gate_facts(incident) -> GateFacts:
    return GateFacts(
        identifiers=list(incident.protected_identifiers.all()),
        staff_briefed=Message.objects.filter(
            incident=incident, audience__in=STAFF_BRIEFING_AUDIENCES, status=MessageStatus.RELEASED
        ).exists(),
        family_informed=incident.family_informed.exists(),
    )


def failing_gates(message: Message, facts: GateFacts | None = None) -> list[tuple[Gate, str]]:
    """Every gate that stops this message being released now, in the order they are explained."""
    facts = facts or gate_facts(message.incident)
    gates: list[tuple[Gate, str]] = []
    if message.status in AWAITING_APPROVAL or not approval_complete(message, message.approvals.all()):
        needed = "one approval" if message.is_internal else (
            "two approvals: one from communications and one from the incident's command"
        )
        gates.append((Gate.APPROVAL_REQUIRED, f"The current version is not fully approved. It needs {needed}."))
    if not message.is_internal:
        findings = identifier_findings(message, facts.identifiers)
        if findings.found:
            gates.append((Gate.IDENTIFIER_FOUND, _IDENTIFIER_DETAIL))
        elif findings.parts and not parts_confirmed(message, findings):
            # Once a whole identifier is out, what is left of it is for the comms lead to weigh.
            gates.append((Gate.IDENTIFIER_PART_FOUND, _part_detail(findings)))
    if message.audience in PUBLIC_AUDIENCES:
        if not facts.staff_briefed:
            gates.append((Gate.STAFF_NOT_BRIEFED,
                          "Staff must hear before the press: release an internal briefing to affected staff first."))
        if message.incident.is_death and not facts.family_informed:
            gates.append((Gate.FAMILY_NOT_INFORMED,
                          "The family must be told first. The lead or tactical lead records when they were informed."))
    return gates


def message_release(*, actor: User, message_id: int, override_reason: str = "") -> Message:
    """Release now, or schedule for the embargo time. Refused with the first failing gate; the lead or
    tactical lead may override only the staff-briefing and family gates, giving a reason."""
    errors: dict[str, list[str]] = {}
    override_reason = checked_text(errors, Message, "override_reason", override_reason)
    with transaction.atomic():
        message = _locked_message(actor, Action.RELEASE, message_id, state=False)
        if errors:
            raise InvalidInput(errors)
        embargoed = bool(message.release_at and message.release_at > timezone.now())
        action = Action.SCHEDULE if embargoed else Action.RELEASE
        if not messages.state_allows(action, message) and message.status not in AWAITING_APPROVAL:
            raise messages.state_refusal(action, message)  # already released, withdrawn or scheduled
        failing = failing_gates(message)  # before approval, the approval gate says what is missing
        codes = [code for code, _ in failing]
        if override_reason and overridable(codes):
            messages.check(actor, Action.OVERRIDE_GATE, message)
        overridden = codes if override_reason and overridable(codes) else []
        for code, detail in failing:
            if code not in overridden:
                raise GateRefused(code, detail)
        if overridden:
            _record_override(actor, message, overridden, override_reason)
        message.overridden_gates = overridden
        message.override_reason = override_reason if overridden else ""
        message.released_by = actor
        message.hold_reason = ""
        if embargoed:
            message.status = messages.target(Action.SCHEDULE)
            save_audited(message, actor)
            worker.enqueue("comms.release_scheduled", message.pk, run_after=message.release_at)
            _event(message, actor, CommsEvent.MESSAGE_SCHEDULED,
                   f"{actor.display_name} scheduled {_quote(message.subject)} for release at "
                   f"{timezone.localtime(message.release_at):%d %b %Y %H:%M}")
        else:
            _release(message, actor)
    return message



def _record_override(actor: User, message: Message, gates: list[str], reason: str) -> None:
    incident_services.decision_record(
        actor=actor,
        incident_id=message.incident_id,
        decision=f"Release the {message.get_audience_display().lower()} {_quote(message.subject)} "
                 + " and ".join(OVERRIDE_WORDS[g] for g in gates) + ".",
        rationale=reason,
        options_considered="Wait until the gate is satisfied.",
        information=f"Release gates overridden: {', '.join(gates)}.",
    )


def _release(message: Message, actor: User | None) -> None:
    """Release now: freeze the text, deliver to inboxes and the outbox, tell the timeline."""
    message.status = messages.target(Action.RELEASE)
    message.released_at = timezone.now()
    message.released_version = message.version
    save_audited(message, actor)
    _deliver(message)
    _event(message, actor or message.released_by, CommsEvent.MESSAGE_RELEASED,
           f"{(actor or message.released_by).display_name} released {_quote(message.subject)}"
           + (f" to {message.inbox_items.count()} people" if message.is_internal else ""),
           version=message.version)


def internal_recipients(message: Message):
    people = User.objects.filter(is_active=True)
    if message.audience == Audience.ALL_STAFF:
        return people
    if message.audience == Audience.TEAMS:
        return people.filter(team__in=message.teams.all())
    if message.audience == Audience.PEOPLE:
        return people.filter(pk__in=message.recipients.all())
    return people.filter(groups__name=LEADERSHIP)


def _email_text(message: Message, *, names_incident: bool = True) -> tuple[str, str]:
    """The email of a message. A staff briefing's names its incident only to a reader who may know of it
    (comms/policy.py, inbox SEE_INCIDENT): one of a restricted incident reaches people outside it too."""
    link = f"{settings.HARBOUR_BASE_URL}/inbox/{message.pk}/"
    if message.is_internal:
        where = f" from {message.incident.reference}" if names_incident else ""
        lines = [f"A briefing{where} is in your Harbour inbox: {link}", ""]
        if message.content_note:
            lines += [f"Before you read on: {message.content_note}",
                      "You can choose when to read it. The message is below the line.", "", "", "—" * 20, ""]
        lines.append(message.body)
        return message.subject, "\n".join(lines)
    return message.subject, message.body


def _deliver(message: Message) -> list[Email]:
    """Into the inboxes of the staff it is for, and into the outbox: its deliveries, each sent by the worker."""
    subject, body = _email_text(message)
    emails: list[Email] = []
    if message.is_internal:
        people = list(internal_recipients(message).distinct())
        items = [InboxItem(message=message, recipient=person) for person in people]
        InboxItem.objects.bulk_create(items, ignore_conflicts=True)
        realtime.now_may_change(parts=("comms",))  # a briefing reaches people outside the incident too
        prime_members(message.incident, people)
        told = {item.recipient_id for item in items if inbox.allows(item.recipient, Action.SEE_INCIDENT, item)}
        untold_body = _email_text(message, names_incident=False)[1]
        emails = [Email(kind=DELIVERY_EMAIL, about_id=message.pk, recipient=p, to=p.email, subject=subject,
                        body=body if p.pk in told else untold_body)
                  for p in people if p.email]
    elif message.audience in EXTERNAL_AUDIENCES:
        emails = [Email(kind=DELIVERY_EMAIL, about_id=message.pk, to=address, subject=subject, body=body)
                  for address in message.external_recipients]
    return outbox.queue_many(emails)


def scheduled_release_due(message_id: int) -> str:
    """Called by the worker at the embargo time: re-check every gate, then release or hold."""
    with transaction.atomic():
        message = Message.objects.select_for_update(of=("self",)).select_related("incident").filter(pk=message_id).first()
        if message is None or not messages.allows(None, Action.RELEASE_AT_EMBARGO, message):
            return "moved on"
        if message.release_at and message.release_at > timezone.now():
            return "not yet"
        failing = [(code, detail) for code, detail in failing_gates(message) if code not in message.overridden_gates]
        if failing:
            code, detail = failing[0]
            message.status = messages.target(Action.HOLD_AT_EMBARGO)
            message.hold_reason = detail
            save_audited(message, None, f"Held: {code}")
            _event(message, None, CommsEvent.RELEASE_HELD,
                   f"{_quote(message.subject)} was not released at its embargo time: {detail}", gate=code)
            _tell_about_hold(message, detail)
            return f"held: {code}"
        _release(message, None)
    return "released"


def _told(message: Message, who) -> list[User]:
    """The incident's members the rule names for this message (its author, its comms lead), in a stable order."""
    members = message.incident.memberships.active().select_related("user").order_by("user_id")
    return [m.user for m in members if messages.qualifies(m.user, who, message)]


def _tell_by_email(message: Message, people: list[User], subject: str, body: str) -> None:
    """An email to each of these staff about the message (not one of its deliveries), in this transaction.
    (The outbox puts its subject on one line, whatever an older message's held: it must be sendable.)"""
    outbox.queue_many([Email(kind=NOTICE_EMAIL, about_id=message.pk, recipient=p, to=p.email, subject=subject,
                             body=body)
                       for p in people if p.email])


def _tell_about_hold(message: Message, detail: str) -> None:
    """One clear notice each to the author and the comms lead(s): no repeated alerts."""
    link = f"{settings.HARBOUR_BASE_URL}/messages/{message.pk}/"
    body = (f"{_quote(message.subject)} ({message.incident.reference}) was due to be released at its embargo "
            f"time but was held.\n\nWhy: {detail}\n\nIt is approved and waiting: {link}")
    _tell_by_email(message, _told(message, TOLD_OF_A_HOLD), f"Held: {message.subject}", body)


# --- a message that could not be delivered ---------------------------------------------------------------


def deliveries(message: Message):
    """The message's deliveries: its emails to its recipients, not the emails to staff about it."""
    return Email.objects.filter(kind=DELIVERY_EMAIL, about_id=message.pk)


def undelivered_counts(message: Message) -> tuple[int, int]:
    """(emails of the message that failed for good, all its emails): its deliveries, not notices about it."""
    counts = deliveries(message).aggregate(failed=Count("id", filter=Q(state=outbox.FAILED)), all=Count("id"))
    return counts["failed"], counts["all"]


def delivery_tried(email: Email) -> None:
    """After each try of one of a message's deliveries (the outbox calls it, in the transaction that records
    the try): the message's card moves on its approvers' boards, and its page redraws."""
    message = Message.objects.only("pk", "incident_id").filter(pk=email.about_id).first()
    if message is not None:
        _broadcast(message)


def email_failed(email: Email) -> None:
    """One of a released message's deliveries failed for good (called by the outbox in the transaction that
    records it, the email locked). The message's author and the incident's comms lead are each told once: a
    notice on their Now page and one email, and the incident's timeline says so. While their notice is open,
    more failures of the same message say nothing more; an email about the message (a kind with no `failed`
    step) that fails tells nobody."""
    message = Message.objects.select_related("incident").get(pk=email.about_id)
    url = reverse("message-detail", args=[message.pk]) + "#deliveries"
    # Two workers failing two of its emails at once: one notice each (an open notice's key is unique).
    told = [person for person in _told(message, TOLD_OF_A_PROBLEM)
            if notices.notify_once(person, UNDELIVERED, about_id=message.pk, url=url) is not None]
    if not told:
        return
    failed, everyone = undelivered_counts(message)
    link = f"{settings.HARBOUR_BASE_URL}/messages/{message.pk}/#deliveries"
    body = (f"{_quote(message.subject)} ({message.incident.reference}) was released, but it could not be "
            f"delivered to everyone: so far, {failed} of its {everyone} emails could not be sent.\n\n"
            f"Why: {email.last_error}\n\nSee who it did not reach and why, and try again: {link}")
    _tell_by_email(message, told, f"Not delivered: {message.subject}", body)
    incident_services.record_event(
        incident=message.incident, actor=None, type=CommsEvent.DELIVERY_FAILED,
        summary=f"{_quote(message.subject)} could not be delivered to everyone it was sent to "
                f"({failed} of {everyone} so far). Told: {', '.join(p.display_name for p in told)}.",
        data={"message": message.pk, "told": [p.username for p in told]})


def _close_notices(message: Message, actor: User, **only) -> list[int]:
    """Close the message's open notices (only some, with `only`), and say so to their people's Now pages.
    Closed, their keys are free: a later failure of the message is told afresh."""
    closed = notices.close(notices.open_notices(UNDELIVERED, message.pk).select_for_update().filter(**only), actor)
    for notice in closed:
        realtime.now_may_change(person_id=notice.recipient_id, parts=("comms",))
    return [n.recipient_id for n in closed]


def message_delivery_retry(*, actor: User, message_id: int) -> Message:
    """Put a released message's emails that could not be sent back in the outbox, to be tried afresh (the
    mail server was down, say). One that cannot be made into an email at all stays as it is: sending it
    again would fail again. Every notice of the message is closed: if they fail again, it is told again."""
    with transaction.atomic():
        message = _locked_message(actor, Action.RETRY_DELIVERY, message_id)
        failed = list(deliveries(message).select_for_update().filter(state=outbox.FAILED))
        makeable: dict[tuple[str, str], bool] = {}  # a message's emails share their text: made once each
        for email in failed:
            if (email.subject, email.body) not in makeable:
                makeable[email.subject, email.body] = outbox.can_be_made(email)
        again = [email for email in failed if makeable[email.subject, email.body]]
        if not again:
            raise Conflict(
                "There is nothing to try again: every email was sent or is still being tried."
                if not failed else "These emails cannot be sent as they are, however often they are tried: "
                f"{failed[0].last_error}", code="nothing_to_retry")
        outbox.try_again(again)
        _close_notices(message, actor)
        _event(message, actor, CommsEvent.DELIVERY_RETRIED,
               f"{actor.display_name} asked for the {len(again)} email{'s' if len(again) != 1 else ''} of "
               f"{_quote(message.subject)} that could not be sent to be tried again", emails=len(again))
    return message


def undelivered_seen(*, actor: User, message_id: int) -> Message:
    """"I have seen this": the person's own notice that a message could not be delivered leaves their Now
    page. The failed emails stay on the message's deliveries, with why."""
    message_id = parse_id(message_id)
    with transaction.atomic():
        open_ones = Notice.objects.select_for_update(of=("self",)).filter(closed_at__isnull=True)
        notice = None if message_id is None else (
            undelivered.restrict(actor, Action.MARK_SEEN, open_ones).filter(about_id=message_id).first())
        message = messages.fetch(actor, Action.VIEW, message_id)  # not found, as any message they may not see
        if notice is None:
            raise Conflict("You have nothing about this message waiting to be seen.", code="nothing_to_see")
        _close_notices(message, actor, recipient=actor)
    return message


# --- delivery and acknowledgement ------------------------------------------------------------------------


def message_acknowledge(*, actor: User, message_id: int, wants_support: bool = False) -> InboxItem:
    """"I have read this", and optionally "I would like to talk to someone"."""
    if not isinstance(wants_support, bool):
        raise InvalidInput({"wants_support": ["Answer true or false."]})
    message_id = parse_id(message_id)
    with transaction.atomic():
        locked = InboxItem.objects.select_for_update(of=("self",)).select_related("message", "message__incident")
        item = None if message_id is None else (
            inbox.restrict(actor, Action.ACKNOWLEDGE, locked).filter(message_id=message_id).first())
        if item is None:
            raise Http404(inbox.not_found)
        first_time = item.acknowledged_at is None
        if first_time:
            item.acknowledged_at = timezone.now()
        if wants_support and not item.wants_support:
            item.wants_support = True
            wings.incident_moment("wants_support", person=actor, message=item.message)  # staff support's
        item.save()
        realtime.now_may_change(person_id=actor.pk, parts=("comms",))  # support's part: support tells it
        if first_time and _reads_shown_differently(item.message):
            # Counts only, and no timeline entry per reader: nobody is singled out. And only when the count
            # as shown moves: a page that redrew at every read while it says "fewer than 5" would time each
            # reader's read on the screens of those watching it.
            realtime.broadcast_on_commit(
                realtime.incident_group(item.message.incident_id), realtime.comms_changed_message(item.message_id)
            )
            _broadcast(item.message)
    return item


def _reads_shown_differently(message: Message) -> bool:
    """Does one more read change how many have read the message, as approvers are shown it?"""

    counted = message.inbox_items.aggregate(sent=Count("id"), read=Count("id", filter=Q(acknowledged_at__isnull=False)))
    return part(counted["read"] - 1, counted["sent"]).words != part(counted["read"], counted["sent"]).words


def sweep_due() -> int:
    """Timed work that is due and not done, found from the messages themselves, so work whose task was lost
    (a worker killed mid-run, a restart) is done after all, and only once: embargoed messages past their
    time are released (or held) here, each re-checked under a row lock, so several workers sweeping at
    once, or a duplicate task, do it once. (Their emails are the outbox's: its own sweep, core/outbox.py.)"""
    now = timezone.now()
    done = 0
    for pk in Message.objects.filter(status=MessageStatus.SCHEDULED, release_at__lte=now).values_list("pk", flat=True):
        outcome = scheduled_release_due(pk)  # released, or held with the reason told once
        done += outcome == "released" or outcome.startswith("held")
    return done


# --- protected identifiers, family informed ---------------------------------------------------------------


def identifier_add(*, actor: User, incident_id: int, value: str, kind: str) -> ProtectedIdentifier:
    errors: dict[str, list[str]] = {}
    value = " ".join(checked_text(errors, ProtectedIdentifier, "value", value,
                                  missing="Enter the name, address, school or other detail to protect.").split())
    if value and not identifier_matching.normalise(value):
        errors["value"] = ["Enter some letters or numbers."]
    if kind not in IdentifierKind.values:
        errors["kind"] = [f"Choose the kind from: {', '.join(IdentifierKind.values)}."]
    with transaction.atomic():
        incident = _locked_incident(actor, Action.PROTECT_IDENTIFIERS, incident_id)
        if errors:
            raise InvalidInput(errors)
        if incident.protected_identifiers.filter(value__iexact=value).exists():
            raise Conflict("That identifier is already protected for this incident.", code="already_protected")
        identifier = ProtectedIdentifier(incident=incident, value=value, kind=kind, added_by=actor)
        save_audited(identifier, actor)
        # The timeline is seen by every member: it says that something was protected, never what.
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.IDENTIFIER_ADDED,
            summary=f"{actor.display_name} added a protected {identifier.get_kind_display().lower()}",
            data={"kind": kind},
        )
        _gates_moved(incident)
    return identifier


def identifier_remove(*, actor: User, incident_id: int, identifier_id: int) -> None:
    with transaction.atomic():
        incident = _locked_incident(actor, Action.PROTECT_IDENTIFIERS, incident_id)
        identifier = incident.protected_identifiers.filter(pk=parse_id(identifier_id) or 0).first()
        if identifier is None:
            raise Http404("No such protected identifier.")
        delete_audited(identifier, actor)
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.IDENTIFIER_REMOVED,
            summary=f"{actor.display_name} removed a protected {identifier.get_kind_display().lower()}",
            data={"kind": identifier.kind},
        )
        _gates_moved(incident)


def family_informed_record(
    *, actor: User, incident_id: int, informed_at: dt.datetime, informed_by: str, note: str = ""
) -> FamilyInformed:
    errors: dict[str, list[str]] = {}
    informed_by = checked_text(errors, FamilyInformed, "informed_by", informed_by,
                               missing="Say who told the family, for example the police family liaison officer.")
    note = checked_text(errors, FamilyInformed, "note", note)
    if not isinstance(informed_at, dt.datetime) or timezone.is_naive(informed_at):
        errors["informed_at"] = ["Enter when the family was told as a date and time."]
    elif informed_at > timezone.now() + CLOCK_SKEW:
        errors["informed_at"] = ["The time the family was told cannot be in the future."]
    with transaction.atomic():
        incident = _locked_incident(actor, Action.RECORD_FAMILY_INFORMED, incident_id)
        if errors:
            raise InvalidInput(errors)
        record = FamilyInformed(incident=incident, informed_at=informed_at, informed_by=informed_by, note=note,
                                recorded_by=actor)
        save_audited(record, actor)
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.FAMILY_INFORMED,
            summary=f"{actor.display_name} recorded that the family was informed "
                    f"({timezone.localtime(informed_at):%d %b %H:%M}, by {informed_by})",
            data={"informed_at": informed_at.isoformat()},
        )
        _gates_moved(incident)
    return record


# --- media enquiries -------------------------------------------------------------------------------------

ENQUIRY_FIELDS = ("outlet", "journalist", "contact", "received_at", "deadline", "question", "owner", "status",
                  "response_message")


def _clean_enquiry(incident, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    for field, label in (("outlet", "the outlet"), ("journalist", "the journalist's name"),
                         ("contact", "how to contact them"), ("question", "the question")):
        cleaned[field] = checked_text(errors, MediaEnquiry, field, values.get(field), missing=f"Enter {label}.")
    received = values.get("received_at")
    if not isinstance(received, dt.datetime) or timezone.is_naive(received):
        errors["received_at"] = ["Enter when the enquiry came in as a date and time."]
    elif received > timezone.now() + CLOCK_SKEW:
        errors["received_at"] = ["The enquiry cannot have come in the future."]
    deadline = values.get("deadline")
    if deadline is not None and (not isinstance(deadline, dt.datetime) or timezone.is_naive(deadline)):
        errors["deadline"] = ["Enter the deadline as a date and time."]
    elif deadline is not None and isinstance(received, dt.datetime) and deadline < received:
        errors["deadline"] = ["The deadline cannot be before the enquiry came in."]
    if values.get("status") not in EnquiryStatus.values:
        errors["status"] = [f"Choose the status from: {', '.join(EnquiryStatus.values)}."]
    owner = values.get("owner")
    if isinstance(owner, str):
        owner = User.objects.filter(username=owner, is_active=True).first() if is_one_line(owner) else None
        if owner is None:
            errors["owner"] = ["There is no member of staff with that username."]
    if isinstance(owner, User) and not incident_comms.allows(owner, Action.LOG_MEDIA, incident):
        errors["owner"] = [f"{owner.display_name} is not one of this incident's comms or command approvers."]
    cleaned["owner"] = owner
    response = values.get("response_message")
    if response not in (None, ""):
        message_id = response.pk if isinstance(response, Message) else response
        response = incident.messages.filter(pk=parse_id(message_id) or 0).first()
        if response is None:
            errors["response_message"] = ["Choose a message of this incident."]
    cleaned["response_message"] = response or None
    return cleaned, errors


def media_enquiry_log(
    *, actor: User, incident_id: int, outlet: str, journalist: str, contact: str, received_at: dt.datetime,
    question: str, deadline: dt.datetime | None = None, owner: User | str | None = None,
    status: str = EnquiryStatus.OPEN, response_message: int | None = None,
) -> MediaEnquiry:
    with transaction.atomic():
        incident = _locked_incident(actor, Action.LOG_MEDIA, incident_id)
        cleaned, errors = _clean_enquiry(incident, {
            "outlet": outlet, "journalist": journalist, "contact": contact, "received_at": received_at,
            "deadline": deadline, "question": question, "owner": owner or actor, "status": status,
            "response_message": response_message,
        })
        if errors:
            raise InvalidInput(errors)
        enquiry = MediaEnquiry(incident=incident, logged_by=actor, **cleaned)
        save_audited(enquiry, actor)
        incident_services.record_event(
            incident=incident, actor=actor, type=CommsEvent.MEDIA_LOGGED,
            summary=f"{actor.display_name} logged a media enquiry from {enquiry.outlet}"
                    + (f", deadline {timezone.localtime(enquiry.deadline):%d %b %H:%M}" if enquiry.deadline else ""),
            data={"enquiry": enquiry.pk},
        )
        # The first enquiry starts the holding statement's clock (the playbook's `media_enquiry` start).
        incident_services.media_interest(incident=incident, at=timezone.now())
    return enquiry


def media_enquiry_update(*, actor: User, enquiry_id: int, changes: dict[str, Any]) -> MediaEnquiry:
    unknown = sorted(set(changes) - set(ENQUIRY_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in unknown})
    with transaction.atomic():
        locked = MediaEnquiry.objects.select_for_update(of=("self",)).select_related("incident")
        enquiry = enquiries.fetch(actor, Action.LOG_MEDIA, enquiry_id, locked)
        current = {f: getattr(enquiry, f) for f in ENQUIRY_FIELDS}
        cleaned, errors = _clean_enquiry(enquiry.incident, {**current, **changes})
        if errors:
            raise InvalidInput(errors)
        changed = [f for f in ENQUIRY_FIELDS if cleaned[f] != current[f]]
        if not changed:
            return enquiry
        for field in changed:
            setattr(enquiry, field, cleaned[field])
        save_audited(enquiry, actor)
        summary = f"{actor.display_name} updated the enquiry from {enquiry.outlet}"
        if "status" in changed:
            summary += f": {enquiry.get_status_display().lower()}"
        incident_services.record_event(
            incident=enquiry.incident, actor=actor, type=CommsEvent.MEDIA_UPDATED, summary=summary,
            data={"enquiry": enquiry.pk, "fields": changed},
        )
    return enquiry
