"""A message's life up to approval, and the steps every change to communications takes.

Same shape as incidents/services.py: lock → guard (comms/policy.py: who may, from which state) → save
(audited) → timeline event → broadcast after commit, in one transaction. Here: drafting and editing a
message (each change of its text a new version), submitting it, approving it, asking for changes,
withdrawing it, and the comms lead's confirmation of parts of protected identifiers. What stops a release
is comms/gates.py's; releasing and delivering, comms/releases.py's; media enquiries, comms/media.py's;
protected identifiers and the family informed, comms/protect.py's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import realtime
from core.errors import Conflict, GateRefused, InvalidInput
from core.text import checked_text, is_one_line, max_length
from incidents import services as incident_services
from incidents.models import Incident
from incidents.services import save_audited
from people.models import Team, User

from .gates import IDENTIFIER_DETAIL, identifier_findings, parts_confirmed
from .models import (
    AUDIENCE_FIELDS,
    AUDIENCE_SPECIFIC_FIELDS,
    EXTERNAL_AUDIENCES,
    Approval,
    Audience,
    CommsEvent,
    IdentifierPartConfirmation,
    Message,
    MessageStatus,
    MessageVersion,
    ReviewComment,
)
from .policy import COMMAND, COMMUNICATIONS, Action, Gate, approval_complete, incident_comms, messages

CLOCK_SKEW = dt.timedelta(minutes=2)
TEXT_FIELDS = ("audience", "subject", "body", "content_note")
EDITABLE_FIELDS = (*TEXT_FIELDS, "teams", "recipients", "external_recipients", "release_at")


# --- shared steps ----------------------------------------------------------------------------------------


def message_event(message: Message, actor: User | None, type: CommsEvent, summary: str, **data) -> None:
    """The message's entry on its incident's timeline, and its card moved on the approvals boards."""
    incident_services.record_event(
        incident=message.incident, actor=actor, type=type, summary=summary, data={"message": message.pk, **data}
    )
    message_moved(message)


def message_moved(message: Message) -> None:
    """Move the message's card on the boards of the people who approve for its incident, after commit."""
    realtime.broadcast_on_commit(
        realtime.approvals_group(message.incident_id), realtime.message_changed_message(message.pk, message.incident_id)
    )


def gates_moved(incident: Incident) -> None:
    """The family was told, or an identifier protected or let go: what blocks each open message's release
    changed, so the incident's approvals boards redraw, after commit."""
    realtime.broadcast_on_commit(realtime.approvals_group(incident.pk), realtime.board_changed_message(incident.pk))


def locked_message(actor: User | None, action: Action, message_id: Any, *, state: bool = True) -> Message:
    """The message row, locked for this transaction, once the policy allows the actor this action."""
    queryset = Message.objects.select_for_update(of=("self",)).select_related("incident")
    return messages.fetch(actor, action, message_id, queryset, state=state)


def locked_incident(actor: User, action: Action, incident_id: Any) -> Incident:
    """The incident row, locked for this transaction, once the policy allows the actor this action on its
    communications."""
    return incident_comms.fetch(actor, action, incident_id, Incident.objects.select_for_update())


