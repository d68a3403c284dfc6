"""Releasing a message and delivering it: release now or at the embargo (with the gates of comms/gates.py
re-checked by the worker, and a hold told once), the inboxes and the outbox, the outbox's steps after each
try and each failure of a delivery (comms/apps.py declares them), trying undelivered emails again, the
notices that a message could not be delivered, and a reader's "I have read this".

Same shape as comms/services.py: lock → guard → save (audited) → timeline event → broadcast after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from core import notices, outbox, realtime, wings, worker
from core.actors import prime_members
from core.errors import Conflict, GateRefused, Http404, InvalidInput
from core.models import Email, Notice
from core.policy import parse_id
from core.small_counts import part
from core.text import checked_text
from incidents import services as incident_services
from incidents.services import save_audited
from people.models import User

from .gates import failing_gates
from .models import (
    AWAITING_APPROVAL,
    DELIVERY_EMAIL,
    EXTERNAL_AUDIENCES,
    NOTICE_EMAIL,
    UNDELIVERED,
    Audience,
    CommsEvent,
    InboxItem,
    Message,
    MessageStatus,
)
from .policy import (
    LEADERSHIP,
    OVERRIDE_WORDS,
    TOLD_OF_A_HOLD,
    TOLD_OF_A_PROBLEM,
    Action,
    inbox,
    messages,
    overridable,
    undelivered,
)
from .services import locked_message, message_event, message_moved, quoted

# --- release ------------------------------------------------------------------------------------------------


def message_release(*, actor: User, message_id: int, override_reason: str = "") -> Message:
    """Release now, or schedule for the embargo time. Refused with the first failing gate; the lead or
    tactical lead may override only the staff-briefing and family gates, giving a reason."""
    errors: dict[str, list[str]] = {}
    override_reason = checked_text(errors, Message, "override_reason", override_reason)
    with transaction.atomic():
        message = locked_message(actor, Action.RELEASE, message_id, state=False)
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
            message_event(message, actor, CommsEvent.MESSAGE_SCHEDULED,
                   f"{actor.display_name} scheduled {quoted(message.subject)} for release at "
                   f"{timezone.localtime(message.release_at):%d %b %Y %H:%M}")
        else:
            _release(message, actor)
    return message



def _record_override(actor: User, message: Message, gates: list[str], reason: str) -> None:
    incident_services.decision_record(
        actor=actor,
        incident_id=message.incident_id,
        decision=f"Release the {message.get_audience_display().lower()} {quoted(message.subject)} "
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
    message_event(message, actor or message.released_by, CommsEvent.MESSAGE_RELEASED,
           f"{(actor or message.released_by).display_name} released {quoted(message.subject)}"
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
            message_event(message, None, CommsEvent.RELEASE_HELD,
                   f"{quoted(message.subject)} was not released at its embargo time: {detail}", gate=code)
            _tell_about_hold(message, detail)
            return f"held: {code}"
        _release(message, None)
    return "released"


def _told(message: Message, who) -> list[User]:
    """The people the policy's rule names for this message (its author, its comms lead), in a stable order."""
    return list(messages.holders(who, message).order_by("pk"))


def _tell_by_email(message: Message, people: list[User], subject: str, body: str) -> None:
    """An email to each of these staff about the message (not one of its deliveries), in this transaction.
    (The outbox puts its subject on one line, whatever an older message's held: it must be sendable.)"""
    outbox.queue_many([Email(kind=NOTICE_EMAIL, about_id=message.pk, recipient=p, to=p.email, subject=subject,
                             body=body)
                       for p in people if p.email])


def _tell_about_hold(message: Message, detail: str) -> None:
    """One clear notice each to the author and the comms lead(s): no repeated alerts."""
    link = f"{settings.HARBOUR_BASE_URL}/messages/{message.pk}/"
    body = (f"{quoted(message.subject)} ({message.incident.reference}) was due to be released at its embargo "
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
        message_moved(message)


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
    body = (f"{quoted(message.subject)} ({message.incident.reference}) was released, but it could not be "
            f"delivered to everyone: so far, {failed} of its {everyone} emails could not be sent.\n\n"
            f"Why: {email.last_error}\n\nSee who it did not reach and why, and try again: {link}")
    _tell_by_email(message, told, f"Not delivered: {message.subject}", body)
    incident_services.record_event(
        incident=message.incident, actor=None, type=CommsEvent.DELIVERY_FAILED,
        summary=f"{quoted(message.subject)} could not be delivered to everyone it was sent to "
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
        message = locked_message(actor, Action.RETRY_DELIVERY, message_id)
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
        message_event(message, actor, CommsEvent.DELIVERY_RETRIED,
               f"{actor.display_name} asked for the {len(again)} email{'s' if len(again) != 1 else ''} of "
               f"{quoted(message.subject)} that could not be sent to be tried again", emails=len(again))
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


# --- acknowledgement, and the sweep ------------------------------------------------------------------------


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
            message_moved(item.message)
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