def content_hash(audience: str, subject: str, body: str, content_note: str) -> str:
    canonical = json.dumps([audience, subject, body, content_note], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def quoted(subject: str) -> str:
    """A message's subject as the timeline and emails quote it."""
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
        incident = locked_incident(actor, Action.DRAFT, incident_id)
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
        message_event(message, actor, CommsEvent.MESSAGE_DRAFTED,
               f"{actor.display_name} drafted a {message.get_audience_display().lower()} message: "
               f"{quoted(message.subject)}", version=1)
    return message


def message_edit(*, actor: User, message_id: int, changes: dict[str, Any]) -> Message:
    """Change a message before release. A change to its text makes a new version; any change after
    submission also voids every approval and returns it to draft."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    with transaction.atomic():
        message = locked_message(actor, Action.EDIT, message_id)
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
        message_event(message, actor, CommsEvent.MESSAGE_EDITED,
               f"{actor.display_name} edited {quoted(message.subject)}"
               + (f" (version {message.version})" if text_changed or was_submitted else ""),
               version=message.version, fields=changed)
        if voided:
            message_event(message, actor, CommsEvent.APPROVALS_VOIDED,
                   f"{voided} approval(s) of {quoted(message.subject)} no longer count: the message changed "
                   "after submission and is back in draft.", voided=voided)
        if unconfirmed:
            message_event(message, actor, CommsEvent.PART_CONFIRMATION_VOIDED,
                   f"The comms lead's confirmation of part of a protected identifier in {quoted(message.subject)} "
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
        message = locked_message(actor, Action.SUBMIT, message_id)
        message.status = messages.target(Action.SUBMIT)
        message.change_request = ""
        save_audited(message, actor)
        message_event(message, actor, CommsEvent.MESSAGE_SUBMITTED,
               f"{actor.display_name} submitted {quoted(message.subject)} (version {message.version}) for approval",
               version=message.version)
    return message


# --- approval --------------------------------------------------------------------------------------------


def message_approve(*, actor: User, message_id: int, version: Any) -> Message:
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise InvalidInput({"version": ["Give the number of the version you are approving."]}) from None
    with transaction.atomic():
        message = locked_message(actor, Action.APPROVE, message_id)
        if version != message.version:
            raise Conflict(
                f"You approved version {version}, but the message is now at version {message.version}. "
                "Read the current text and approve that.",
                code="stale_version", current_version=message.version,
            )
        if message.approvals.filter(voided_at__isnull=True, version=version, approver=actor).exists():
            raise Conflict("You have already approved this version.", code="already_approved")
        if not message.is_internal and identifier_findings(message).found:
            raise GateRefused(Gate.IDENTIFIER_FOUND, IDENTIFIER_DETAIL)
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
        message_event(message, actor, CommsEvent.MESSAGE_APPROVED,
               f"{actor.display_name} approved version {version} of {quoted(message.subject)}"
               + (": fully approved" if complete else ": one more approval needed"),
               version=version, complete=complete)
    return message


def message_request_changes(*, actor: User, message_id: int, comment: str) -> Message:
    errors: dict[str, list[str]] = {}
    comment = checked_text(errors, ReviewComment, "comment", comment,
                           missing="Say what needs to change, so the author can act on it.")
    with transaction.atomic():
        message = locked_message(actor, Action.REQUEST_CHANGES, message_id, state=False)
        if errors:
            raise InvalidInput(errors)
        messages.check(actor, Action.REQUEST_CHANGES, message)
        ReviewComment.objects.create(message=message, version=message.version, author=actor, comment=comment)
        message.status = messages.target(Action.REQUEST_CHANGES)
        message.change_request = comment
        save_audited(message, actor)
        message_event(message, actor, CommsEvent.CHANGES_REQUESTED,
               f"{actor.display_name} asked for changes to {quoted(message.subject)}", version=message.version)
    return message


def message_withdraw(*, actor: User, message_id: int, reason: str) -> Message:
    errors: dict[str, list[str]] = {}
    reason = checked_text(errors, Message, "withdrawn_reason", reason, key="reason", required=True,
                          missing="Say why the message is being withdrawn.")
    with transaction.atomic():
        message = locked_message(actor, Action.WITHDRAW, message_id, state=False)
        if errors:
            raise InvalidInput(errors)
        messages.check(actor, Action.WITHDRAW, message)
        message.status = messages.target(Action.WITHDRAW)
        message.withdrawn_reason = reason
        save_audited(message, actor, reason)
        message_event(message, actor, CommsEvent.MESSAGE_WITHDRAWN,
               f"{actor.display_name} withdrew {quoted(message.subject)}: {reason}")
    return message


def message_confirm_identifier_parts(*, actor: User, message_id: int, version: Any, reason: str) -> Message:
    """The comms lead confirms that the parts of protected identifiers found on their own in this version
    ("Brookfield" of "Brookfield Primary") do not identify the child or family here, so the version may be
    released with them. For one exact version, like an approval; written to the decision log with the
    reason. A whole identifier is never confirmed: nobody can release past it."""
    with transaction.atomic():
        message = locked_message(actor, Action.CONFIRM_IDENTIFIER_PARTS, message_id, state=False)
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
                     f"{quoted(message.subject)} to be released with part of a protected {kinds} in it.",
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
        message_event(message, actor, CommsEvent.IDENTIFIER_PART_CONFIRMED,
               f"{actor.display_name} confirmed that version {message.version} of {quoted(message.subject)} may "
               f"be released with part of a protected {kinds} in it (decision {decision.number})",
               version=message.version, decision=decision.pk)
    return message
